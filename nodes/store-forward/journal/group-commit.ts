/**
 * Group commit and fsync: appends wait in `pending` until the next turn of the event loop, are written in one
 * write per log and segment, then synced as the durability setting says (always: one fsync at a time, appends
 * written meanwhile wait for the next; batch: once a 4 KiB page's worth is waiting, else after syncIntervalMs (see
 * sync-policy.ts); os: never). A write that fails is cut
 * off and its appends are refused.
 */
import fs from "node:fs";
import path from "node:path";
import { fsyncDir, storageError, writeAll } from "../../shared/durable-file";
import { segName, type PriorityLog } from "./segment-log";
import { PAGE_BYTES } from "./sync-policy";
import { JournalFullError, type Counters, type Pending, type ResolvedOptions, type Segment, type Waiter } from "./types";

export interface CommitHooks {
  isClosed(): boolean;
  /** A write landed: new records may be ready to hand out. */
  onWritten(): void;
  /**
   * A write failed for want of space; `failedBytes` were not written. Under drop-oldest, the oldest records are
   * evicted and their segments deleted; returns how many records were evicted (0: nothing left to make room with).
   */
  onDiskFull(failedBytes: number): number;
  writeCursors(sync: boolean): void;
  /** An error in an asynchronous path: counted and reported, never thrown. */
  onError(err: Error): void;
}

export class GroupCommit {
  private flushing = false;
  private flushScheduled = false;
  private syncWaiters: Waiter[] = [];
  /** A write failed for want of space; the next write that succeeds clears it. */
  private noSpace = false;
  /** fsyncs in flight per file descriptor, and descriptors to close once theirs are done. */
  private fsyncing = new Map<number, number>();
  private closeAfterSync = new Set<number>();
  private syncTimer: NodeJS.Timeout | undefined;
  /** Bytes written and not yet synced (batch: a page's worth syncs at once). */
  private unsynced = 0;

  constructor(
    private readonly logs: PriorityLog[],
    private readonly opts: ResolvedOptions,
    private readonly counters: Counters,
    private readonly hooks: CommitHooks,
  ) {}

