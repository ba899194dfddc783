/**
 * The cursor: per priority, the first unacknowledged record (seq, segment, offset) and the records after it that
 * are acknowledged already, in `cursor.json`, replaced atomically (written in place, with a checksum, on a full
 * disk).
 */
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic, writeInPlace } from "../../shared/durable-file";
import { crc32 } from "../crc32";

export interface Cursor {
  seq: number;
  segment: number;
  offset: number;
  acked?: number[];
}

export const CURSOR_FILE = "cursor.json";

/** The cursor of a log folder, or undefined when there is none or it cannot be trusted. */
export function readCursor(dir: string): Cursor | undefined {
  let cursor: Cursor | undefined;
  try {
    cursor = JSON.parse(fs.readFileSync(path.join(dir, CURSOR_FILE), "utf8"));
    // Written in place on a full disk, with a checksum of the cursor without it: a torn write does not count.
    if (cursor && typeof (cursor as { crc?: unknown }).crc === "number") {
      const { crc, ...rest } = cursor as Cursor & { crc: number };
      cursor = crc32(Buffer.from(JSON.stringify(rest))) === crc ? rest : undefined;
    }
  } catch {
    cursor = undefined;
  }
  if (cursor && !(typeof cursor.seq === "number" && typeof cursor.segment === "number" && typeof cursor.offset === "number")) cursor = undefined;
  return cursor;
}

/** Write the cursor of a log folder; returns the bytes written. Throws what the file system throws. */
export function writeCursor(dir: string, cursor: Cursor, sync: boolean): number {
  const text = JSON.stringify(cursor);
  const file = path.join(dir, CURSOR_FILE);
  try {
    writeFileAtomic(file, text, sync);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC" && (err as NodeJS.ErrnoException).code !== "EDQUOT") throw err;
    // A full disk has no block for a new file: overwrite the cursor in place, with a checksum. A torn
    // overwrite is detected on recovery and replays from the oldest segment (duplicates, never a loss),
    // and the delivered segments can go, which gives the space back.
    writeInPlace(file, JSON.stringify({ ...cursor, crc: crc32(Buffer.from(text)) }), sync);
  }
  return text.length;
}
