import { describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Journal, MAX_HELD_ACKS } from "../../../../nodes/store-forward/journal";
import { data, fill, opts, settle, tmp } from "./helpers";

const onDisk = (dir: string) =>
  ["p0", "p1", "p2"].reduce((n, p) => n + fs.readdirSync(path.join(dir, p)).filter((f) => f.endsWith(".seg")).reduce((m, f) => m + fs.statSync(path.join(dir, p, f)).size, 0), 0);

// Issue 7, item 10: one record handed out and never acknowledged while everything behind it is. Its segment and
// every segment after it stay on disk, but only unacknowledged bytes were counted: the disk grew to 10.4x maxBytes
// with percent-full near 0 and no alert, and the cursor listing the acks grew to 228 KB.
describe("journal: head-of-line growth", () => {
  it("acknowledged records behind an unacknowledged head count against maxBytes; when the cap bites, drop-oldest drops the head", async () => {
    const dir = tmp();
    const maxBytes = 20_000;
    const j = Journal.open(opts(dir, { maxBytes, segmentBytes: 2048 }));
    const dropped: string[] = [];
    j.onDrop = (ids) => dropped.push(...ids);
    await fill(j, 1);
    const stuck = j.next()!; // out, never acknowledged
    let peak = 0;
    let peakBytes = 0;
    for (let round = 0; round < 40; round++) {
      await fill(j, 50, 1, 1 + round * 50); // ~5 KB per round: 200 KB offered, 10x maxBytes
      for (let r = j.next(); r; r = j.next()) j.ack(r.id);
      await settle(); // the cursor is written, the passed segments deleted
      peak = Math.max(peak, onDisk(dir));
      peakBytes = Math.max(peakBytes, j.bytes);
    }
    assert.ok(peakBytes <= maxBytes, `bytes counted ${peakBytes} stay within maxBytes`);
    assert.ok(peak <= maxBytes + 2 * 2048, `on disk at most maxBytes and a segment being passed: ${peak} (maxBytes ${maxBytes})`);
    assert.deepEqual(dropped, [stuck.id], "the record that was never acknowledged is dropped to make room, and reported");
    assert.equal(j.stats().drops.overflow, 1);
    await j.close();
  });

  it("under reject, a disk full of acknowledged records behind the head refuses new records", async () => {
    const j = Journal.open(opts(tmp(), { maxBytes: 8000, segmentBytes: 1024, overflow: "reject" }));
    await fill(j, 1);
    j.next();
    let refused = 0;
    for (let i = 1; i < 400 && refused === 0; i++) {
      await j.append(1, `k${i}`, data(i)).catch(() => refused++);
      for (let r = j.next(); r; r = j.next()) j.ack(r.id);
    }
    assert.equal(refused, 1, "the cap bites although only one record is unacknowledged");
    assert.equal(j.depth, 1);
    assert.ok(j.bytes > 8000 - 200, `percent-full sees the disk: ${j.bytes} of 8000`);
    await j.close();
  });

  it("the cursor holds at most MAX_HELD_ACKS acknowledged ids; the oldest beyond are sent again after a restart (duplicates, never a loss)", async () => {
    const dir = tmp();
    const n = MAX_HELD_ACKS + 100;
    let j = Journal.open(opts(dir, { segmentBytes: 1 << 20, cursorIntervalMs: 1000 }));
    await fill(j, n);
    const first = j.next()!;
    for (let r = j.next(); r; r = j.next()) j.ack(r.id);
    await j.close();
    const cursor = JSON.parse(fs.readFileSync(path.join(dir, "p1", "cursor.json"), "utf8")) as { acked: number[] };
    assert.equal(cursor.acked.length, MAX_HELD_ACKS);
    assert.equal(cursor.acked[0], n - MAX_HELD_ACKS + 1, "the newest acks are kept");
    j = Journal.open(opts(dir, { segmentBytes: 1 << 20 }));
    const ids: number[] = [];
    for (let r = j.next(); r; r = j.next()) ids.push(r.seq);
    assert.equal(ids[0], first.seq, "the unacknowledged record comes back");
    assert.equal(ids.length, 1 + 100 - 1, "and the 99 acked ones left out of the cursor, as duplicates");
    await j.close();
  });
});
