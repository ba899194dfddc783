/**
 * The store-and-forward journal: an append-only log on disk that survives restarts and power loss,
 * hands records out for delivery and forgets them only when they are acknowledged.
 *
 * Layout of the storage directory:
 *   p0/ p1/ p2/          one log per priority, so replay (P0 first, oldest first within a priority) is a
 *                        sequential read of each log
 *     <seq>.seg          segment files, named by the sequence number of their first record (segment-log.ts)
 *     cursor.json        the first unacknowledged record (seq, segment, offset) and the records after it
 *                        that are acknowledged already, replaced atomically (cursor.ts)
 *   quarantine/          segments found corrupt on open, kept for inspection (recovery.ts)
 *
 * The record frame is in frame.ts, the caps and the overflow policy in caps.ts, writing and fsync in
 * group-commit.ts. This facade holds them together.
 *
 * Memory does not grow with the backlog: the journal keeps counters, positions and the records that are
 * out for delivery (a bounded window), never the backlog itself.
 */
import fs from "node:fs";
import path from "node:path";
import { Caps } from "./caps";
import { CURSOR_FILE, writeCursor } from "./cursor";
import { BODY_FIXED, HEADER, MAX_BODY, frame, frameSize } from "./frame";
import { GroupCommit } from "./group-commit";
import { DirLock } from "./lock";
import { recoverLog } from "./recovery";
import { PriorityLog } from "./segment-log";
import { JournalFullError, PRIORITIES, type AppendResult, type Counters, type DropReason, type JournalOptions, type JournalStats, type Priority, type RecoveryReport, type ResolvedOptions, type StoredRecord } from "./types";

import { ensureDir, storageError } from "../../shared/durable-file";

export { writeFileAtomic } from "../../shared/durable-file";
export { DEFAULT_SYNC_INTERVAL_MS, PAGE_BYTES, writeAmplification, type AmplificationInput } from "./sync-policy";
export { JournalFullError, PRIORITIES };
export type { AppendResult, Durability, DropReason, JournalOptions, JournalStats, Overflow, Priority, RecoveryReport, StoredRecord } from "./types";

/** At most this many records acknowledged out of order (after an unacknowledged one) are kept in a cursor file. */
export const MAX_HELD_ACKS = 10_000;

/** An accepted append. Its id string is made only if someone reads it (the forwarder reads the number). */
class Accepted implements AppendResult {
  readonly accepted = true;
  constructor(
    private readonly priority: Priority,
    readonly seq: number,
  ) {}

  get id(): string {
    return `p${this.priority}-${this.seq}`;
  }
}

/** The sequence number of a record id "p<0|1|2>-<digits>", else -1; no regular expression, no string made. */
export function parseId(id: string): number {
  if (typeof id !== "string") return -1;
  const n = id.length;
  if (n < 4 || n > 19 || id.charCodeAt(0) !== 112 /* p */ || id.charCodeAt(2) !== 45 /* - */) return -1;
  const p = id.charCodeAt(1) - 48;
  if (p < 0 || p > 2) return -1;
  let seq = 0;
  for (let i = 3; i < n; i++) {
    const c = id.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    seq = seq * 10 + c;
  }
  return seq;
}

export class Journal {
  private logs: PriorityLog[];
  private opts: ResolvedOptions;
  private counters: Counters = { drops: { overflow: 0, expired: 0, purged: 0, "disk-full": 0, corrupt: 0 }, bytesWritten: 0, appended: 0, acked: 0, errors: 0 };
  private commit: GroupCommit;
  private caps: Caps;
  private cursorTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private lock: DirLock;
  readonly recovery: RecoveryReport;
  /** Called with the ids of records that were handed out and then dropped (evicted, expired, purged). */
  onDrop: (ids: string[], reason: DropReason) => void = () => undefined;
  /**
   * Called with an error of an asynchronous path (a segment read that failed, a write or sync in a timer): the
   * journal counts it (stats().errors), reports it here and goes on; it never throws it (issue 7, item 6).
   */
  onError: (err: Error) => void = () => undefined;
  /** Called after a write lands on disk, when new records may be ready to hand out. */
  onWritten: () => void = () => undefined;

