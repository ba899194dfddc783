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
  /**
   * The sequence number after the last record known to be on disk when the cursor was written (on open, at each
   * segment switch, on close): records below it that recovery does not find were lost, a deleted tail segment
   * included (issue 7, item 4). Absent in cursors written before it existed.
   */
  next?: number;
}

export const CURSOR_FILE = "cursor.json";

/**
 * The cursor of a log folder, or undefined when there is none or it cannot be trusted: every cursor carries a
 * CRC-32 of its text without it, and one that fails it (a changed digit, a torn write) or has none is ignored,
 * which replays the log from its oldest segment: duplicates, never a loss (issue 7, item 3).
 */
export function readCursor(dir: string): Cursor | undefined {
  let cursor: Cursor | undefined;
  try {
    const raw = JSON.parse(fs.readFileSync(path.join(dir, CURSOR_FILE), "utf8")) as (Cursor & { crc?: unknown }) | null;
    if (!raw || typeof raw.crc !== "number") return undefined;
    const { crc, ...rest } = raw;
    cursor = crc32(Buffer.from(JSON.stringify(rest))) === crc ? rest : undefined;
  } catch {
    cursor = undefined;
  }
  if (cursor && !(Number.isInteger(cursor.seq) && Number.isInteger(cursor.segment) && Number.isInteger(cursor.offset) && cursor.offset >= 0 && (cursor.next === undefined || Number.isInteger(cursor.next)))) cursor = undefined;
  return cursor;
}

/** The cursor's text: its fields and a CRC-32 of them. */
export function cursorText(cursor: Cursor): string {
  const text = JSON.stringify(cursor);
  return JSON.stringify({ ...cursor, crc: crc32(Buffer.from(text)) });
}

/** Write the cursor of a log folder; returns the bytes written. Throws what the file system throws. */
export function writeCursor(dir: string, cursor: Cursor, sync: boolean): number {
  const text = cursorText(cursor);
  const file = path.join(dir, CURSOR_FILE);
  try {
    writeFileAtomic(file, text, sync);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC" && (err as NodeJS.ErrnoException).code !== "EDQUOT") throw err;
    // A full disk has no block for a new file: overwrite the cursor in place. A torn overwrite fails its
    // checksum on recovery and replays from the oldest segment (duplicates, never a loss), and the delivered
    // segments can go, which gives the space back.
    writeInPlace(file, text, sync);
  }
  return text.length;
}
