/** Shared by the journal's unit tests: temporary folders, options, filling and draining, damaging segment files. */
import { afterEach } from "mocha";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Journal, JournalOptions, Priority } from "../../../../nodes/store-forward/journal";

const dirs: string[] = [];
export function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "sf-journal-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  while (dirs.length) fs.rmSync(dirs.pop() as string, { recursive: true, force: true });
});

export const opts = (dir: string, extra: Partial<JournalOptions> = {}): JournalOptions => ({
  dir, durability: "batch", syncIntervalMs: 5, segmentBytes: 4096, maxBytes: 1e9, maxRecords: 1e9,
  maxAgeMs: 48 * 3600e3, overflow: "drop-oldest", cursorIntervalMs: 1, ...extra,
});
export const data = (i: number) => Buffer.from(JSON.stringify({ i, pad: "x".repeat(40) }));
export const idx = (b: Buffer) => JSON.parse(b.toString()).i as number;
export async function fill(j: Journal, n: number, priority: Priority = 1, from = 0) {
  await Promise.all(Array.from({ length: n }, (_, k) => j.append(priority, `k${from + k}`, data(from + k))));
}
export function drain(j: Journal, ack = true): number[] {
  const got: number[] = [];
  for (let r = j.next(); r; r = j.next()) {
    got.push(idx(r.data));
    if (ack) j.ack(r.id);
  }
  return got;
}
export const settle = () => new Promise((r) => setTimeout(r, 20));
/** The segment files of priority 1, oldest first. */
export const segments = (dir: string) =>
  fs.readdirSync(path.join(dir, "p1")).filter((f) => f.endsWith(".seg")).sort().map((f) => path.join(dir, "p1", f));
/** Where each record of a segment file starts. */
export function frameOffsets(file: string): number[] {
  const b = fs.readFileSync(file);
  const at: number[] = [];
  for (let off = 0; off + 8 <= b.length; off += b.readUInt32LE(off) + 8) at.push(off);
  return at;
}
export function corrupt(file: string, at: number): void {
  const b = fs.readFileSync(file);
  b[at] ^= 0xff;
  fs.writeFileSync(file, b);
}

/** The path of an open file descriptor (Linux), or undefined. */
function fdPath(fd: unknown): string | undefined {
  try {
    return fs.readlinkSync(`/proc/self/fd/${String(fd)}`);
  } catch {
    return undefined;
  }
}

/**
 * Make the next fs.writeSync to a segment file fail with this errno code (a full disk, a read-only remount); writes
 * of the cursor (at a segment switch) go through. Returns the undo.
 */
export function failNextWrite(code: string): () => void {
  const fsw = fs as unknown as { writeSync: (...args: unknown[]) => number };
  const orig = fsw.writeSync;
  fsw.writeSync = (fd: unknown, ...rest: unknown[]) => {
    const file = fdPath(fd);
    if (file !== undefined && !file.endsWith(".seg")) return orig(fd, ...rest);
    fsw.writeSync = orig;
    throw Object.assign(new Error(`${code}: simulated`), { code });
  };
  return () => {
    fsw.writeSync = orig;
  };
}

/**
 * Exhaust the inodes: from now on a new file can be created only in place of one removed since (a removed file, or a
 * file a rename replaced, frees its inode); writes to existing files still succeed. Returns the undo.
 */
export function exhaustInodes(): () => void {
  const f = fs as unknown as Record<"openSync" | "rmSync" | "unlinkSync" | "renameSync", (...args: unknown[]) => unknown>;
  const orig = { openSync: f.openSync, rmSync: f.rmSync, unlinkSync: f.unlinkSync, renameSync: f.renameSync };
  let free = 0;
  const creates = (flags: unknown) => typeof flags === "string" && /[wax]/.test(flags);
  f.openSync = (file: unknown, flags: unknown, ...rest: unknown[]) => {
    if (creates(flags) && !fs.existsSync(file as string)) {
      if (free === 0) throw Object.assign(new Error(`ENOSPC: no space left on device (no inode), open '${String(file)}'`), { code: "ENOSPC" });
      free--;
    }
    return orig.openSync(file, flags, ...rest);
  };
  const freeing = (name: "rmSync" | "unlinkSync") => (file: unknown, ...rest: unknown[]) => {
    const existed = fs.existsSync(file as string);
    const r = orig[name](file, ...rest);
    if (existed) free++;
    return r;
  };
  f.rmSync = freeing("rmSync");
  f.unlinkSync = freeing("unlinkSync");
  f.renameSync = (from: unknown, to: unknown) => {
    const replaced = fs.existsSync(to as string);
    orig.renameSync(from, to);
    if (replaced) free++;
  };
  return () => Object.assign(f, orig);
}