  private constructor(opts: JournalOptions) {
    this.opts = { cursorIntervalMs: 1000, now: Date.now, owner: "", ...opts };
    // One level at a time, never under /proc, /sys or /dev, and a failure names its real cause (issue 6 §5).
    ensureDir(opts.dir);
    // One journal per folder: a second is refused with an error naming the owner (issue 7, item 2).
    this.lock = DirLock.acquire(opts.dir, opts.owner ?? "");
    this.recovery = { records: 0, bytes: 0, tornBytes: 0, lost: 0, quarantined: [] };
    this.logs = PRIORITIES.map((p) => new PriorityLog(opts.dir, p));
    this.caps = new Caps(this.logs, this.opts, this.counters, {
      onDrop: (ids, reason) => this.onDrop(ids, reason),
      scheduleCursor: () => this.scheduleCursor(),
      writePending: () => this.commit.writePending(),
      writeCursors: (sync) => this.writeCursors(sync),
    });
    this.commit = new GroupCommit(this.logs, this.opts, this.counters, {
      isClosed: () => this.closed,
      onWritten: () => this.onWritten(),
      onDiskFull: (failedBytes) => this.caps.freeAfterDiskFull(failedBytes),
      writeCursors: (sync) => this.writeCursors(sync),
      onError: (err) => this.reportError(err),
    });
    for (const log of this.logs) log.onReadError = (err) => this.reportError(err);
    try {
      for (const log of this.logs) recoverLog(log, this.recovery, path.join(opts.dir, "quarantine"));
      this.counters.drops.corrupt = this.recovery.lost;
      for (const log of this.logs) this.caps.skipAcked(log);
      // Every log gets its cursor file now: on a full disk (no block, no inode) it can only be overwritten in place,
      // and a log without one could not record what was evicted to make room (issue 7, item 14).
      for (const log of this.logs) if (!fs.existsSync(path.join(log.dir, CURSOR_FILE))) log.cursorDirty = true;
      this.writeCursors(this.opts.durability !== "os");
    } catch (err) {
      for (const log of this.logs) if (log.fd !== undefined) fs.closeSync(log.fd);
      this.lock.release();
      // EROFS is not ENOENT: the error names its errno code and the path (issue 7, item 15).
      throw storageError(err, "open the store in", opts.dir);
    }
  }

  /** Open the journal in `opts.dir`, recovering what is there. */
  static open(opts: JournalOptions): Journal {
    return new Journal(opts);
  }

  get depth(): number {
    return this.caps.depth;
  }

  get bytes(): number {
    return this.caps.bytes;
  }

