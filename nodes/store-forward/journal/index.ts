/**
 * The store-and-forward journal: an append-only log on disk that survives restarts and power loss,
 * hands records out for delivery and forgets them only when they are acknowledged.
 *
 * Layout of the storage directory:
 *   p0/ p1/ p2/          one log per priority, so replay (P0 first, oldest first within a priority) is a
 *                        sequential read of each log
 *     <seq>.seg          segment files, named by the sequence number of their first record
 *     cursor.json        the first unacknowledged record (seq, segment, offset) and the records after it
 *                        that are acknowledged already, replaced atomically
 *   quarantine/          segments found corrupt on open, kept for inspection
 *
 * A record on disk: u32 body length, u32 CRC-32 of the body, then the body:
 *   u8 format (1), u8 priority, u16 key length, f64 sequence number, f64 enqueue time (epoch ms), key, data.
 *
 * Memory does not grow with the backlog: the journal keeps counters, positions and the records that are
 * out for delivery (a bounded window), never the backlog itself.
 */
import fs from "node:fs";
import path from "node:path";
import { crc32 } from "./crc32";

export type Priority = 0 | 1 | 2;
export const PRIORITIES: readonly Priority[] = [0, 1, 2];
export type Durability = "always" | "batch" | "os";
export type Overflow = "drop-oldest" | "drop-newest" | "reject";
export type DropReason = "overflow" | "expired" | "purged" | "disk-full" | "corrupt";

export interface JournalOptions {
  dir: string;
  /** always: fsync before an append resolves; batch: fsync at least every syncIntervalMs; os: no fsync. */
  durability: Durability;
  syncIntervalMs: number;
  /** A new segment is started once the current one holds this many bytes. */
  segmentBytes: number;
  maxBytes: number;
  maxRecords: number;
  maxAgeMs: number;
  overflow: Overflow;
  /**
   * How often the position of the first unacknowledged record is written (ms, default 1000). Each write is
   * a small file replaced atomically; after a power failure up to this much acknowledged delivery is sent
   * again (a duplicate, with the same key).
   */
  cursorIntervalMs?: number;
  now?: () => number;
}

export interface StoredRecord {
  /** Unique within this journal: "p<priority>-<seq>". */
  id: string;
  priority: Priority;
  seq: number;
  enqueuedAt: number;
  key: string;
  data: Buffer;
  /** Bytes the record takes on disk. */
  size: number;
}

export interface RecoveryReport {
  records: number;
  bytes: number;
  /** Bytes cut off the end of a log: a write that power loss interrupted. */
  tornBytes: number;
  /** Records that were stored and could not be read back (corrupt segments). */
  lost: number;
  quarantined: string[];
}

export interface AppendResult {
  accepted: boolean;
  id?: string;
  /** Why an incoming record was refused (drop-newest, or disk full). */
  reason?: DropReason;
}

export interface JournalStats {
  depth: number;
  bytes: number;
  byPriority: number[];
  oldestEnqueuedAt: number | undefined;
  drops: Record<DropReason, number>;
  bytesWritten: number;
  appended: number;
  acked: number;
}

/** An error that says the journal refused a record under the reject policy: the caller should done(err). */
export class JournalFullError extends Error {
  override readonly name = "JournalFullError";
}

const HEADER = 8;
const BODY_FIXED = 20;
const FORMAT = 1;
/** A placeholder for a record lost to corruption: keeps the sequence unbroken, is never delivered. */
const TOMBSTONE = 2;
const READ_CHUNK = 256 * 1024;
const EMPTY = Buffer.alloc(0);

interface Segment {
  first: number;
  file: string;
  size: number;
}

interface Position {
  seg: number; // index into segments
  off: number;
  seq: number;
}

interface OutRecord {
  seq: number;
  size: number;
  end: Position;
  acked: boolean;
  enqueuedAt: number;
}

interface Pending {
  seq: number;
  frame: Buffer;
  size: number;
  waiter: Waiter;
}

interface Waiter {
  resolve: (result?: AppendResult) => void;
  reject: (err: Error) => void;
}

