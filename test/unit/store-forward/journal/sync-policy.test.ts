import { describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import { DEFAULT_SYNC_INTERVAL_MS, Journal, PAGE_BYTES, writeAmplification } from "../../../../nodes/store-forward/journal";
import { opts, settle, tmp } from "./helpers";

/** Count fs.fsync calls (the journal's group commit syncs segments with it); returns the count and the undo. */
function countFsyncs(): { n: () => number; undo: () => void } {
  const f = fs as unknown as { fsync: (...args: unknown[]) => void };
  const orig = f.fsync;
  let n = 0;
  f.fsync = (...args: unknown[]) => {
    n++;
    orig(...args);
  };
  return { n: () => n, undo: () => (f.fsync = orig) };
}

describe("journal: SD-aware sync under batch (issue 7, item 23)", () => {
  it("syncs once a page's worth of records is waiting, without waiting for the sync interval", async () => {
    const j = Journal.open(opts(tmp(), { syncIntervalMs: 60_000, segmentBytes: 1 << 20 }));
    const fsyncs = countFsyncs();
    try {
      // Under a page: nothing is synced, the appends wait for the interval.
      let resolved = 0;
      const small = Array.from({ length: 5 }, (_, k) => j.append(1, `s${k}`, Buffer.alloc(200, 0x61)).then(() => resolved++));
      await settle();
      assert.equal(fsyncs.n(), 0, "a few records under a page are not synced yet");
      assert.equal(resolved, 0);
      // A page's worth: synced at once; every waiting append resolves (the 60 s interval never passes in this test).
      await Promise.all([...small, ...Array.from({ length: 20 }, (_, k) => j.append(1, `p${k}`, Buffer.alloc(200, 0x62)))]);
      assert.ok(fsyncs.n() >= 1);
    } finally {
      fsyncs.undo();
    }
    await j.close();
  });

  it("writeAmplification: the model the default is chosen by", () => {
    const at = (ratePerSecond: number, syncIntervalMs: number) => writeAmplification({ recordBytes: 200, ratePerSecond, syncIntervalMs, pageBytes: PAGE_BYTES });
    // One record per sync rewrites 1 + 200/4096 pages of 4 KiB for 200 bytes.
    assert.equal(at(1, 100), 1 + 4096 / 200);
    // The old default (200 ms) at 10 readings/s: 2 records (400 bytes) per sync.
    assert.ok(Math.abs(at(10, 200) - (1 + 4096 / 400)) < 1e-9);
    // The default at 10 readings/s: the page threshold syncs first, 21 records of 200 bytes.
    assert.ok(at(10, DEFAULT_SYNC_INTERVAL_MS) <= 2, `${at(10, DEFAULT_SYNC_INTERVAL_MS)}`);
    assert.ok(at(10, 2000) > 2, "2 s holds less than a page at 10 readings/s: the default is the smallest round interval under 2×");
    // Faster: a page's worth at any interval; slower: bounded by the interval.
    assert.equal(at(1000, DEFAULT_SYNC_INTERVAL_MS), at(100, DEFAULT_SYNC_INTERVAL_MS));
    assert.ok(at(0.1, DEFAULT_SYNC_INTERVAL_MS) > 20, "at 0.1 readings/s each sync holds one record");
    assert.throws(() => writeAmplification({ recordBytes: 0, ratePerSecond: 10, syncIntervalMs: 1000 }), RangeError);
  });
});