  stats(): JournalStats {
    const times = this.logs.map((l) => (l.depth > 0 ? this.caps.headTime(l) : undefined)).filter((t): t is number => t !== undefined);
    return {
      depth: this.depth,
      bytes: this.bytes,
      byPriority: this.logs.map((l) => l.depth),
      oldestEnqueuedAt: times.length ? Math.min(...times) : undefined,
      drops: { ...this.counters.drops },
      bytesWritten: this.counters.bytesWritten,
      appended: this.counters.appended,
      acked: this.counters.acked,
      errors: this.counters.errors,
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
    let size: number;
    try {
      size = frameSize(key, data);
    } catch (err) {
      return Promise.reject(err);
    }
    if (size - HEADER > MAX_BODY) {
      // A frame cannot address it: stored, it could never be read back and would block its priority (issue 7, item 5).
      return Promise.reject(new JournalFullError(`record of ${size} bytes is larger than a stored record can be (${MAX_BODY - BODY_FIXED} bytes of key and data): record refused`));
    }
    if (size > this.opts.maxBytes) {
      // It could never fit: refuse it under every policy rather than evict everything else first.
      return Promise.reject(new JournalFullError(`record of ${size} bytes is larger than the store (max bytes ${this.opts.maxBytes}): record refused`));
    }
    // Room first, the sequence number after: making room may write (and fail to write) the records appended in
    // this tick, and a number taken before would then be handed out twice (issue 7, item 1).
    if (!this.caps.makeRoom(size)) {
      if (this.opts.overflow === "reject") {
        return Promise.reject(new JournalFullError(`store is full (${this.depth} records, ${this.bytes} bytes): record refused`));
      }
      this.counters.drops.overflow++;
      return Promise.resolve({ accepted: false, reason: "overflow" });
    }
    const seq = log.nextSeq++;
    const buf = frame(priority, seq, now, key, data);
    log.depth++;
    log.bytes += buf.length;
    if (log.depth === 1) log.headTime = now;
    this.counters.appended++;
    return new Promise<AppendResult>((resolve, reject) => {
      this.commit.enqueue(log, {
        seq,
        frame: buf,
        size: buf.length,
        key,
        enqueuedAt: now,
        waiter: { resolve: (r) => resolve(r ?? new Accepted(priority, seq)), reject },
      });
    });
  }

  /** Expire records older than maxAgeMs, oldest first; returns how many were dropped. */
  expire(): number {
    return this.caps.expire();
  }

  /** Drop every stored record. */
  purge(): number {
    return this.caps.purge();
  }

  /**
   * The next record to deliver (P0 first, oldest first within a priority), or undefined. The record stays
   * stored until ack(); it is handed out once per call of next() (resending is the caller's business).
   */
  next(): StoredRecord | undefined {
    for (const log of this.logs) {
      for (;;) {
        const p = log.normalize(log.read);
        const s = log.segments[p.seg];
        const kept = s && p.off < s.size ? log.takeWritten(p.seq) : undefined;
        if (kept && !log.preAcked.has(p.seq)) {
          // Written in this run and still in memory: handed out without reading it back or copying it (issue 7,
          // item 25).
          const end = log.after(p, kept.size);
          log.read = end;
          log.out.push({ seq: p.seq, size: kept.size, end, acked: false, enqueuedAt: kept.enqueuedAt });
          return { id: `p${log.priority}-${p.seq}`, priority: log.priority, seq: p.seq, enqueuedAt: kept.enqueuedAt, key: kept.key, data: kept.data, size: kept.size };
        }
        const r = log.readAt(p);
        if (!r) break;
        const end = log.after(p, r.size);
        log.read = end;
        if (log.preAcked.delete(r.seq)) {
          log.stones.delete(r.seq);
          // Delivered before the restart: keep its place so the head can pass it, do not send it again.
          log.out.push({ seq: r.seq, size: r.size, end, acked: true, enqueuedAt: r.enqueuedAt });
          this.caps.skipAcked(log);
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
    return this.logs.some((log) => log.hasNext());
  }

  /** Acknowledge delivery of a handed-out record. Unknown or repeated ids are ignored (false). */
  ack(id: string): boolean {
    const seq = parseId(id);
    if (seq < 0) return false;
    const log = this.logs[id.charCodeAt(1) - 48];
    const o = log.out.find((x) => x.seq === seq);
    if (!o || o.acked) return false;
    o.acked = true;
    log.depth--;
    log.bytes -= o.size;
    this.counters.acked++;
    // Out-of-order acks are written to the cursor too, so a restart does not send them again.
    log.cursorDirty = true;
    this.scheduleCursor();
    this.caps.skipAcked(log);
    return true;
  }

  private reportError(err: Error): void {
    this.counters.errors++;
    try {
      this.onError(err);
    } catch {
      // a reporter that throws must not stop the journal
    }
  }

  private scheduleCursor(): void {
    if (this.cursorTimer || this.closed) return;
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = undefined;
      try {
        this.writeCursors(this.opts.durability !== "os");
      } catch (err) {
        this.reportError(err as Error);
      }
    }, this.opts.cursorIntervalMs);
  }

  /** Persist each log's head and delete the segments it has passed. */
  private writeCursors(sync: boolean): void {
    for (const log of this.logs) {
      if (!log.cursorDirty) continue;
      log.cursorDirty = false;
      log.head = log.normalize(log.head);
      const seg = log.segments[log.head.seg];
      // The acknowledged records after the head, at most MAX_HELD_ACKS of them: beyond, the oldest are left out of
      // the cursor and sent again after a restart (a duplicate, never a loss), so the cursor stays small (issue 7,
      // item 10: it grew to 228 KB, rewritten every second).
      // Tombstones are left out: recovery finds them again in their segment.
      let acked = [...log.out.filter((o) => o.acked).map((o) => o.seq), ...[...log.preAcked].filter((q) => !log.stones.has(q))];
      if (acked.length > MAX_HELD_ACKS) acked = acked.sort((a, b) => a - b).slice(-MAX_HELD_ACKS);
      try {
        this.counters.bytesWritten += writeCursor(log.dir, { seq: log.head.seq, segment: seg ? seg.first : log.head.seq, offset: log.head.off, ...(acked.length ? { acked } : {}), next: log.durableNext }, sync);
      } catch {
        // A full disk or an I/O error: keep the segments and try again later. Never throw from a timer.
        log.cursorDirty = true;
        this.scheduleCursor();
        continue;
      }
      // Whole segments before the head are delivered.
      log.dropPassedSegments();
    }
  }

  /** Write and sync everything, persist the cursors, close the files. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        this.closed = true;
        this.commit.stop();
        if (this.cursorTimer) clearTimeout(this.cursorTimer);
        this.cursorTimer = undefined;
        // Everything is written (and synced): the cursor names the end of each log, so that a tail segment deleted
        // before the next start is counted as lost (issue 7, item 4).
        for (const log of this.logs) {
          if (log.durableNext === log.nextSeq) continue;
          log.durableNext = log.nextSeq;
          log.cursorDirty = true;
        }
        try {
          this.writeCursors(this.opts.durability !== "os");
        } finally {
          this.commit.closeAll();
          this.lock.release();
          resolve();
        }
      };
      this.commit.drain(finish);
    });
  }
}