function frame(priority: Priority, seq: number, enqueuedAt: number, key: string, data: Buffer, format = FORMAT): Buffer {
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

interface Parsed {
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
function parse(buf: Buffer, off: number, verify: boolean, full = true): Parsed | "short" | "bad" {
  if (off + HEADER > buf.length) return "short";
  const bodyLen = buf.readUInt32LE(off);
  if (bodyLen < BODY_FIXED || bodyLen > 256 * 1024 * 1024) return "bad";
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

const segName = (first: number) => `${String(first).padStart(16, "0")}.seg`;

function fsyncDir(dir: string): void {
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
function writeAll(fd: number, data: Buffer, position: number): void {
  let off = 0;
  while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off, position + off);
}

/** Write a small file atomically: write a temporary file, fsync it, rename it over the old one. */
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
function writeInPlace(file: string, text: string, sync: boolean): void {
  const buf = Buffer.from(text);
  const fd = fs.openSync(file, "r+");
  try {
    writeAll(fd, buf, 0);
    fs.ftruncateSync(fd, buf.length);
    if (sync) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * After a bad frame at `bad`, the next good record of this log: a frame that parses, with a good checksum, this
 * priority and a sequence number after `expected`. Searched byte by byte, as the bad frame's length may be the
 * damaged part. Undefined if there is none (a torn tail).
 */
function resync(buf: Buffer, bad: number, expected: number, priority: number): { off: number; seq: number } | undefined {
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

class PriorityLog {
  readonly dir: string;
  segments: Segment[] = [];
  head: Position = { seg: 0, off: 0, seq: 1 };
  read: Position = { seg: 0, off: 0, seq: 1 };
  nextSeq = 1;
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
  private chunk: { seg: number; start: number; buf: Buffer } | undefined;

  constructor(
    root: string,
    readonly priority: Priority,
  ) {
    this.dir = path.join(root, `p${priority}`);
  }

  /** Open, recover and report. Synchronous file reads in bounded chunks. */
  recover(report: RecoveryReport, quarantineDir: string): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const names = fs.readdirSync(this.dir).filter((f) => /^\d{16}\.seg$/.test(f)).sort();
    this.segments = names.map((f) => ({ first: Number(f.slice(0, 16)), file: path.join(this.dir, f), size: fs.statSync(path.join(this.dir, f)).size }));
    let cursor: { seq: number; segment: number; offset: number; acked?: number[] } | undefined;
    try {
      cursor = JSON.parse(fs.readFileSync(path.join(this.dir, "cursor.json"), "utf8"));
      // Written in place on a full disk, with a checksum of the cursor without it: a torn write does not count.
      if (cursor && typeof (cursor as { crc?: unknown }).crc === "number") {
        const { crc, ...rest } = cursor as typeof cursor & { crc: number };
        cursor = crc32(Buffer.from(JSON.stringify(rest))) === crc ? rest : undefined;
      }
    } catch {
      cursor = undefined;
    }
    // Segments wholly before the cursor's segment are delivered: delete them.
    let start = 0;
    if (cursor && !(typeof cursor.seq === "number" && typeof cursor.segment === "number" && typeof cursor.offset === "number")) cursor = undefined;
    // Records after the first unacknowledged one that were acknowledged already: not delivered again.
    if (cursor && Array.isArray(cursor.acked)) {
      const head = cursor.seq;
      this.preAcked = new Set(cursor.acked.filter((x) => typeof x === "number" && x > head));
    }
    if (cursor) {
      const c = cursor;
      start = this.segments.findIndex((s) => s.first === c.segment);
      if (start < 0) {
        // The cursor names a segment that is not there: start from the segment that holds its record.
        const holding = this.segments.filter((s) => s.first <= c.seq).length - 1;
        start = Math.max(0, holding);
        cursor = { seq: c.seq, segment: this.segments[start]?.first ?? c.seq, offset: 0 };
      }
    }
    for (const s of this.segments.slice(0, start)) fs.rmSync(s.file, { force: true });
    this.segments = this.segments.slice(start);

    let expected = cursor?.seq ?? (this.segments[0]?.first ?? 1);
    let first = true;
    for (let i = 0; i < this.segments.length; i++) {
      const s = this.segments[i];
      const isLast = i === this.segments.length - 1;
      let off = 0;
      let seq = s.first;
      let skipBelow = 0;
      if (first && cursor && cursor.segment === s.first && cursor.offset > 0 && cursor.offset <= s.size) {
        off = cursor.offset;
        seq = cursor.seq;
      } else if (first && cursor && cursor.seq > s.first) {
        skipBelow = cursor.seq; // delivered records at the start of the segment
      }
      if (first) {
        this.head = { seg: 0, off, seq };
        expected = seq;
      }
      first = false;
      if (s.first > expected) {
        // A gap: records between were in a segment that is gone.
        report.lost += s.first - expected;
        expected = s.first;
        if (i === 0) this.head = { seg: 0, off: 0, seq: s.first };
      }
      const each = (rec: Parsed, at: number) => {
        if (rec.seq < skipBelow) {
          this.head = { seg: 0, off: at + rec.size, seq: rec.seq + 1 };
          return;
        }
        if (rec.tombstone) this.preAcked.add(rec.seq);
        if (this.preAcked.has(rec.seq)) return;
        this.depth++;
        this.bytes += rec.size;
        if (this.headTime === undefined) this.headTime = rec.enqueuedAt;
      };
      let from = off;
      let quarantined = false;
      for (;;) {
        const result = this.scan(s, from, expected, each);
        expected = result.nextSeq;
        if (result.badAt === undefined) break;
        const bad = result.badAt;
        const whole = fs.readFileSync(s.file);
        const found = resync(whole, bad, expected, this.priority);
        if (!found && isLast) {
          // Nothing valid after it: a write cut short by a crash or power cut, whose done() never fired.
          report.tornBytes += s.size - bad;
          fs.truncateSync(s.file, bad);
          s.size = bad;
          break;
        }
        // Corruption: keep a copy, put a tombstone in place of each record lost (so the sequence stays
        // unbroken and the loss is counted once, not at every start) and keep every good record after it.
        if (!quarantined) {
          const q = path.join(quarantineDir, `p${this.priority}-${path.basename(s.file)}.corrupt`);
          fs.mkdirSync(quarantineDir, { recursive: true });
          fs.copyFileSync(s.file, q);
          report.quarantined.push(q);
          quarantined = true;
        }
        const upTo = found ? found.seq : this.segments[i + 1].first;
        const stones: Buffer[] = [];
        for (let q = expected; q < upTo; q++) stones.push(frame(this.priority, q, Date.now(), "", EMPTY, TOMBSTONE));
        report.lost += Math.max(0, upTo - expected);
        const repaired = Buffer.concat([whole.subarray(0, bad), ...stones, found ? whole.subarray(found.off) : EMPTY]);
        writeFileAtomic(s.file, repaired, true);
        s.size = repaired.length;
        from = bad;
      }
    }
    this.nextSeq = expected;
    if (this.segments.length === 0) this.head = { seg: 0, off: 0, seq: this.nextSeq };
    // A cursor can be ahead of the log: after a power cut, records acknowledged before they were synced are
    // gone. Acks of records that are not there are void (new records will take their numbers), and the
    // cursor is written again at once, so that it never points past the log or into a new record.
    let void_ = 0;
    for (const q of this.preAcked) if (q >= this.nextSeq && this.preAcked.delete(q)) void_++;
    const at = this.segments[this.head.seg];
    this.cursorDirty = cursor !== undefined && (void_ > 0 || cursor.seq !== this.head.seq || cursor.offset !== this.head.off || cursor.segment !== (at ? at.first : this.head.seq));
    this.read = { ...this.head };
    report.records += this.depth;
    report.bytes += this.bytes;
  }

  /** Scan a segment from `off`, verifying every record. */
  private scan(s: Segment, off: number, seq: number, each: (r: Parsed, at: number) => void): { nextSeq: number; badAt?: number } {
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

  /** The record at position p (must be written), without verifying its checksum again. */
  readAt(p: Position): Parsed | undefined {
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

  invalidateChunk(): void {
    this.chunk = undefined;
  }
}

export class Journal {
  private logs: PriorityLog[];
  private opts: Required<JournalOptions>;
  private drops: Record<DropReason, number> = { overflow: 0, expired: 0, purged: 0, "disk-full": 0, corrupt: 0 };
  private bytesWritten = 0;
  private appended = 0;
  private acked = 0;
  private flushing = false;
  private flushScheduled = false;
  private syncWaiters: Waiter[] = [];
  /** A write failed for want of space; the next write that succeeds clears it. */
  private noSpace = false;
  /** fsyncs in flight per file descriptor, and descriptors to close once theirs are done. */
  private fsyncing = new Map<number, number>();
  private closeAfterSync = new Set<number>();
  private syncTimer: NodeJS.Timeout | undefined;
  private cursorTimer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly recovery: RecoveryReport;
  /** Called with the ids of records that were handed out and then dropped (evicted, expired, purged). */
  onDrop: (ids: string[], reason: DropReason) => void = () => undefined;
  /** Called after a write lands on disk, when new records may be ready to hand out. */
  onWritten: () => void = () => undefined;

  private constructor(opts: JournalOptions) {
    this.opts = { cursorIntervalMs: 1000, now: Date.now, ...opts };
    fs.mkdirSync(opts.dir, { recursive: true });
    this.recovery = { records: 0, bytes: 0, tornBytes: 0, lost: 0, quarantined: [] };
    this.logs = PRIORITIES.map((p) => new PriorityLog(opts.dir, p));
    for (const log of this.logs) log.recover(this.recovery, path.join(opts.dir, "quarantine"));
    this.drops.corrupt = this.recovery.lost;
    for (const log of this.logs) this.skipAcked(log);
    this.writeCursors(this.opts.durability !== "os");
  }

  /** Open the journal in `opts.dir`, recovering what is there. */
  static open(opts: JournalOptions): Journal {
    return new Journal(opts);
  }

  get depth(): number {
    return this.logs.reduce((n, l) => n + l.depth, 0);
  }

  get bytes(): number {
    return this.logs.reduce((n, l) => n + l.bytes, 0);
  }

  stats(): JournalStats {
    const times = this.logs.map((l) => (l.depth > 0 ? this.headTime(l) : undefined)).filter((t): t is number => t !== undefined);
    return {
      depth: this.depth,
      bytes: this.bytes,
      byPriority: this.logs.map((l) => l.depth),
      oldestEnqueuedAt: times.length ? Math.min(...times) : undefined,
      drops: { ...this.drops },
      bytesWritten: this.bytesWritten,
      appended: this.appended,
      acked: this.acked,
    };
  }

  /**
   * Append a record. Resolves once it is as durable as the durability setting promises; rejects with a
   * JournalFullError under the reject policy, or with the file system's error. `accepted: false` means
   * the record was refused under drop-newest (or for want of disk space) and counted as a drop.
   */
  append(priority: Priority, key: string, data: Buffer): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error("store is closed"));
    const log = this.logs[priority];
    const now = this.opts.now();
    const seq = log.nextSeq;
    let buf: Buffer;
    try {
      buf = frame(priority, seq, now, key, data);
    } catch (err) {
      return Promise.reject(err);
    }
    if (buf.length > this.opts.maxBytes) {
      // It could never fit: refuse it under every policy rather than evict everything else first.
      return Promise.reject(new JournalFullError(`record of ${buf.length} bytes is larger than the store (max bytes ${this.opts.maxBytes}): record refused`));
    }
    if (!this.makeRoom(buf.length)) {
      if (this.opts.overflow === "reject") {
        return Promise.reject(new JournalFullError(`store is full (${this.depth} records, ${this.bytes} bytes): record refused`));
      }
      this.drops.overflow++;
      return Promise.resolve({ accepted: false, reason: "overflow" });
    }
    log.nextSeq++;
    log.depth++;
    log.bytes += buf.length;
    if (log.depth === 1) log.headTime = now;
    this.appended++;
    return new Promise<AppendResult>((resolve, reject) => {
      log.pending.push({
        seq,
        frame: buf,
        size: buf.length,
        waiter: { resolve: (r) => resolve(r ?? { accepted: true, id: `p${priority}-${seq}` }), reject },
      });
      this.scheduleFlush();
    });
  }

  /** Whether a record of `size` bytes fits, evicting under drop-oldest. */
  private makeRoom(size: number): boolean {
    const { maxBytes, maxRecords } = this.opts;
    const full = () => this.depth + 1 > maxRecords || this.bytes + size > maxBytes;
    if (!full()) return true;
    if (this.opts.overflow !== "drop-oldest") return false;
    // Lowest priority first; P0 only when nothing else is left.
    for (let p = 2; p >= 0 && full(); p--) {
      const log = this.logs[p];
      while (full() && this.evictHead(log, "overflow")) {
        /* evicted one */
      }
      // Records appended in this same tick are not on disk yet: write them, then they can be evicted.
      if (full() && log.pending.length && this.writePending()) p++;
    }
    return !full();
  }

  private headTime(log: PriorityLog): number | undefined {
    if (log.headTime !== undefined) return log.headTime;
    const r = log.readAt(log.normalize(log.head));
    if (r) log.headTime = r.enqueuedAt;
    else if (log.pending.length) log.headTime = undefined;
    return log.headTime;
  }

  /** Drop the oldest unacknowledged record of a log. False if it has none on disk. */
  private evictHead(log: PriorityLog, reason: DropReason): boolean {
    this.skipAcked(log);
    if (log.depth === 0) return false;
    const out = log.out[0];
    if (out && out.seq === log.head.seq) {
      log.out.shift();
      this.advanceHead(log, out.end);
      log.depth--;
      log.bytes -= out.size;
      this.drops[reason]++;
      this.onDrop([`p${log.priority}-${out.seq}`], reason);
      this.skipAcked(log);
      return true;
    }
    const head = log.normalize(log.head);
    const r = log.readAt(head);
    if (!r) return false; // only unwritten records are left
    const end = log.after(head, r.size);
    if (log.read.seq === head.seq) log.read = end;
    this.advanceHead(log, end);
    log.depth--;
    log.bytes -= r.size;
    this.drops[reason]++;
    return true;
  }

  private advanceHead(log: PriorityLog, to: Position): void {
    log.head = to;
    log.headTime = undefined;
    log.cursorDirty = true;
    this.scheduleCursor();
  }

  /** Move the head past records that are acknowledged. */
  private skipAcked(log: PriorityLog): void {
    for (;;) {
      if (log.out.length && log.out[0].acked) {
        const o = log.out.shift() as OutRecord;
        this.advanceHead(log, o.end);
        continue;
      }
      if (log.out.length === 0 && log.preAcked.size > 0 && log.preAcked.has(log.head.seq)) {
        const head = log.normalize(log.head);
        const r = log.readAt(head);
        if (!r) return;
        log.preAcked.delete(r.seq);
        const end = log.after(head, r.size);
        if (log.read.seq === head.seq) log.read = end;
        this.advanceHead(log, end);
        continue;
      }
      return;
    }
  }

  /** Expire records older than maxAgeMs, oldest first; returns how many were dropped. */
  expire(): number {
    const limit = this.opts.now() - this.opts.maxAgeMs;
    let n = 0;
    for (const log of this.logs) {
      for (;;) {
        const t = log.depth > 0 ? this.headTime(log) : undefined;
        if (t === undefined || t >= limit || !this.evictHead(log, "expired")) break;
        n++;
      }
    }
    return n;
  }

  /** Drop every stored record. */
  purge(): number {
    let n = 0;
    for (const log of this.logs) while (this.evictHead(log, "purged")) n++;
    return n;
  }

  /**
   * The next record to deliver (P0 first, oldest first within a priority), or undefined. The record stays
   * stored until ack(); it is handed out once per call of next() (resending is the caller's business).
   */
  next(): StoredRecord | undefined {
    for (const log of this.logs) {
      for (;;) {
        const p = log.normalize(log.read);
        const r = log.readAt(p);
        if (!r) break;
        const end = log.after(p, r.size);
        log.read = end;
        if (log.preAcked.delete(r.seq)) {
          // Delivered before the restart: keep its place so the head can pass it, do not send it again.
          log.out.push({ seq: r.seq, size: r.size, end, acked: true, enqueuedAt: r.enqueuedAt });
          this.skipAcked(log);
          continue;
        }
        log.out.push({ seq: r.seq, size: r.size, end, acked: false, enqueuedAt: r.enqueuedAt });
        return { id: `p${log.priority}-${r.seq}`, priority: log.priority, seq: r.seq, enqueuedAt: r.enqueuedAt, key: r.key, data: Buffer.from(r.data), size: r.size };
      }
    }
    return undefined;
  }

  /** True if a record is ready to hand out. */
  hasNext(): boolean {
    return this.logs.some((log) => {
      const p = log.normalize(log.read);
      const s = log.segments[p.seg];
      return s !== undefined && p.off < s.size;
    });
  }

  /** Acknowledge delivery of a handed-out record. Unknown or repeated ids are ignored (false). */
  ack(id: string): boolean {
    const m = /^p([012])-(\d+)$/.exec(id);
    if (!m) return false;
    const log = this.logs[Number(m[1])];
    const seq = Number(m[2]);
    const o = log.out.find((x) => x.seq === seq);
    if (!o || o.acked) return false;
    o.acked = true;
    log.depth--;
    log.bytes -= o.size;
    this.acked++;
    // Out-of-order acks are written to the cursor too, so a restart does not send them again.
    log.cursorDirty = true;
    this.scheduleCursor();
    this.skipAcked(log);
    return true;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (!this.closed || this.logs.some((l) => l.pending.length)) this.flush();
    });
  }

  /** Write what is pending, then sync as the durability setting says. */
  private flush(): void {
    const wrote = this.writePending();
    if (this.opts.durability === "batch" && this.syncWaiters.length) this.scheduleSync();
    if (this.opts.durability === "always") this.syncAlways();
    if (wrote) this.onWritten();
  }

  /** always: one fsync at a time; appends written meanwhile wait for the next one (group commit). */
  private syncAlways(): void {
    if (this.flushing || this.syncWaiters.length === 0) return;
    this.flushing = true;
    this.syncNow(() => {
      this.flushing = false;
      this.syncAlways();
    });
  }

  /**
   * Write every pending record, one write per log and segment (synchronous: the data goes to the page
   * cache). Resolves the appends right away under durability "os"; the others wait for an fsync.
   */
  private writePending(): boolean {
    let wrote = false;
    for (const log of this.logs) {
      if (log.pending.length === 0) continue;
      const batch = log.pending;
      log.pending = [];
      let i = 0;
      while (i < batch.length) {
        try {
          const seg = this.tailSegment(log, batch[i].seq);
          const bufs: Buffer[] = [];
          let size = 0;
          let j = i;
          while (j < batch.length && (j === i || seg.size + size + batch[j].size <= this.opts.segmentBytes)) {
            bufs.push(batch[j].frame);
            size += batch[j].size;
            j++;
          }
          const data = bufs.length === 1 ? bufs[0] : Buffer.concat(bufs, size);
          // The read cache stays valid: an append never changes bytes already written.
          writeAll(log.fd as number, data, seg.size);
          this.noSpace = false;
          seg.size += size;
          this.bytesWritten += size;
          wrote = true;
          for (let k = i; k < j; k++) {
            if (this.opts.durability === "os") batch[k].waiter.resolve();
            else this.syncWaiters.push(batch[k].waiter);
          }
          i = j;
        } catch (err) {
          this.failBatch(log, batch.slice(i), err as NodeJS.ErrnoException);
          break;
        }
      }
    }
    return wrote;
  }

  /** A write failed (disk full, I/O error): cut the partial write off, undo the counters, tell the callers. */
  private failBatch(log: PriorityLog, failed: Pending[], err: NodeJS.ErrnoException): void {
    const seg = log.segments[log.segments.length - 1];
    log.invalidateChunk();
    try {
      if (seg && log.fd !== undefined) fs.ftruncateSync(log.fd, seg.size);
    } catch {
      // the next recovery cuts a torn tail in any case
    }
    // Every record after the first failed one was not written: give back their sequence numbers.
    log.nextSeq = failed[0].seq;
    for (const p of failed) {
      log.depth--;
      log.bytes -= p.size;
      this.appended--;
    }
    const diskFull = err.code === "ENOSPC" || err.code === "EDQUOT";
    if (diskFull) this.noSpace = true;
    const reject = this.opts.overflow === "reject" || !diskFull;
    for (const p of failed) {
      if (reject) p.waiter.reject(diskFull ? new JournalFullError(`disk full: ${err.message}`) : err);
      else {
        this.drops["disk-full"]++;
        p.waiter.resolve({ accepted: false, reason: "disk-full" });
      }
    }
    // Free space for what comes next: under drop-oldest, evict the oldest segment's worth of records.
    if (diskFull && this.opts.overflow === "drop-oldest") {
      const target = Math.max(this.opts.segmentBytes, failed.reduce((n, p) => n + p.size, 0));
      let freed = 0;
      for (let p = 2; p >= 0 && freed < target; p--) {
        const l = this.logs[p];
        for (;;) {
          const before = l.bytes;
          if (freed >= target || !this.evictHead(l, "disk-full")) break;
          freed += before - l.bytes;
        }
      }
      this.writeCursors(true);
    }
  }

  /**
   * On a full disk, a log whose records on disk are all delivered gives its segments back at once: the head
   * never passes the tail segment, so it is otherwise kept until it is full, and space would never free up.
   */
  private releaseDelivered(log: PriorityLog): void {
    const last = log.segments[log.segments.length - 1];
    if (!last || log.out.length > 0) return;
    const head = log.normalize(log.head);
    if (head.seg !== log.segments.length - 1 || head.off < last.size) return;
    if (log.fd !== undefined) {
      const fd = log.fd;
      log.fd = undefined;
      if (this.fsyncing.has(fd)) this.closeAfterSync.add(fd);
      else fs.closeSync(fd);
    }
    const files = log.segments.map((s) => s.file);
    log.segments = [];
    log.head = log.read = { seg: 0, off: 0, seq: head.seq };
    log.headTime = undefined;
    log.invalidateChunk();
    // The cursor names the next record, in a segment not written yet: a recovery skips what is left of the old ones.
    log.cursorDirty = true;
    this.writeCursors(this.opts.durability !== "os");
    for (const f of files) fs.rmSync(f, { force: true });
  }

  /** The segment the record `seq` goes to, starting a new one when the current one is full. */
  private tailSegment(log: PriorityLog, seq: number): Segment {
    if (this.noSpace) this.releaseDelivered(log);
    let seg = log.segments[log.segments.length - 1];
    if (!seg || (seg.size >= this.opts.segmentBytes && seg.size > 0)) {
      if (log.fd !== undefined) {
        const fd = log.fd;
        log.fd = undefined;
        if (this.opts.durability !== "os") fs.fsyncSync(fd);
        // An fsync of this file may still be queued: close it when that one is done, not under it.
        if (this.fsyncing.has(fd)) this.closeAfterSync.add(fd);
        else fs.closeSync(fd);
      }
      seg = { first: seq, file: path.join(log.dir, segName(seq)), size: 0 };
      log.segments.push(seg);
      if (log.segments.length === 1) log.head = log.read = { seg: 0, off: 0, seq };
      log.fd = fs.openSync(seg.file, "a");
      if (this.opts.durability !== "os") fsyncDir(log.dir);
    } else if (log.fd === undefined) {
      log.fd = fs.openSync(seg.file, "a");
    }
    return seg;
  }

  private scheduleSync(): void {
    if (this.syncTimer) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      this.syncNow();
    }, this.opts.syncIntervalMs);
  }

  /** fsync every open segment and resolve the appends waiting for it. */
  private syncNow(cb?: () => void): void {
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    const fds = this.logs.map((l) => l.fd).filter((fd): fd is number => fd !== undefined);
    if (fds.length === 0) {
      for (const w of waiters) w.resolve();
      cb?.();
      return;
    }
    let left = fds.length;
    let failure: Error | undefined;
    for (const fd of fds) {
      this.fsyncing.set(fd, (this.fsyncing.get(fd) ?? 0) + 1);
      fs.fsync(fd, (err) => {
        const n = (this.fsyncing.get(fd) ?? 1) - 1;
        if (n > 0) this.fsyncing.set(fd, n);
        else {
          this.fsyncing.delete(fd);
          if (this.closeAfterSync.delete(fd)) fs.close(fd, () => undefined);
        }
        if (err) failure = err;
        if (--left === 0) {
          for (const w of waiters) {
            if (failure) w.reject(failure);
            else w.resolve();
          }
          cb?.();
        }
      });
    }
  }

  private scheduleCursor(): void {
    if (this.cursorTimer || this.closed) return;
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = undefined;
      this.writeCursors(this.opts.durability !== "os");
    }, this.opts.cursorIntervalMs);
  }

  /** Persist each log's head and delete the segments it has passed. */
  private writeCursors(sync: boolean): void {
    for (const log of this.logs) {
      if (!log.cursorDirty) continue;
      log.cursorDirty = false;
      log.head = log.normalize(log.head);
      const seg = log.segments[log.head.seg];
      const acked = [...log.out.filter((o) => o.acked).map((o) => o.seq), ...log.preAcked];
      const cursor = { seq: log.head.seq, segment: seg ? seg.first : log.head.seq, offset: log.head.off, ...(acked.length ? { acked } : {}) };
      const text = JSON.stringify(cursor);
      try {
        try {
          writeFileAtomic(path.join(log.dir, "cursor.json"), text, sync);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOSPC" && (err as NodeJS.ErrnoException).code !== "EDQUOT") throw err;
          // A full disk has no block for a new file: overwrite the cursor in place, with a checksum. A torn
          // overwrite is detected on recovery and replays from the oldest segment (duplicates, never a loss),
          // and the delivered segments can go, which gives the space back.
          writeInPlace(path.join(log.dir, "cursor.json"), JSON.stringify({ ...cursor, crc: crc32(Buffer.from(text)) }), sync);
        }
      } catch {
        // A full disk or an I/O error: keep the segments and try again later. Never throw from a timer.
        log.cursorDirty = true;
        this.scheduleCursor();
        continue;
      }
      this.bytesWritten += text.length;
      // Whole segments before the head are delivered.
      const dead = log.head.seg;
      if (dead > 0) {
        // Positions at the end of a segment about to go move to the start of the next one first: the read
        // position sits there when the segment after it was started since the last read.
        const read = log.normalize(log.read);
        const ends = log.out.map((o) => log.normalize(o.end));
        for (const s of log.segments.slice(0, dead)) fs.rmSync(s.file, { force: true });
        log.segments = log.segments.slice(dead);
        log.head = { ...log.head, seg: 0 };
        log.read = { ...read, seg: Math.max(0, read.seg - dead) };
        log.out.forEach((o, k) => (o.end = { ...ends[k], seg: Math.max(0, ends[k].seg - dead) }));
        log.invalidateChunk();
      }
    }
  }

  /** Write and sync everything, persist the cursors, close the files. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        this.closed = true;
        if (this.syncTimer) clearTimeout(this.syncTimer);
        if (this.cursorTimer) clearTimeout(this.cursorTimer);
        this.syncTimer = this.cursorTimer = undefined;
        try {
          this.writeCursors(this.opts.durability !== "os");
        } finally {
          for (const log of this.logs) {
            if (log.fd !== undefined) fs.closeSync(log.fd);
            log.fd = undefined;
          }
          resolve();
        }
      };
      const waitFlush = () => {
        this.writePending();
        if (this.flushing) {
          setImmediate(waitFlush);
          return;
        }
        if (this.syncTimer) {
          clearTimeout(this.syncTimer);
          this.syncTimer = undefined;
        }
        if (this.opts.durability !== "os") this.syncNow(finish);
        else finish();
      };
      waitFlush();
    });
  }
}
