import { afterEach, describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Journal, JournalFullError, type JournalOptions, type Priority } from "../../../nodes/store-forward/journal";
import { crc32, crc32Fallback } from "../../../nodes/store-forward/crc32";

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "sf-journal-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  while (dirs.length) fs.rmSync(dirs.pop() as string, { recursive: true, force: true });
});

const opts = (dir: string, extra: Partial<JournalOptions> = {}): JournalOptions => ({
  dir, durability: "batch", syncIntervalMs: 5, segmentBytes: 4096, maxBytes: 1e9, maxRecords: 1e9,
  maxAgeMs: 48 * 3600e3, overflow: "drop-oldest", cursorIntervalMs: 1, ...extra,
});
const data = (i: number) => Buffer.from(JSON.stringify({ i, pad: "x".repeat(40) }));
const idx = (b: Buffer) => JSON.parse(b.toString()).i as number;
async function fill(j: Journal, n: number, priority: Priority = 1, from = 0) {
  await Promise.all(Array.from({ length: n }, (_, k) => j.append(priority, `k${from + k}`, data(from + k))));
}
function drain(j: Journal, ack = true): number[] {
  const got: number[] = [];
  for (let r = j.next(); r; r = j.next()) {
    got.push(idx(r.data));
    if (ack) j.ack(r.id);
  }
  return got;
}
const settle = () => new Promise((r) => setTimeout(r, 20));
/** The segment files of priority 1, oldest first. */
const segments = (dir: string) =>
  fs.readdirSync(path.join(dir, "p1")).filter((f) => f.endsWith(".seg")).sort().map((f) => path.join(dir, "p1", f));
/** Where each record of a segment file starts. */
function frameOffsets(file: string): number[] {
  const b = fs.readFileSync(file);
  const at: number[] = [];
  for (let off = 0; off + 8 <= b.length; off += b.readUInt32LE(off) + 8) at.push(off);
  return at;
}
function corrupt(file: string, at: number): void {
  const b = fs.readFileSync(file);
  b[at] ^= 0xff;
  fs.writeFileSync(file, b);
}

