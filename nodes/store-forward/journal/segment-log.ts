/**
 * The segment log of one priority: its segment files (named by the sequence number of their first record),
 * the positions in it (head: first unacknowledged record; read: next to hand out), the records out for delivery,
 * and reading records back.
 */
import fs from "node:fs";
import path from "node:path";
import { storageError } from "../../shared/durable-file";
import { BODY_FIXED, HEADER, parse, type Parsed } from "./frame";
import type { OutRecord, Pending, Position, Priority, Segment, Written } from "./types";

export const READ_CHUNK = 256 * 1024;
/** Bytes of records written and not yet handed out that are kept in memory (beyond, next() reads them back). */
export const WRITTEN_KEEP_BYTES = 1024 * 1024;
export const segName = (first: number) => `${String(first).padStart(16, "0")}.seg`;
export const SEGMENT_NAME = /^\d{16}\.seg$/;

export class PriorityLog {
  readonly dir: string;
  segments: Segment[] = [];
  head: Position = { seg: 0, off: 0, seq: 1 };
  read: Position = { seg: 0, off: 0, seq: 1 };
  nextSeq = 1;
  /** Every record below it is on disk (set on open, at each segment switch, on close): the cursor's `next`. */
  durableNext = 1;
  /** Tombstones (placeholders of records lost) among preAcked: never written into the cursor's acked list. */
  stones = new Set<number>();
  depth = 0;
  bytes = 0;
  /** Records handed out and not yet passed by the head, in order. */
  out: OutRecord[] = [];
  /** Acknowledged before a restart although an earlier record was not (from the cursor file). */
  preAcked = new Set<number>();
  pending: Pending[] = [];
  fd: number | undefined;
  dirty = false;
  cursorDirty = false;
  headTime: number | undefined;
  /** Records written and not yet handed out, by sequence number, at most WRITTEN_KEEP_BYTES of them. */
  written = new Map<number, Written>();
  writtenBytes = 0;
  private chunk: { seg: number; start: number; buf: Buffer } | undefined;

  constructor(
    root: string,
    readonly priority: Priority,
  ) {
    this.dir = path.join(root, `p${priority}`);
  }

