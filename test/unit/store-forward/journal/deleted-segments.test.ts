// Issue 7 item 4 (and the counting part of item 14): a head or tail segment deleted between runs lost its records
// with lost = 0; a missing middle segment was counted again at every start.
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Journal } from "../../../../nodes/store-forward/journal";
import { data, drain, fill, opts, segments, settle, tmp } from "./helpers";

const first = (file: string) => Number(path.basename(file).slice(0, 16));
const o = (dir: string) => opts(dir, { segmentBytes: 1000 });

/** Open and close again: what the next starts report. */
async function reopened(dir: string): Promise<[number, number]> {
  const j = Journal.open(o(dir));
  const r: [number, number] = [j.recovery.lost, j.recovery.records];
  await j.close();
  return r;
}

describe("journal: segments deleted between runs (issue 7 item 4)", () => {
  it("a deleted head segment: its undelivered records are counted as lost, once", async () => {
    const dir = tmp();
    let j = Journal.open(o(dir));
    await fill(j, 60);
    // Three delivered and acknowledged: the cursor names the fourth record.
    for (let k = 0; k < 3; k++) j.ack(j.next()!.id);
    await settle();
    await j.close();
    const segs = segments(dir);
    assert.ok(segs.length >= 3, `several segments (${segs.length})`);
    fs.rmSync(segs[0]);
    const gone = first(segs[1]) - 4; // records 4 .. first(segs[1]) - 1
    assert.ok(gone > 0);
    j = Journal.open(o(dir));
    assert.equal(j.recovery.lost, gone, "the undelivered records of the deleted head segment are lost");
    assert.equal(j.recovery.records, 60 - 3 - gone);
    assert.equal(j.stats().drops.corrupt, gone);
    await j.close();
    assert.deepEqual(await reopened(dir), [0, 60 - 3 - gone], "counted once, not at every start");
    j = Journal.open(o(dir));
    assert.deepEqual(drain(j), Array.from({ length: 60 - 3 - gone }, (_, k) => k + 3 + gone));
    await j.close();
  });

  it("a deleted tail segment: its records are counted as lost, once, and their numbers are not handed out again", async () => {
    const dir = tmp();
    let j = Journal.open(o(dir));
    await fill(j, 60);
    await j.close();
    const segs = segments(dir);
    assert.ok(segs.length >= 3, `several segments (${segs.length})`);
    const last = segs[segs.length - 1];
    fs.rmSync(last);
    const gone = 61 - first(last);
    j = Journal.open(o(dir));
    assert.equal(j.recovery.lost, gone, "the records of the deleted tail segment are lost");
    assert.equal(j.recovery.records, 60 - gone);
    assert.equal(j.stats().drops.corrupt, gone);
    const added = await j.append(1, "k60", data(60));
    assert.equal(added.id, "p1-61", "a number of a lost record is never handed out again");
    await j.close();
    assert.deepEqual(await reopened(dir), [0, 60 - gone + 1], "counted once, not at every start");
    j = Journal.open(o(dir));
    assert.deepEqual(drain(j), [...Array.from({ length: 60 - gone }, (_, k) => k), 60]);
    await j.close();
  });

  it("every segment deleted: all undelivered records are counted as lost, once", async () => {
    const dir = tmp();
    let j = Journal.open(o(dir));
    await fill(j, 60);
    j.ack(j.next()!.id);
    await settle();
    await j.close();
    for (const s of segments(dir)) fs.rmSync(s);
    j = Journal.open(o(dir));
    assert.deepEqual([j.recovery.lost, j.recovery.records], [59, 0]);
    assert.equal((await j.append(1, "k60", data(60))).id, "p1-61");
    await j.close();
    assert.deepEqual(await reopened(dir), [0, 1]);
  });

  it("a deleted middle segment: its records are counted as lost once, not again at every start", async () => {
    const dir = tmp();
    let j = Journal.open(o(dir));
    await fill(j, 60);
    await j.close();
    const segs = segments(dir);
    assert.ok(segs.length >= 3, `several segments (${segs.length})`);
    fs.rmSync(segs[1]);
    const from = first(segs[1]);
    const gone = first(segs[2]) - from;
    j = Journal.open(o(dir));
    assert.equal(j.recovery.lost, gone);
    assert.equal(j.recovery.records, 60 - gone);
    await j.close();
    for (let k = 0; k < 2; k++) assert.deepEqual(await reopened(dir), [0, 60 - gone], "counted once, not at every start");
    j = Journal.open(o(dir));
    assert.deepEqual(drain(j), Array.from({ length: 60 }, (_, k) => k).filter((k) => k < from - 1 || k >= from - 1 + gone));
    await settle();
    await j.close();
    j = Journal.open(o(dir));
    assert.deepEqual([j.recovery.lost, j.recovery.records, drain(j).length], [0, 0, 0], "the tombstones are never delivered");
    await j.close();
  });
});
