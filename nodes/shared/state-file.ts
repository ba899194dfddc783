/**
 * A node's small state as one JSON document (validate's baselines, aggregate-window's open windows, a rollout
 * campaign), written atomically (write, fsync, rename, fsync the folder) periodically while it changes and on
 * close: never rewritten per message, which would be quadratic in the number of devices.
 *
 * What a power cut can lose: the changes since the last write, at most `intervalMs` of them. A crash between
 * writes leaves the previous document whole (the rename is atomic); a damaged document (a bad checksum, or not
 * JSON) is moved aside as `<name>.corrupt-<time>` and the node starts empty, saying so.
 *
 * The document is wrapped with a version and a CRC-32 of its body, so a flipped bit is caught, not believed.
 */
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { ensureDir, storageError, writeFileAtomic } from "./durable-file";

export interface StateFileOptions {
  /** The node's state folder (created safely: see ensureDir). */
  dir: string;
  /** The file name, e.g. "state.json". */
  name?: string;
  /** Write at most this often while the state changes (ms); 0 writes only on flush/close. */
  intervalMs?: number;
  /** fsync the file and the folder (default true; tests may turn it off). */
  sync?: boolean;
  /** Timers (a fake clock in tests). */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
  /** Told about a write that failed (the node shows it and keeps running). */
  onError?: (err: Error) => void;
}

export interface LoadResult<T> {
  state: T | undefined;
  /** Where a damaged document was moved, when it was. */
  quarantined?: string;
  reason?: string;
}

const FORMAT = 1;

function crc(text: string): number {
  return zlib.crc32(text);
}

/** The document as stored: `{"format":1,"crc":n,"body":<state>}` with the CRC of the body's JSON text. */
export function encodeState(state: unknown): string {
  const body = JSON.stringify(state);
  return `{"format":${FORMAT},"crc":${crc(body)},"body":${body}}`;
}

/** The state of a stored document, or why it cannot be believed. */
export function decodeState<T>(text: string): { ok: true; state: T } | { ok: false; reason: string } {
  const m = /^\{"format":(\d+),"crc":(\d+),"body":([\s\S]*)\}$/.exec(text);
  if (!m) return { ok: false, reason: "not a state document" };
  if (Number(m[1]) !== FORMAT) return { ok: false, reason: `unknown format ${m[1]}` };
  if (crc(m[3]) !== Number(m[2])) return { ok: false, reason: "checksum mismatch" };
  try {
    return { ok: true, state: JSON.parse(m[3]) as T };
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
}

export class StateFile<T> {
  readonly file: string;
  private readonly interval: number;
  private readonly sync: boolean;
  private timer: unknown;
  private snapshot: (() => T) | undefined;
  private closed = false;
  /** How many documents were written (for tests and the bench). */
  writes = 0;

  constructor(private readonly opts: StateFileOptions) {
    ensureDir(opts.dir);
    this.file = path.join(opts.dir, opts.name ?? "state.json");
    this.interval = opts.intervalMs ?? 10_000;
    this.sync = opts.sync ?? true;
  }

  /** Read the last document. A damaged one is moved aside and reported; a missing one is `undefined`. */
  load(): LoadResult<T> {
    let text: string;
    try {
      text = fs.readFileSync(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { state: undefined };
      throw storageError(err, "read", this.file);
    }
    const d = decodeState<T>(text);
    if (d.ok) return { state: d.state };
    const aside = `${this.file}.corrupt-${Date.now()}`;
    try {
      fs.renameSync(this.file, aside);
    } catch (err) {
      throw storageError(err, "move aside", this.file);
    }
    return { state: undefined, quarantined: aside, reason: d.reason };
  }

  /** The state changed: write `get()` within the interval (one write for any number of changes). */
  changed(get: () => T): void {
    if (this.closed) return;
    this.snapshot = get;
    if (this.interval <= 0 || this.timer !== undefined) return;
    const set = this.opts.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms).unref());
    this.timer = set(() => {
      this.timer = undefined;
      this.write();
    }, this.interval);
  }

  /** Write now what has changed. Throws a StorageError naming the cause. */
  flush(): void {
    this.cancel();
    this.write(true);
  }

  /** Write what has changed and stop: nothing is written after close. */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.closed = true;
    }
  }

  private cancel(): void {
    if (this.timer === undefined) return;
    (this.opts.clearTimer ?? ((t: unknown) => clearTimeout(t as NodeJS.Timeout)))(this.timer);
    this.timer = undefined;
  }

  private write(rethrow = false): void {
    const get = this.snapshot;
    if (!get) return;
    this.snapshot = undefined;
    try {
      writeFileAtomic(this.file, encodeState(get()), this.sync);
      this.writes++;
    } catch (err) {
      this.snapshot = get; // still to be written
      const e = storageError(err, "write", this.file);
      if (rethrow) throw e;
      this.opts.onError?.(e);
    }
  }
}