  /** Queue a framed record for the next write. */
  enqueue(log: PriorityLog, pending: Pending): void {
    log.pending.push(pending);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      // No exception may escape an I/O callback: it would stop Node-RED (issue 7, item 6).
      try {
        if (!this.hooks.isClosed() || this.logs.some((l) => l.pending.length)) this.flush();
      } catch (err) {
        this.hooks.onError(err as Error);
      }
    });
  }

  /** Write what is pending, then sync as the durability setting says. */
  private flush(): void {
    const wrote = this.writePending();
    if (this.opts.durability === "batch" && this.syncWaiters.length) {
      // A page's worth waiting: sync now (the page is full, an fsync rewrites no partly filled page twice);
      // less: at the latest after the sync interval (issue 7, item 23).
      if (this.unsynced >= PAGE_BYTES) {
        this.stop();
        this.syncNow();
      } else this.scheduleSync();
    }
    if (this.opts.durability === "always") this.syncAlways();
    if (wrote) this.hooks.onWritten();
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
  writePending(): boolean {
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
          this.unsynced += size;
          this.counters.bytesWritten += size;
          wrote = true;
          for (let k = i; k < j; k++) {
            log.keepWritten(batch[k]);
            if (this.opts.durability === "os") batch[k].waiter.resolve();
            else this.syncWaiters.push(batch[k].waiter);
          }
          i = j;
        } catch (err) {
          // Under drop-oldest a full disk makes room by dropping the OLDEST records (their segments are deleted),
          // and the write is tried again: the new records are kept whenever room can be made. They are dropped
          // only when nothing older is left to evict.
          if (isDiskFull(err) && this.opts.overflow === "drop-oldest") {
            this.cutPartialWrite(log);
            this.noSpace = true;
            if (this.hooks.onDiskFull(batch.slice(i).reduce((n, p) => n + p.size, 0)) > 0) continue;
          }
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
    this.cutPartialWrite(log);
    // Every record after the first failed one was not written, and no id of theirs was handed out: give back
    // their numbers, so that the log stays without gaps. Only numbers after every written or pending record
    // go back: a number already on disk is never handed out again (issue 7, item 1).
    if (log.nextSeq === failed[failed.length - 1].seq + 1 && log.pending.length === 0) log.nextSeq = failed[0].seq;
    for (const p of failed) {
      log.depth--;
      log.bytes -= p.size;
      this.counters.appended--;
    }
    const diskFull = isDiskFull(err);
    // The real cause, its errno code and the file (issue 7, item 15): EROFS is not ENOENT.
    const cause = storageError(err, "write", seg ? seg.file : log.dir);
    if (diskFull) this.noSpace = true;
    const reject = this.opts.overflow === "reject" || !diskFull;
    for (const p of failed) {
      if (reject) p.waiter.reject(diskFull ? new JournalFullError(`disk full: ${err.message}`) : cause);
      else {
        this.counters.drops["disk-full"]++;
        p.waiter.resolve({ accepted: false, reason: "disk-full" });
      }
    }
  }

  /** Cut a write that failed part-way off the tail segment, so that the log ends on a record boundary. */
  private cutPartialWrite(log: PriorityLog): void {
    const seg = log.segments[log.segments.length - 1];
    log.invalidateChunk();
    try {
      if (seg && log.fd !== undefined) fs.ftruncateSync(log.fd, seg.size);
    } catch {
      // the next recovery cuts a torn tail in any case
    }
  }

  /** Close a segment's descriptor, after the fsyncs queued on it. */
  private closeFd(log: PriorityLog): void {
    if (log.fd === undefined) return;
    const fd = log.fd;
    log.fd = undefined;
    // An fsync of this file may still be queued: close it when that one is done, not under it.
    if (this.fsyncing.has(fd)) this.closeAfterSync.add(fd);
    else fs.closeSync(fd);
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
    this.closeFd(log);
    const files = log.segments.map((s) => s.file);
    log.segments = [];
    log.head = log.read = { seg: 0, off: 0, seq: head.seq };
    log.headTime = undefined;
    log.invalidateChunk();
    // The cursor names the next record, in a segment not written yet: a recovery skips what is left of the old ones.
    log.cursorDirty = true;
    this.hooks.writeCursors(this.opts.durability !== "os");
    for (const f of files) fs.rmSync(f, { force: true });
  }

  /** The segment the record `seq` goes to, starting a new one when the current one is full. */
  private tailSegment(log: PriorityLog, seq: number): Segment {
    if (this.noSpace) this.releaseDelivered(log);
    let seg = log.segments[log.segments.length - 1];
    if (!seg || (seg.size >= this.opts.segmentBytes && seg.size > 0)) {
      if (log.fd !== undefined && this.opts.durability !== "os") fs.fsyncSync(log.fd);
      this.closeFd(log);
      seg = { first: seq, file: path.join(log.dir, segName(seq)), size: 0 };
      log.segments.push(seg);
      if (log.segments.length === 1) log.head = log.read = { seg: 0, off: 0, seq };
      log.fd = fs.openSync(seg.file, "a");
      if (this.opts.durability !== "os") fsyncDir(log.dir);
      if (log.durableNext !== seq) {
        // Every record before this one is on disk (the previous segment was just synced): the cursor says so, so
        // that a tail segment deleted between runs is counted as lost (issue 7, item 4).
        log.durableNext = seq;
        log.cursorDirty = true;
        this.hooks.writeCursors(this.opts.durability !== "os");
      }
    } else if (log.fd === undefined) {
      log.fd = fs.openSync(seg.file, "a");
    }
    return seg;
  }

  private scheduleSync(): void {
    if (this.syncTimer) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      try {
        this.syncNow();
      } catch (err) {
        this.hooks.onError(err as Error);
      }
    }, this.opts.syncIntervalMs);
  }

  /** fsync every open segment and resolve the appends waiting for it. */
  private syncNow(cb?: () => void): void {
    this.unsynced = 0;
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

  /** On close: write and sync everything pending, then call `finish`. */
  drain(finish: () => void): void {
    const waitFlush = () => {
      this.writePending();
      if (this.flushing) {
        setImmediate(waitFlush);
        return;
      }
      this.stop();
      if (this.opts.durability !== "os") this.syncNow(finish);
      else finish();
    };
    waitFlush();
  }

  /** Clear the sync timer. */
  stop(): void {
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
  }

  /** Close every segment's descriptor (on close, after the last sync). */
  closeAll(): void {
    for (const log of this.logs) {
      if (log.fd !== undefined) fs.closeSync(log.fd);
      log.fd = undefined;
    }
  }
}

function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOSPC" || code === "EDQUOT";
}
