import { describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Journal } from "../../../../nodes/store-forward/journal";
import { data, drain, exhaustInodes, failNextWrite, fill, opts, segments, tmp } from "./helpers";

describe("journal: a full disk", () => {
  // The flow test "disk full › drop-oldest" failed about 3 runs in 5: the write that hit ENOSPC refused the NEW
  // records (counted as disk-full drops) and evicted old ones only afterwards, so the newest reading was lost
  // whenever the disk filled during the last burst. drop-oldest makes room by dropping the oldest.
  it("drop-oldest: a write that fails for want of space evicts the oldest records and keeps the new one", async () => {
    const dir = tmp();
    const j = Journal.open(opts(dir, { segmentBytes: 1024 }));
    await fill(j, 60);
    const before = segments(dir);
    assert.ok(before.length >= 3, `several segments (${before.length})`);
    const undo = failNextWrite("ENOSPC");
    let result;
    try {
      result = await j.append(1, "new", data(1000));
    } finally {
      undo();
    }
    assert.equal(result.accepted, true, "the new record is kept");
    const drops = j.stats().drops["disk-full"];
    assert.ok(drops > 0, "old records were dropped to make room");
    assert.ok(!fs.existsSync(before[0]), "the oldest segment was deleted");
    const got = drain(j);
    assert.equal(got[got.length - 1], 1000);
    assert.equal(got[0], drops, "the dropped records are the oldest");
    assert.equal(got.length + drops, 61);
    await j.close();
  });

  it("drop-oldest: the new record is dropped (and counted) only when nothing older is left to evict", async () => {
    const j = Journal.open(opts(tmp(), { segmentBytes: 1024 }));
    const undo = failNextWrite("ENOSPC");
    let result;
    try {
      result = await j.append(1, "new", data(1));
    } finally {
      undo();
    }
    assert.deepEqual(result, { accepted: false, reason: "disk-full" });
    assert.equal(j.stats().drops["disk-full"], 1);
    await j.close();
  });

  // Issue 7, item 14: with the inodes exhausted, making room evicted records (counted as dropped), but the cursor
  // that records it could not be written (a new file needs an inode, and there was no cursor file to overwrite), so
  // no segment was deleted, eviction went on through the whole backlog, and the dropped records came back after a
  // restart.
  it("inodes exhausted: records counted as dropped do not come back after a restart", async () => {
    const dir = tmp();
    let j = Journal.open(opts(dir, { segmentBytes: 1024 }));
    await fill(j, 60);
    const undo = exhaustInodes();
    let result;
    try {
      result = await j.append(0, "alarm", data(1000)); // P0's first segment needs a new file
      await j.close(); // still no free inode: Node-RED stops on a full disk
    } finally {
      undo();
    }
    const dropped = j.stats().drops["disk-full"];
    assert.equal(result.accepted, true, "the alarm is kept: an old segment made room");
    assert.ok(dropped > 0 && dropped < 60, `the oldest records made room, not the whole backlog (${dropped} dropped)`);
    j = Journal.open(opts(dir, { segmentBytes: 1024 }));
    const got = drain(j);
    assert.equal(got.length, 61 - dropped, `the ${dropped} dropped records do not come back`);
    assert.deepEqual(got.slice(0, 2), [1000, dropped], "the alarm first, then the records after those dropped");
    assert.equal(j.recovery.lost, 0);
    await j.close();
  });

  it("every log has a cursor file from the start, so that a full disk can overwrite it in place", async () => {
    const dir = tmp();
    const j = Journal.open(opts(dir));
    for (const p of ["p0", "p1", "p2"]) assert.ok(fs.existsSync(path.join(dir, p, "cursor.json")), p);
    await j.close();
  });
});
