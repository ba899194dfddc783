import { describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Journal } from "../../../../nodes/store-forward/journal";
import { crc32 } from "../../../../nodes/store-forward/crc32";
import { tmp, opts, fill, drain, segments, frameOffsets } from "./helpers";

describe("journal: the cursor", () => {
  it("a cursor written in place (full disk) is used when its checksum holds, and ignored (replay all, never skip) when torn", async () => {
    const dir = tmp();
    let j = Journal.open(opts(dir, { segmentBytes: 1e6 }));
    await fill(j, 6);
    for (let k = 0; k < 3; k++) j.ack(j.next()!.id);
    await j.close();
    const file = path.join(dir, "p1", "cursor.json");
    const { crc: _crc, ...cursor } = JSON.parse(fs.readFileSync(file, "utf8"));
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
    // Issue 7, item 3: a cursor that points past the log is not trusted: the log is replayed (duplicates, never loss).
    assert.equal(j.depth, 4, "the cursor points past the log: the four records on disk are sent again");
    await fill(j, 5, 1, 100);
    // A crash before any ack: the journal is opened again without being closed (its process is gone, so is its lock).
    (j as unknown as { lock: { release(): void } }).lock.release();
    const again = Journal.open(opts(dir, { segmentBytes: 1e6 }));
    assert.equal(again.recovery.tornBytes, 0);
    assert.equal(again.depth, 9);
    assert.deepEqual(drain(again), [0, 1, 2, 3, 100, 101, 102, 103, 104], "none skipped as acked before the cut, none cut off as torn");
    await again.close();
    await j.close();
  });

  // Issue 7, item 3: one changed digit in cursor.json wiped a backlog of 170 records, reported as "torn": the
  // cursor had no checksum, and recovery cut the valid records that did not match it.
  it("a cursor with one digit changed fails its checksum: the log is replayed from the oldest segment, nothing is cut", async () => {
    const dir = tmp();
    let j = Journal.open(opts(dir, { segmentBytes: 1e6 }));
    await fill(j, 170);
    for (let k = 0; k < 10; k++) j.ack(j.next()!.id);
    await j.close();
    const file = path.join(dir, "p1", "cursor.json");
    const text = fs.readFileSync(file, "utf8");
    const changed = text.replace(/"offset":(\d+)/, (_m, d: string) => `"offset":${Number(d) + 3}`);
    assert.notEqual(changed, text);
    fs.writeFileSync(file, changed);
    j = Journal.open(opts(dir, { segmentBytes: 1e6 }));
    assert.deepEqual([j.recovery.tornBytes, j.recovery.lost, j.recovery.records], [0, 0, 170]);
    assert.deepEqual(drain(j), Array.from({ length: 170 }, (_, k) => k), "every record is sent again, none is lost");
    await j.close();
  });

  it("a cursor that points into the middle of a record (even with a good checksum) is not trusted", async () => {
    const dir = tmp();
    let j = Journal.open(opts(dir, { segmentBytes: 1e6 }));
    await fill(j, 20);
    for (let k = 0; k < 5; k++) j.ack(j.next()!.id);
    await j.close();
    const file = path.join(dir, "p1", "cursor.json");
    const { crc: _crc, ...cursor } = JSON.parse(fs.readFileSync(file, "utf8"));
    const moved = { ...cursor, offset: cursor.offset + 3 };
    fs.writeFileSync(file, JSON.stringify({ ...moved, crc: crc32(Buffer.from(JSON.stringify(moved))) }));
    j = Journal.open(opts(dir, { segmentBytes: 1e6 }));
    assert.deepEqual([j.recovery.tornBytes, j.recovery.lost], [0, 0]);
    assert.deepEqual(drain(j), Array.from({ length: 20 }, (_, k) => k));
    await j.close();
  });
});
