/**
 * A node's small state as one JSON document (validate's baselines, aggregate-window's open windows, a rollout
 * campaign), written atomically (write, fsync, rename, fsync the folder) periodically while it changes and on
 * close: never rewritten per message, which would be quadratic in the number of devices.
 *
 * Two ways to write:
 * - synchronously (the default): `changed(get)`, and a timer writes `get()` in one go; flush() and close() write
 *   at once. Right for a small document.
 * - in parts (`chunked: true`): the document's body comes as JSON text in parts (`changedParts(parts)`, or a
 *   `changed(get)` value encoded at once), and a save encodes a part, yields to the event loop once about `sliceMs`
 *   of work is done, and writes the file asynchronously, so a big document (10,000 meters' baselines and dedup keys)
 *   never blocks the event loop for long. A save asked for while one is in flight is done once, after it, with the
 *   latest state (saves coalesce); `save()` and `closeAsync()` resolve once their state is on disk.
 *
 * What a power cut can lose: the changes since the last write that completed: at most `intervalMs` of them, plus
 * the time a save in parts takes. A crash between writes, or during one, leaves the previous document whole (the
 * rename is atomic); a damaged document (a bad checksum, or not JSON) is moved aside as `<name>.corrupt-<time>` and
 * the node starts empty, saying so.
 *
 * The document is wrapped with a version and a CRC-32 of its body, so a flipped bit is caught, not believed.
 */
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
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
  /**
   * Periodic writes are saves in parts (see save()): encoded a slice at a time, yielding to the event loop between
   * slices, and written asynchronously. Default false: one synchronous write.
   */
  chunked?: boolean;
  /** In a save in parts, the encoding work done before it yields to the event loop (ms, default 4). */
  sliceMs?: number;
}

export interface LoadResult<T> {
  state: T | undefined;
  /** Where a damaged document was moved, when it was. */
  quarantined?: string;
  reason?: string;
}

/** The body of a document as JSON text in parts, each made when it is asked for (see StateFile.changedParts). */
export type JsonParts = () => Iterable<string>;

const FORMAT = 1;

function crc(text: string): number {
  return zlib.crc32(text);
}

/** The document as stored: `{"format":1,"crc":n,"body":<state>}` with the CRC of the body's JSON text. */
export function encodeState(state: unknown): string {
  const body = JSON.stringify(state);
  return `{"format":${FORMAT},"crc":${crc(body)},"body":${body}}`;
}

