import { describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Journal } from "../../../../nodes/store-forward/journal";
import { tmp, opts, data, fill, drain, settle, segments, frameOffsets, corrupt } from "./helpers";

describe("journal: recovery", () => {
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
});
