/**
 * Caps and eviction: whether a record fits under maxRecords and maxBytes, the overflow policy (drop-oldest
 * evicts the lowest priority first), expiry after maxAge, purge, and moving each log's head past what is
 * acknowledged or dropped.
 */
import type { PriorityLog } from "./segment-log";
import type { Counters, DropReason, OutRecord, Position, ResolvedOptions } from "./types";

export interface CapsHooks {
  /** Records that were handed out and then dropped. */
  onDrop(ids: string[], reason: DropReason): void;
  /** A head moved: the cursor is to be written. */
  scheduleCursor(): void;
  /** Write the records appended in this tick; true if something was written. */
  writePending(): boolean;
  writeCursors(sync: boolean): void;
}

export class Caps {
  constructor(
    private readonly logs: PriorityLog[],
    private readonly opts: ResolvedOptions,
    private readonly counters: Counters,
    private readonly hooks: CapsHooks,
  ) {}

  get depth(): number {
    return this.logs.reduce((n, l) => n + l.depth, 0);
  }

  /**
   * Bytes counted against maxBytes: what the logs take on disk from their heads on, acknowledged records behind an
   * unacknowledged head included (one record never acknowledged made the disk grow to 10x maxBytes unseen: issue 7,
   * item 10), and the records not written yet.
   */
  get bytes(): number {
    return this.logs.reduce((n, l) => n + l.liveBytes(), 0);
  }

  /** Whether a record of `size` bytes fits, evicting under drop-oldest. */
  makeRoom(size: number): boolean {
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
      if (full() && log.pending.length && this.hooks.writePending()) p++;
    }
    return !full();
  }

  /** When the oldest unacknowledged record of a log was stored. */
  headTime(log: PriorityLog): number | undefined {
    if (log.headTime !== undefined) return log.headTime;
    const r = log.readAt(log.normalize(log.head));
    if (r) log.headTime = r.enqueuedAt;
    else if (log.pending.length) log.headTime = undefined;
    return log.headTime;
  }

  /** Drop the oldest unacknowledged record of a log. False if it has none on disk. */
  evictHead(log: PriorityLog, reason: DropReason): boolean {
    this.skipAcked(log);
    if (log.depth === 0) return false;
    const out = log.out[0];
    if (out && out.seq === log.head.seq) {
      log.out.shift();
      this.advanceHead(log, out.end);
      log.depth--;
      log.bytes -= out.size;
      this.counters.drops[reason]++;
      this.hooks.onDrop([`p${log.priority}-${out.seq}`], reason);
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
    this.counters.drops[reason]++;
    return true;
  }

  advanceHead(log: PriorityLog, to: Position): void {
    log.head = to;
    log.headTime = undefined;
    log.cursorDirty = true;
    this.hooks.scheduleCursor();
  }

  /** Move the head past records that are acknowledged. */
  skipAcked(log: PriorityLog): void {
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
        log.stones.delete(r.seq);
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
   * A write failed for want of space: under drop-oldest, evict the oldest segment's worth of records (lowest
   * priority first) and write the cursors, which deletes the segments passed. Returns how many were evicted.
   */
  freeAfterDiskFull(failedBytes: number): number {
    if (this.opts.overflow !== "drop-oldest") return 0;
    const target = Math.max(this.opts.segmentBytes, failedBytes);
    let freed = 0;
    let evicted = 0;
    for (let p = 2; p >= 0 && freed < target; p--) {
      const l = this.logs[p];
      for (;;) {
        const before = l.bytes;
        if (freed >= target || !this.evictHead(l, "disk-full")) break;
        freed += before - l.bytes;
        evicted++;
      }
    }
    this.hooks.writeCursors(true);
    return evicted;
  }
}