/** The same document from a body given as JSON text in parts. */
export function encodeStateParts(parts: Iterable<string>): string {
  let body = "";
  for (const p of parts) body += p;
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

/** What is to be written: a value (encoded at once) or a body in parts. */
type Pending<T> = { kind: "value"; get: () => T } | { kind: "parts"; parts: JsonParts };

/** Buffers of encoded parts are gathered up to this size before they are handed to the file. */
const WRITE_BYTES = 1 << 20;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class StateFile<T> {
  readonly file: string;
  private readonly interval: number;
  private readonly sync: boolean;
  private readonly chunked: boolean;
  private readonly sliceMs: number;
  private timer: unknown;
  private snapshot: Pending<T> | undefined;
  private closed = false;
  /** The save in parts in flight, and the one that follows it (shared by every save asked for meanwhile). */
  private running: Promise<void> | undefined;
  private following: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  /** Counts synchronous writes: a save in parts that started before one is older than the file, and is dropped. */
  private generation = 0;
  /** How many documents were written (for tests and the bench). */
  writes = 0;

  constructor(private readonly opts: StateFileOptions) {
    ensureDir(opts.dir);
    this.file = path.join(opts.dir, opts.name ?? "state.json");
    this.interval = opts.intervalMs ?? 10_000;
    this.sync = opts.sync ?? true;
    this.chunked = opts.chunked ?? false;
    this.sliceMs = opts.sliceMs ?? 4;
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
    this.pend({ kind: "value", get });
  }

  /**
   * The state changed, and its body is the JSON text `parts()` gives, in order (a big document, made a part at a
   * time in a save in parts; joined at once by flush and close).
   */
  changedParts(parts: JsonParts): void {
    this.pend({ kind: "parts", parts });
  }

  /** Is a save in parts in flight? */
  get saving(): boolean {
    return this.running !== undefined;
  }

  private pend(p: Pending<T>): void {
    if (this.closed) return;
    this.snapshot = p;
    if (this.interval <= 0 || this.timer !== undefined) return;
    const set = this.opts.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms).unref());
    this.timer = set(() => {
      this.timer = undefined;
      if (!this.chunked) this.write();
      else this.save().catch((err: Error) => this.opts.onError?.(err));
    }, this.interval);
  }

  /** Write now what has changed, synchronously. Throws a StorageError naming the cause. */
  flush(): void {
    this.cancel();
    this.write(true);
  }

  /**
   * Write what has changed in parts (yielding to the event loop between slices) and asynchronously; resolves once
   * it is on disk, or rejects with a StorageError naming the cause (what failed stays to be written). Asked for
   * while a save is in flight, it is done once after that one, with the latest state.
   */
  save(): Promise<void> {
    this.cancel();
    if (!this.running) return this.start();
    this.following ??= this.running
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        this.following = undefined;
        return this.start();
      });
    return this.following;
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

  /**
   * close(), but the last write is a save in parts, after the one in flight: resolves when the last state is on
   * disk (or rejects with the StorageError). Nothing is written after it.
   */
  closeAsync(): Promise<void> {
    if (this.closing) return this.closing;
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.cancel();
    this.closing = this.save();
    return this.closing;
  }

  private cancel(): void {
    if (this.timer === undefined) return;
    (this.opts.clearTimer ?? ((t: unknown) => clearTimeout(t as NodeJS.Timeout)))(this.timer);
    this.timer = undefined;
  }

  private write(rethrow = false): void {
    const p = this.snapshot;
    if (!p) return;
    this.snapshot = undefined;
    try {
      writeFileAtomic(this.file, p.kind === "value" ? encodeState(p.get()) : encodeStateParts(p.parts()), this.sync);
      this.writes++;
      this.generation++;
    } catch (err) {
      this.snapshot ??= p; // still to be written, unless something newer is
      const e = storageError(err, "write", this.file);
      if (rethrow) throw e;
      this.opts.onError?.(e);
    }
  }

  private start(): Promise<void> {
    const p: Promise<void> = this.writeParts().finally(() => {
      if (this.running === p) this.running = undefined;
    });
    this.running = p;
    return p;
  }

  /** One save in parts: encode (yielding between slices) into a temporary file, fsync, rename, fsync the folder. */
  private async writeParts(): Promise<void> {
    const p = this.snapshot;
    if (!p) return;
    this.snapshot = undefined;
    const generation = this.generation;
    const tmp = `${this.file}.part`;
    let fh: fs.promises.FileHandle | undefined;
    try {
      // Encode first (a slice at a time), then write: the CRC of the body comes before it in the document.
      const chunks: Buffer[] = [];
      let group: Buffer[] = [];
      let groupBytes = 0;
      let sum = 0;
      let slice = performance.now();
      const parts = p.kind === "value" ? [JSON.stringify(p.get())] : p.parts();
      for (const part of parts) {
        const buf = Buffer.from(part);
        sum = zlib.crc32(buf, sum);
        group.push(buf);
        groupBytes += buf.length;
        if (groupBytes >= WRITE_BYTES) {
          chunks.push(group.length === 1 ? group[0] : Buffer.concat(group, groupBytes));
          group = [];
          groupBytes = 0;
        }
        if (performance.now() - slice >= this.sliceMs) {
          await nextTurn();
          slice = performance.now();
        }
      }
      if (groupBytes > 0) chunks.push(Buffer.concat(group, groupBytes));
      fh = await fs.promises.open(tmp, "w");
      await fh.write(`{"format":${FORMAT},"crc":${sum},"body":`);
      for (const c of chunks) await writeAllAsync(fh, c);
      await fh.write("}");
      if (this.sync) await fh.sync();
      await fh.close();
      fh = undefined;
      if (generation !== this.generation) {
        // A synchronous write (flush, close) came meanwhile with a newer state: this one is older than the file.
        await fs.promises.unlink(tmp).catch(() => undefined);
        return;
      }
      // Synchronous, so that no later synchronous write can be overtaken by it.
      fs.renameSync(tmp, this.file);
      this.writes++;
    } catch (err) {
      if (fh) await fh.close().catch(() => undefined);
      await fs.promises.unlink(tmp).catch(() => undefined);
      this.snapshot ??= p; // still to be written, unless something newer is
      throw storageError(err, "write", this.file);
    }
    if (this.sync) await fsyncDirAsync(path.dirname(this.file));
  }
}

/** Write all of a buffer (a write may take less than it was given). */
async function writeAllAsync(fh: fs.promises.FileHandle, data: Buffer): Promise<void> {
  let off = 0;
  while (off < data.length) off += (await fh.write(data, off, data.length - off)).bytesWritten;
}

/** fsyncDir, off the event loop. */
async function fsyncDirAsync(dir: string): Promise<void> {
  try {
    const fh = await fs.promises.open(dir, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some file systems cannot fsync a folder; the rename is still atomic (as durable-file's fsyncDir says).
  }
}
