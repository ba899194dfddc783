/**
 * Recovery on open: read each priority's cursor, delete the segments it has passed, verify every record after
 * it, cut a torn tail (a write that a crash or power cut interrupted), and quarantine corruption, putting a
 * tombstone in place of each record lost so that the loss is counted once.
 */
import fs from "node:fs";
import path from "node:path";
import { ensureDir, writeFileAtomic } from "../../shared/durable-file";
import { readCursor, type Cursor } from "./cursor";
import { EMPTY, TOMBSTONE, frame, resync, type Parsed } from "./frame";
import { SEGMENT_NAME, segName, type PriorityLog } from "./segment-log";
import type { RecoveryReport, Segment } from "./types";

/** Open, recover and report one priority's log. Synchronous file reads in bounded chunks. */
export function recoverLog(log: PriorityLog, report: RecoveryReport, quarantineDir: string): void {
  ensureDir(log.dir);
  const names = fs.readdirSync(log.dir).filter((f) => SEGMENT_NAME.test(f)).sort();
  log.segments = names.map((f) => ({ first: Number(f.slice(0, 16)), file: path.join(log.dir, f), size: fs.statSync(path.join(log.dir, f)).size }));
  // A cursor that does not name a record boundary of this log (it points past the log, or into a record) is not
  // trusted: the log is replayed from its oldest segment, duplicates and never a loss (issue 7, item 3).
  const written = readCursor(log.dir);
  let cursor: Cursor | undefined = written;
  if (cursor && !cursorFits(log, cursor)) cursor = undefined;
  // Segments wholly before the cursor's segment are delivered: delete them.
  let start = 0;
  // Records after the first unacknowledged one that were acknowledged already: not delivered again.
  if (cursor && Array.isArray(cursor.acked)) {
    const head = cursor.seq;
    log.preAcked = new Set(cursor.acked.filter((x) => typeof x === "number" && x > head));
  }
  if (cursor) {
    const c = cursor;
    start = log.segments.findIndex((s) => s.first === c.segment);
    if (start < 0) {
      // The cursor names a segment that is not there: start from the segment that holds its record.
      const holding = log.segments.filter((s) => s.first <= c.seq).length - 1;
      start = Math.max(0, holding);
      cursor = { seq: c.seq, segment: log.segments[start]?.first ?? c.seq, offset: 0 };
    }
  }
  for (const s of log.segments.slice(0, start)) fs.rmSync(s.file, { force: true });
  log.segments = log.segments.slice(start);

  let expected = cursor?.seq ?? (log.segments[0]?.first ?? 1);
  let first = true;
  for (let i = 0; i < log.segments.length; i++) {
    let s = log.segments[i];
    if (i > 0 && s.first > expected) {
      // A gap: a segment between was deleted (between runs). Its records are lost: counted, and a segment of
      // tombstones takes its place, so that the sequence is unbroken and the loss is counted once, not at every
      // start (issue 7, items 4 and 14).
      report.lost += gapLost(log, expected, s.first);
      s = tombstoneSegment(log, expected, s.first);
      log.segments.splice(i, 0, s);
    }
    const isLast = i === log.segments.length - 1;
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
      log.head = { seg: 0, off, seq };
      // The cursor's record is before the oldest segment: the head segments were deleted (between runs) with
      // records not yet delivered. They are counted from the cursor's record on, once: the cursor is written again
      // at once, naming the oldest segment (issue 7, item 4).
      expected = cursor && cursor.seq < s.first ? cursor.seq : seq;
    }
    first = false;
    if (s.first > expected) {
      report.lost += gapLost(log, expected, s.first);
      expected = s.first;
      log.head = { seg: 0, off: 0, seq: s.first };
    }
    const each = (rec: Parsed, at: number) => {
      if (rec.seq < skipBelow) {
        log.head = { seg: 0, off: at + rec.size, seq: rec.seq + 1 };
        return;
      }
      if (rec.tombstone) {
        log.preAcked.add(rec.seq);
        log.stones.add(rec.seq);
      }
      if (log.preAcked.has(rec.seq)) return;
      log.depth++;
      log.bytes += rec.size;
      if (log.headTime === undefined) log.headTime = rec.enqueuedAt;
    };
    let from = off;
    let quarantined = false;
    for (;;) {
      const result = log.scan(s, from, expected, each);
      expected = result.nextSeq;
      if (result.badAt === undefined) break;
      const bad = result.badAt;
      const whole = fs.readFileSync(s.file);
      const found = resync(whole, bad, expected, log.priority);
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
        const q = path.join(quarantineDir, `p${log.priority}-${path.basename(s.file)}.corrupt`);
        ensureDir(quarantineDir);
        fs.copyFileSync(s.file, q);
        report.quarantined.push(q);
        quarantined = true;
      }
      const upTo = found ? found.seq : log.segments[i + 1].first;
      const stones: Buffer[] = [];
      for (let q = expected; q < upTo; q++) stones.push(frame(log.priority, q, Date.now(), "", EMPTY, TOMBSTONE));
      report.lost += Math.max(0, upTo - expected);
      const repaired = Buffer.concat([whole.subarray(0, bad), ...stones, found ? whole.subarray(found.off) : EMPTY]);
      writeFileAtomic(s.file, repaired, true);
      s.size = repaired.length;
      from = bad;
    }
  }
  // The log ends before the last record known on disk (the cursor's `next`): the tail segments were deleted (between
  // runs). Their records are counted as lost (those before the cursor's record were delivered), once: tombstones
  // take their place, or, when no segment is left, the cursor moves past them; their numbers are never handed out
  // again (issue 7, item 4).
  let rewrite = false;
  const known = written?.next;
  if (known !== undefined && known > expected) {
    const from = written && written.seq > expected && written.seq <= known ? written.seq : expected;
    report.lost += gapLost(log, from, known);
    if (log.segments.length > 0) {
      log.segments.push(tombstoneSegment(log, expected, known));
      for (let q = expected; q < known; q++) {
        log.preAcked.add(q);
        log.stones.add(q);
      }
    } else {
      for (const q of log.preAcked) if (q < known) log.preAcked.delete(q);
    }
    expected = known;
    rewrite = true;
  }
  log.nextSeq = expected;
  log.durableNext = expected;
  if (log.segments.length === 0) log.head = { seg: 0, off: 0, seq: log.nextSeq };
  // A cursor can be ahead of the log: after a power cut, records acknowledged before they were synced are
  // gone. Acks of records that are not there are void (new records will take their numbers), and the
  // cursor is written again at once, so that it never points past the log or into a new record.
  let void_ = 0;
  for (const q of log.preAcked) if (q >= log.nextSeq && log.preAcked.delete(q)) void_++;
  const at = log.segments[log.head.seg];
  log.cursorDirty = rewrite || (written !== undefined && written.next !== log.nextSeq) || (cursor !== undefined && (void_ > 0 || cursor.seq !== log.head.seq || cursor.offset !== log.head.off || cursor.segment !== (at ? at.first : log.head.seq)));
  log.read = { ...log.head };
  report.records += log.depth;
  report.bytes += log.bytes;
}

