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
    writeAll(fd, typeof data === "string" ? Buffer.from(data) : data, 0);
    if (sync) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
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