  /** Scan a segment from `off`, verifying every record. */
  scan(s: Segment, off: number, seq: number, each: (r: Parsed, at: number) => void): { nextSeq: number; badAt?: number } {
    const fd = fs.openSync(s.file, "r");
    try {
      let buf = Buffer.alloc(0);
      let bufStart = off;
      let pos = off;
      for (;;) {
        const rel = pos - bufStart;
        const r = parse(buf, rel, true, false);
        if (r === "short") {
          if (bufStart + buf.length >= s.size) return pos === s.size ? { nextSeq: seq } : { nextSeq: seq, badAt: pos };
          const frameLen = rel + 4 <= buf.length ? buf.readUInt32LE(rel) + HEADER : 0;
          const want = Math.max(READ_CHUNK, frameLen);
          const next = Buffer.allocUnsafe(Math.min(want, s.size - pos));
          const n = fs.readSync(fd, next, 0, next.length, pos);
          buf = next.subarray(0, n);
          bufStart = pos;
          if (n === 0) return { nextSeq: seq, badAt: pos };
          continue;
        }
        if (r === "bad" || r.seq !== seq || r.priority !== this.priority) return { nextSeq: seq, badAt: pos };
        each(r, pos);
        pos += r.size;
        seq++;
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Told of a read that failed (EIO, a segment truncated or deleted while running); the read returns undefined. */
  onReadError: (err: Error) => void = () => undefined;

  /**
   * The record at position p (must be written), without verifying its checksum again. A read that fails is
   * reported and returns undefined: it never throws into a timer or an I/O callback (issue 7, item 6).
   */
  readAt(p: Position): Parsed | undefined {
    try {
      return this.readAtUnsafe(p);
    } catch (err) {
      this.invalidateChunk();
      this.onReadError(storageError(err, "read", this.segments[p.seg]?.file ?? this.dir));
      return undefined;
    }
  }

  private readAtUnsafe(p: Position): Parsed | undefined {
    const s = this.segments[p.seg];
    if (!s || p.off >= s.size) return undefined;
    let c = this.chunk;
    if (!c || c.seg !== p.seg || p.off < c.start || p.off + HEADER > c.start + c.buf.length) {
      c = this.load(p.seg, p.off, READ_CHUNK);
    }
    let r = parse(c.buf, p.off - c.start, false);
    if (r === "short") {
      const len = c.buf.readUInt32LE(p.off - c.start) + HEADER;
      c = this.load(p.seg, p.off, Math.max(READ_CHUNK, len));
      r = parse(c.buf, 0, false);
    }
    if (r === "short" || r === "bad") return undefined;
    return r;
  }

  private load(seg: number, off: number, len: number): { seg: number; start: number; buf: Buffer } {
    const s = this.segments[seg];
    const buf = Buffer.allocUnsafe(Math.min(len, s.size - off));
    const fd = fs.openSync(s.file, "r");
    try {
      const n = fs.readSync(fd, buf, 0, buf.length, off);
      if (n < HEADER) throw Object.assign(new Error(`segment ended at ${off + n} of ${s.size} bytes (truncated while running)`), { code: "EIO" });
      this.chunk = { seg, start: off, buf: buf.subarray(0, n) };
    } finally {
      fs.closeSync(fd);
    }
    return this.chunk;
  }

  /** Position after the record at p whose size is `size`, moving to the next segment at the end. */
  after(p: Position, size: number): Position {
    let q = { seg: p.seg, off: p.off + size, seq: p.seq + 1 };
    const s = this.segments[q.seg];
    if (s && q.off >= s.size && q.seg + 1 < this.segments.length) q = { seg: q.seg + 1, off: 0, seq: q.seq };
    return q;
  }

  normalize(p: Position): Position {
    const s = this.segments[p.seg];
    if (s && p.off >= s.size && p.seg + 1 < this.segments.length) return { seg: p.seg + 1, off: 0, seq: p.seq };
    return p;
  }

  /** Keep a record just written, if there is room, so that next() hands it out without reading it back. */
  keepWritten(p: Pending): void {
    if (this.writtenBytes + p.size > WRITTEN_KEEP_BYTES) return;
    const keyLen = p.frame.readUInt16LE(HEADER + 2);
    this.written.set(p.seq, { key: p.key, enqueuedAt: p.enqueuedAt, data: p.frame.subarray(HEADER + BODY_FIXED + keyLen), size: p.size });
    this.writtenBytes += p.size;
  }

  /** The kept record `seq`, taken out of the keep (and every older one with it: they were passed). */
  takeWritten(seq: number): Written | undefined {
    const w = this.written.get(seq);
    for (const [q, x] of this.written) {
      if (q > seq) break;
      this.written.delete(q);
      this.writtenBytes -= x.size;
    }
    return w;
  }

  invalidateChunk(): void {
    this.chunk = undefined;
  }

  /**
   * Bytes this log takes on disk from its head (the oldest unacknowledged record) to its end, and the records not
   * written yet: acknowledged records behind an unacknowledged head are counted, as their segment cannot be deleted
   * (issue 7, item 10). What lies before the head goes with the next cursor write (at most one segment's worth).
   */
  liveBytes(): number {
    let n = 0;
    for (const p of this.pending) n += p.size;
    if (this.segments.length === 0) return n;
    const h = this.normalize(this.head);
    for (let i = h.seg; i < this.segments.length; i++) n += this.segments[i].size;
    return Math.max(0, n - h.off);
  }

  /** True if a written record is ready to hand out. */
  hasNext(): boolean {
    const p = this.normalize(this.read);
    const s = this.segments[p.seg];
    return s !== undefined && p.off < s.size;
  }

  /** Delete the whole segments before the head's (delivered), once the cursor no longer names them. */
  dropPassedSegments(): void {
    const dead = this.head.seg;
    if (dead <= 0) return;
    // Positions at the end of a segment about to go move to the start of the next one first: the read
    // position sits there when the segment after it was started since the last read.
    const read = this.normalize(this.read);
    const ends = this.out.map((o) => this.normalize(o.end));
    for (const s of this.segments.slice(0, dead)) fs.rmSync(s.file, { force: true });
    this.segments = this.segments.slice(dead);
    this.head = { ...this.head, seg: 0 };
    this.read = { ...read, seg: Math.max(0, read.seg - dead) };
    this.out.forEach((o, k) => (o.end = { ...ends[k], seg: Math.max(0, ends[k].seg - dead) }));
    this.invalidateChunk();
  }
}