/** How many of the records from..to-1 are lost: those not acknowledged already. */
function gapLost(log: PriorityLog, from: number, to: number): number {
  let acked = 0;
  for (const q of log.preAcked) if (q >= from && q < to) acked++;
  return Math.max(0, to - from - acked);
}

/**
 * A segment of tombstones for the records from..to-1, which a deleted segment took with it: never delivered, it
 * keeps the sequence unbroken, so that the loss is counted once.
 */
function tombstoneSegment(log: PriorityLog, from: number, to: number): Segment {
  const file = path.join(log.dir, segName(from));
  const now = Date.now();
  const stones: Buffer[] = [];
  for (let q = from; q < to; q++) stones.push(frame(log.priority, q, now, "", EMPTY, TOMBSTONE));
  const buf = Buffer.concat(stones);
  writeFileAtomic(file, buf, true);
  return { first: from, file, size: buf.length };
}

/**
 * Whether a cursor names a record boundary of the log: the start of its record in the segment it names, or (the
 * segment it names is gone) a sequence number no later than the end of the segment that would hold it.
 */
function cursorFits(log: PriorityLog, c: Cursor): boolean {
  const named = log.segments.findIndex((s) => s.first === c.segment);
  if (named >= 0) {
    const s = log.segments[named];
    if (c.offset > s.size || c.seq < s.first) return false;
    if (c.offset === 0) return c.seq === s.first;
    let fits = false;
    log.scan(s, 0, s.first, (r, at) => {
      if (at + r.size === c.offset && r.seq + 1 === c.seq) fits = true;
    });
    return fits;
  }
  const holding = log.segments.filter((s) => s.first <= c.seq);
  if (holding.length === 0) return true; // before the log: the records between are counted as lost
  const s = holding[holding.length - 1];
  if (s !== log.segments[log.segments.length - 1]) return true;
  return log.scan(s, 0, s.first, () => undefined).nextSeq >= c.seq;
}
