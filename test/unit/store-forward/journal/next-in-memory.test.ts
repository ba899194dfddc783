// Issue 7, item 25: next() read back and copied the record just appended, although it was still in memory.
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import { Journal } from "../../../../nodes/store-forward/journal";
import { WRITTEN_KEEP_BYTES } from "../../../../nodes/store-forward/journal/segment-log";
import { data, drain, fill, idx, opts, tmp } from "./helpers";

/** Count fs.readSync calls while `fn` runs. */
function countReads<T>(fn: () => T): [T, number] {
  const f = fs as unknown as { readSync: (...args: unknown[]) => number };
  const orig = f.readSync;
  let n = 0;
  f.readSync = (...args: unknown[]) => {
    n++;
    return orig(...args);
  };
  try {
    return [fn(), n];
  } finally {
    f.readSync = orig;
  }
}

describe("journal: a record appended and delivered at once is not read back (issue 7 item 25)", () => {
  it("next() hands out the records just written from memory: no segment read", async () => {
    const dir = tmp();
    const j = Journal.open(opts(dir, { segmentBytes: 1000 }));
    await fill(j, 30); // several segments
    const [got, reads] = countReads(() => {
      const out = [];
      for (let r = j.next(); r; r = j.next()) out.push(r);
      return out;
    });
    assert.equal(reads, 0, "no segment was read");
    assert.deepEqual(got.map((r) => idx(r.data)), Array.from({ length: 30 }, (_, k) => k));
    assert.deepEqual(got.slice(0, 2).map((r) => [r.id, r.key]), [["p1-1", "k0"], ["p1-2", "k1"]]);
    for (const r of got) assert.ok(j.ack(r.id));
    await j.close();
    // And the same records come back from disk after a restart when not acknowledged.
    const k = Journal.open(opts(dir, { segmentBytes: 1000 }));
    assert.equal(k.depth, 0);
    await k.close();
  });

  it("beyond the bytes kept in memory, and after a restart, records are read back from disk, the same", async () => {
    const dir = tmp();
    let j = Journal.open(opts(dir, { segmentBytes: 64 * 1024 }));
    const big = Math.ceil(WRITTEN_KEEP_BYTES / data(0).length) + 50;
    await fill(j, big);
    const [got, reads] = countReads(() => drain(j, false));
    assert.ok(reads > 0, "what did not fit in memory is read back");
    assert.deepEqual(got, Array.from({ length: big }, (_, k) => k));
    await j.close();
    j = Journal.open(opts(dir, { segmentBytes: 64 * 1024 }));
    assert.deepEqual(drain(j), Array.from({ length: big }, (_, k) => k));
    await j.close();
  });
});
