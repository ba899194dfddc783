/**
 * The record frame. A record on disk: u32 body length, u32 CRC-32 of the body, then the body:
 *   u8 format (1, or 2 for a tombstone), u8 priority, u16 key length, f64 sequence number, f64 enqueue time
 *   (epoch ms), key, data.
 */
import { crc32 } from "../crc32";
import type { Priority } from "./types";

export const HEADER = 8;
export const BODY_FIXED = 20;
export const FORMAT = 1;
/** A placeholder for a record lost to corruption: keeps the sequence unbroken, is never delivered. */
export const TOMBSTONE = 2;
/** The largest body a frame may hold. */
export const MAX_BODY = 256 * 1024 * 1024;
export const EMPTY = Buffer.alloc(0);

/** Bytes the frame of a record with this key and data takes (throws for a key that a frame cannot hold). */
export function frameSize(key: string, data: Buffer): number {
  const keyLen = Buffer.byteLength(key);
  if (keyLen > 0xffff) throw new Error("idempotency key is longer than 65535 bytes");
  return HEADER + BODY_FIXED + keyLen + data.length;
}

export function frame(priority: Priority, seq: number, enqueuedAt: number, key: string, data: Buffer, format = FORMAT): Buffer {
  const keyLen = Buffer.byteLength(key);
  if (keyLen > 0xffff) throw new Error("idempotency key is longer than 65535 bytes");
  const bodyLen = BODY_FIXED + keyLen + data.length;
  const buf = Buffer.allocUnsafe(HEADER + bodyLen);
  buf.writeUInt32LE(bodyLen, 0);
  buf.writeUInt8(format, 8);
  buf.writeUInt8(priority, 9);
  buf.writeUInt16LE(keyLen, 10);
  buf.writeDoubleLE(seq, 12);
  buf.writeDoubleLE(enqueuedAt, 20);
  buf.write(key, 28, keyLen, "utf8");
  data.copy(buf, 28 + keyLen);
  buf.writeUInt32LE(crc32(buf.subarray(HEADER)), 4);
  return buf;
}

export interface Parsed {
  tombstone: boolean;
  seq: number;
  enqueuedAt: number;
  priority: number;
  key: string;
  data: Buffer;
  size: number;
}

/**
 * Parse the frame at `off` of `buf`: a record, "short" when the buffer ends inside it, or "bad".
 * Without `full`, key and data are left empty (recovery only needs the header).
 */
export function parse(buf: Buffer, off: number, verify: boolean, full = true): Parsed | "short" | "bad" {
  if (off + HEADER > buf.length) return "short";
  const bodyLen = buf.readUInt32LE(off);
  if (bodyLen < BODY_FIXED || bodyLen > MAX_BODY) return "bad";
  if (off + HEADER + bodyLen > buf.length) return "short";
  const body = buf.subarray(off + HEADER, off + HEADER + bodyLen);
  if (verify && crc32(body) !== buf.readUInt32LE(off + 4)) return "bad";
  if (body[0] !== FORMAT && body[0] !== TOMBSTONE) return "bad";
  const keyLen = body.readUInt16LE(2);
  if (BODY_FIXED + keyLen > bodyLen) return "bad";
  return {
    tombstone: body[0] === TOMBSTONE,
    priority: body[1],
    seq: body.readDoubleLE(4),
    enqueuedAt: body.readDoubleLE(12),
    key: full ? body.toString("utf8", BODY_FIXED, BODY_FIXED + keyLen) : "",
    data: full ? body.subarray(BODY_FIXED + keyLen) : EMPTY,
    size: HEADER + bodyLen,
  };
}

/**
 * After a bad frame at `bad`, the next good record of this log: a frame that parses, with a good checksum, this
 * priority and a sequence number after `expected`. Searched byte by byte, as the bad frame's length may be the
 * damaged part. Undefined if there is none (a torn tail).
 */
export function resync(buf: Buffer, bad: number, expected: number, priority: number): { off: number; seq: number } | undefined {
  for (let off = bad + 1; off + HEADER + BODY_FIXED <= buf.length; off++) {
    if (buf[off + HEADER + 1] !== priority) continue;
    const fmt = buf[off + HEADER];
    if (fmt !== FORMAT && fmt !== TOMBSTONE) continue;
    const seq = buf.readDoubleLE(off + HEADER + 4);
    if (!Number.isInteger(seq) || seq < expected || seq > expected + buf.length) continue;
    const r = parse(buf, off, true, false);
    if (r !== "short" && r !== "bad") return { off, seq: r.seq };
  }
  return undefined;
}