describe("journal", () => {
  it("CRC-32 matches zlib's, with and without Node's native one", () => {
    const b = Buffer.from("123456789");
    assert.equal(crc32(b), 0xcbf43926);
    assert.equal(crc32Fallback(b), 0xcbf43926);
  });

  it("hands records out P0 first, oldest first within a priority, and forgets them only on ack", async () => {
    const j = Journal.open(opts(tmp()));
    await j.append(2, "a", data(1));
    await j.append(1, "b", data(2));
    await j.append(0, "c", data(3));
    await j.append(1, "d", data(4));
    const r = j.next();
    assert.ok(r);
    assert.equal(r.priority, 0);
    assert.equal(r.key, "c");
    assert.deepEqual(drain(j, false), [2, 4, 1]);
    assert.equal(j.depth, 4, "nothing acknowledged yet");
    assert.equal(j.ack(r.id), true);
    assert.equal(j.ack(r.id), false, "a second ack is ignored");
    assert.equal(j.depth, 3);
    await j.close();
  });

  it("survives a restart: unacknowledged records come back, acknowledged ones do not", async () => {
    const dir = tmp();
    let j = Journal.open(opts(dir));
    await fill(j, 200);
    const first = [j.next(), j.next(), j.next()];
    j.ack(first[0]!.id);
    j.ack(first[2]!.id); // out of order: the head stays at the second
    await settle();
    await j.close();
    j = Journal.open(opts(dir));
    assert.equal(j.recovery.records, 198, "the third was acked out of order: the cursor remembers it");
    assert.equal(j.recovery.lost, 0);
    const got = drain(j);
    assert.deepEqual(got.slice(0, 3), [1, 3, 4], "the second comes back, the third (acked) does not");
    assert.equal(got.length, 198);
    assert.equal(got[got.length - 1], 199);
    await settle();
    await j.close();
    j = Journal.open(opts(dir));
    assert.equal(j.recovery.records, 0);
    assert.equal(j.depth, 0);
    await j.close();
    assert.ok(fs.readdirSync(path.join(dir, "p1")).filter((f) => f.endsWith(".seg")).length <= 1, "delivered segments are deleted");
  });

  it("cuts a torn tail off at the last good record", async () => {
    const dir = tmp();
    let j = Journal.open(opts(dir, { segmentBytes: 1e6 }));
    await fill(j, 10);
    await j.close();
    const seg = path.join(dir, "p1", fs.readdirSync(path.join(dir, "p1")).find((f) => f.endsWith(".seg"))!);
    const size = fs.statSync(seg).size;
    fs.appendFileSync(seg, Buffer.from([0x40, 0, 0, 0, 1, 2, 3])); // a record whose write was cut short
    j = Journal.open(opts(dir, { segmentBytes: 1e6 }));
    assert.equal(j.recovery.records, 10);
    assert.equal(j.recovery.tornBytes, 7);
    assert.equal(fs.statSync(seg).size, size);
    await j.append(1, "k10", data(10));
    assert.deepEqual(drain(j), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await j.close();
  });

  it("a corrupt record: a quarantined copy, a tombstone in its place, every good record after it kept, counted once", async () => {
    const dir = tmp();
    let j = Journal.open(opts(dir, { segmentBytes: 1000 }));
    await fill(j, 60);
    await j.close();
    const segs = segments(dir);
    assert.ok(segs.length >= 3);
    const firstInVictim = Number(path.basename(segs[1]).slice(0, 16));
    // Flip a byte in the body of the third record of the second segment (sequence numbers start at 1).
    corrupt(segs[1], frameOffsets(segs[1])[2] + 20);
    const lostIndex = firstInVictim - 1 + 2;
    j = Journal.open(opts(dir, { segmentBytes: 1000 }));
    assert.equal(j.recovery.lost, 1);
    assert.equal(j.recovery.records, 59);
    assert.equal(j.recovery.quarantined.length, 1);
    assert.ok(fs.existsSync(j.recovery.quarantined[0]));
    assert.equal(j.stats().drops.corrupt, 1);
    await j.close();
    for (let k = 0; k < 2; k++) {
      j = Journal.open(opts(dir, { segmentBytes: 1000 }));
      assert.deepEqual([j.recovery.lost, j.recovery.records, j.recovery.quarantined.length], [0, 59, 0], "the loss is counted once");
      await j.close();
    }
    j = Journal.open(opts(dir, { segmentBytes: 1000 }));
    assert.deepEqual(drain(j), Array.from({ length: 60 }, (_, k) => k).filter((k) => k !== lostIndex));
    await j.append(1, "k60", data(60));
    assert.deepEqual(drain(j), [60]);
    await j.close();
  });

  it("a corrupt length in the active segment is corruption, not a torn tail: the records after it are kept", async () => {
    const dir = tmp();
    let j = Journal.open(opts(dir, { segmentBytes: 1e6, durability: "always" }));
    await fill(j, 100);
    await j.close();
    const [seg] = segments(dir);
    corrupt(seg, frameOffsets(seg)[10] + 1); // the length field of the 11th record
    j = Journal.open(opts(dir, { segmentBytes: 1e6 }));
    assert.equal(j.recovery.lost, 1);
    assert.equal(j.recovery.tornBytes, 0);
    assert.equal(j.recovery.records, 99);
    assert.deepEqual(drain(j), Array.from({ length: 100 }, (_, k) => k).filter((k) => k !== 10));
    await j.close();
  });

  it("a middle segment damaged to its end: its remaining records are lost and counted once, the next segments are kept", async () => {
    const dir = tmp();
    let j = Journal.open(opts(dir, { segmentBytes: 1000 }));
    await fill(j, 60);
    await j.close();
    const segs = segments(dir);
    const firstInVictim = Number(path.basename(segs[1]).slice(0, 16));
    const nextFirst = Number(path.basename(segs[2]).slice(0, 16));
    const b = fs.readFileSync(segs[1]);
    b.fill(0x5a, frameOffsets(segs[1])[2]);
    fs.writeFileSync(segs[1], b);
    const lost = nextFirst - firstInVictim - 2;
    j = Journal.open(opts(dir, { segmentBytes: 1000 }));
    assert.equal(j.recovery.lost, lost);
    assert.equal(j.recovery.records, 60 - lost);
    await j.close();
    j = Journal.open(opts(dir, { segmentBytes: 1000 }));
    assert.equal(j.recovery.lost, 0, "counted once");
    const got = drain(j);
    assert.equal(got.length, 60 - lost);
    assert.deepEqual(got.slice(0, firstInVictim + 1), Array.from({ length: firstInVictim + 1 }, (_, k) => k));
    assert.equal(got[got.length - 1], 59);
    await j.close();
  });

  it("a record that starts a new segment while the last one is out is still handed out once the old segment is deleted", async () => {
    const j = Journal.open(opts(tmp(), { segmentBytes: 1000 }));
    await fill(j, 60);
    const out = Array.from({ length: 60 }, () => j.next()!);
    for (const r of out.slice(0, 59)) j.ack(r.id);
    await j.append(1, "k60", data(60)); // the last segment is full: this one starts a new one
    j.ack(out[59].id); // the head reaches the end of the old segment
    await settle(); // the cursor is written and the delivered segments are deleted
    const r = j.next();
    assert.ok(r, "the new record is handed out");
    assert.equal(idx(r.data), 60);
    await j.close();
  });

  it("a cursor written in place (full disk) is used when its checksum holds, and ignored (replay all, never skip) when torn", async () => {
    const dir = tmp();
    let j = Journal.open(opts(dir, { segmentBytes: 1e6 }));
    await fill(j, 6);
    for (let k = 0; k < 3; k++) j.ack(j.next()!.id);
    await j.close();
    const file = path.join(dir, "p1", "cursor.json");
    const cursor = JSON.parse(fs.readFileSync(file, "utf8"));
    const text = JSON.stringify(cursor);
    fs.writeFileSync(file, JSON.stringify({ ...cursor, crc: crc32(Buffer.from(text)) }));
    j = Journal.open(opts(dir, { segmentBytes: 1e6 }));
    assert.deepEqual(drain(j, false), [3, 4, 5], "a good checksum: the cursor holds");
    await j.close();
    fs.writeFileSync(file, JSON.stringify({ ...cursor, crc: crc32(Buffer.from(text)) ^ 1 }));
    j = Journal.open(opts(dir, { segmentBytes: 1e6 }));
    assert.deepEqual(drain(j, false), [0, 1, 2, 3, 4, 5], "a bad checksum: everything is sent again");
    await j.close();
  });

  it("a cursor ahead of the log (acked records lost to a power cut): new records are neither skipped nor cut off", async () => {
    const dir = tmp();
    let j = Journal.open(opts(dir, { segmentBytes: 1e6 }));
    await fill(j, 10);
    const out = Array.from({ length: 10 }, () => j.next()!);
    for (const k of [0, 1, 2, 3, 4, 5, 7, 8]) j.ack(out[k].id); // head at seq 7 (index 6), 8 and 9 acked out of order
    await j.close();
    // The power cut: the records after the fourth never reached the disk, the cursor did.
    const [seg] = segments(dir);
    fs.truncateSync(seg, frameOffsets(seg)[4]);
    j = Journal.open(opts(dir, { segmentBytes: 1e6 }));
    assert.equal(j.depth, 0, "the four records on disk were acknowledged");
    await fill(j, 5, 1, 100);
    // A crash before any ack: the journal is opened again without being closed.
    const again = Journal.open(opts(dir, { segmentBytes: 1e6 }));
    assert.equal(again.recovery.tornBytes, 0);
    assert.equal(again.depth, 5);
    assert.deepEqual(drain(again), [100, 101, 102, 103, 104], "none skipped as acked before the cut, none cut off as torn");
    await again.close();
    await j.close();
  });

  it("drop-oldest evicts the lowest priority first, P0 only when nothing else is left", async () => {
    const j = Journal.open(opts(tmp(), { maxRecords: 5 }));
    await j.append(0, "alarm", data(100));
    await fill(j, 2, 2, 200);
    await fill(j, 2, 1, 0);
    await fill(j, 3, 1, 10); // 8 offered, cap 5: the two P2 and the oldest P1 go
    assert.equal(j.depth, 5);
    assert.deepEqual(j.stats().drops.overflow, 3);
    assert.deepEqual(drain(j), [100, 1, 10, 11, 12]);
    const k = Journal.open(opts(tmp(), { maxRecords: 2 }));
    await fill(k, 3, 0);
    assert.deepEqual(drain(k), [1, 2], "only P0 left: the oldest P0 goes");
    await j.close();
    await k.close();
  });

  it("drop-newest refuses the incoming record; reject refuses it with an error and drops nothing", async () => {
    const a = Journal.open(opts(tmp(), { maxRecords: 2, overflow: "drop-newest" }));
    await fill(a, 2);
    assert.deepEqual(await a.append(1, "x", data(9)), { accepted: false, reason: "overflow" });
    assert.deepEqual(drain(a), [0, 1]);
    const b = Journal.open(opts(tmp(), { maxBytes: 300, overflow: "reject" }));
    await fill(b, 3);
    await assert.rejects(b.append(1, "x", data(9)), JournalFullError);
    assert.equal(b.stats().drops.overflow, 0);
    assert.deepEqual(drain(b), [0, 1, 2]);
    await a.close();
    await b.close();
  });

  it("a record larger than the whole store is refused with an error under every policy, and nothing is evicted for it", async () => {
    for (const overflow of ["drop-oldest", "drop-newest", "reject"] as const) {
      const j = Journal.open(opts(tmp(), { maxBytes: 2048, overflow }));
      await j.append(0, "alarm", data(100));
      await fill(j, 5);
      await assert.rejects(j.append(2, "big", Buffer.alloc(3000, 0x61)), (err: Error) => err instanceof JournalFullError && /larger than the store/.test(err.message), overflow);
      assert.equal(j.depth, 6, overflow);
      assert.equal(j.stats().drops.overflow, 0, overflow);
      assert.deepEqual(drain(j), [100, 0, 1, 2, 3, 4], overflow);
      await j.close();
    }
  });

  it("expires records older than maxAge and purges on demand, counting each reason", async () => {
    let now = 1_000_000;
    const j = Journal.open(opts(tmp(), { maxAgeMs: 1000, now: () => now }));
    await fill(j, 3);
    now += 500;
    await fill(j, 2, 1, 3);
    now += 600; // the first three are 1100 ms old
    assert.equal(j.stats().oldestEnqueuedAt, 1_000_000);
    assert.equal(j.expire(), 3);
    assert.equal(j.stats().oldestEnqueuedAt, 1_000_500);
    assert.equal(j.purge(), 2);
    assert.deepEqual(j.stats().drops, { overflow: 0, expired: 3, purged: 2, "disk-full": 0, corrupt: 0 });
    assert.equal(j.next(), undefined);
    await j.close();
  });

  it("reports a record handed out and then evicted, so delivery can forget it", async () => {
    const j = Journal.open(opts(tmp(), { maxRecords: 2 }));
    await fill(j, 2);
    const out = j.next();
    const dropped: string[] = [];
    j.onDrop = (ids) => dropped.push(...ids);
    await j.append(1, "k2", data(2));
    assert.deepEqual(dropped, [out!.id]);
    assert.equal(j.ack(out!.id), false);
    assert.deepEqual(drain(j), [1, 2]);
    await j.close();
  });

  it("each durability mode resolves appends, and data written in each survives reopening", async () => {
    for (const durability of ["always", "batch", "os"] as const) {
      const dir = tmp();
      let j = Journal.open(opts(dir, { durability }));
      await fill(j, 50);
      await j.close();
      j = Journal.open(opts(dir, { durability }));
      assert.equal(j.recovery.records, 50, durability);
      await j.close();
    }
  });
});
