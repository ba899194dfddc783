/**
 * Durable files, for every node that keeps state on disk (an SD card or eMMC on a gateway):
 *
 * - writeAll: write all of a buffer at a position (a write may take less than it was given);
 * - writeFileAtomic: write a small file as one unit: a temporary file, fsync, rename over the old one, fsync the
 *   folder; after a power cut the file is the old one or the new one, never a mix;
 * - writeInPlace: overwrite a small file in place (no new block needed, for a full disk);
 * - fsyncDir: make a rename or a new file in a folder durable.
 */
import fs from "node:fs";
import path from "node:path";

/** fsync a folder, so that a file created or renamed in it survives a power cut. */
export function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, "r");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic.
  }
}

/** Write all of `data` at `position`: a write may take less than it was given. */
export function writeAll(fd: number, data: Buffer, position: number): void {
  let off = 0;
  while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off, position + off);
}

/** Write a small file atomically: write a temporary file, fsync it, rename it over the old one, fsync the folder. */
export function writeFileAtomic(file: string, data: string | Buffer, sync = true): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, "w");
  try {
    try {
      writeAll(fd, typeof data === "string" ? Buffer.from(data) : data, 0);
      if (sync) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    // A failed write (ENOSPC) must not leave its temporary file behind: on a full disk it holds the very blocks
    // (and the inode) that are missing. The old file is untouched.
    try {
      fs.unlinkSync(tmp);
    } catch {
      // already gone, or the folder is unwritable: the write's own error is the one to report
    }
    throw err;
  }
  if (sync) fsyncDir(path.dirname(file));
}

/** Overwrite a small file in place (no new block needed), then cut it to its new length. */
export function writeInPlace(file: string, data: string | Buffer, sync: boolean): void {
  const buf = typeof data === "string" ? Buffer.from(data) : data;
  const fd = fs.openSync(file, "r+");
  try {
    writeAll(fd, buf, 0);
    fs.ftruncateSync(fd, buf.length);
    if (sync) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** What an errno code means for a storage folder or file, in words a user can act on. */
const CAUSES: Record<string, string> = {
  EROFS: "the file system is read-only (a failing SD card is often remounted read-only)",
  ENOENT: "a folder on the way does not exist",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on the device",
  EDQUOT: "the disk quota is used up",
  ENOTDIR: "a part of the path is a file, not a folder",
  EEXIST: "a file of that name is in the way",
  EIO: "an I/O error on the storage device",
  EMFILE: "too many open files",
  ENAMETOOLONG: "the path is too long",
  ELOOP: "too many symbolic links on the way",
};

/** A storage error that names the real cause, the errno code and the path. `code` is kept for callers that test it. */
export class StorageError extends Error {
  override readonly name = "StorageError";
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly path: string,
  ) {
    super(message);
  }
}

/** Describe a file system error: "cannot <action> <path>: <cause> (<CODE>)". */
export function storageError(err: unknown, action: string, file: string): StorageError {
  if (err instanceof StorageError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === "string" ? e.code : undefined;
  const cause = (code && CAUSES[code]) ?? (e?.message || String(err));
  return new StorageError(`cannot ${action} ${file}: ${cause}${code ? ` (${code})` : ""}`, code, file);
}

/** Kernel file systems where a storage folder must never go (mkdir under /proc can loop forever). */
const VIRTUAL = ["/proc", "/sys", "/dev"];

function underVirtual(p: string): string | undefined {
  return VIRTUAL.find((v) => p === v || p.startsWith(`${v}/`));
}

/**
 * Create a folder and its parents, one level at a time (`fs.mkdirSync(dir, { recursive: true })` loops forever
 * under /proc, a Node.js bug). Refuses /proc, /sys and /dev (also through a symbolic link), and names the real
 * cause of a failure (EROFS is not ENOENT), with the errno code and the path.
 */
export function ensureDir(dir: string): void {
  const abs = path.resolve(dir);
  const refuse = (where: string) =>
    new StorageError(`cannot use ${abs} for storage: it is under ${where}, a kernel file system, not a disk`, "EINVAL", abs);
  const virtual = underVirtual(abs);
  if (virtual) throw refuse(virtual);
  // The deepest part that exists, then each missing level below it.
  const missing: string[] = [];
  let cur = abs;
  for (;;) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(cur);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw storageError(err, "reach", cur);
    }
    if (st) {
      if (!st.isDirectory()) throw storageError(Object.assign(new Error("not a directory"), { code: "ENOTDIR" }), "create the folder", abs);
      break;
    }
    missing.unshift(cur);
    const parent = path.dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  let real: string;
  try {
    real = fs.realpathSync(cur);
  } catch (err) {
    throw storageError(err, "reach", cur);
  }
  const via = underVirtual(real);
  if (via) throw refuse(`${via} (through ${cur})`);
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST" && fs.statSync(d).isDirectory()) continue;
      throw storageError(err, "create the folder", d);
    }
  }
}
