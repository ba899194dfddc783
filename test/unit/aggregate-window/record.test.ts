/**
 * The compact record of a window (record.ts) gives back exactly the accumulators and slots it was made from.
 */
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { bufAdd, STRIDE } from "../../../nodes/aggregate-window/accumulate";
import { columns, extraOf, hasSlot, pack, received, slotsOf, unpackStats, type Slots } from "../../../nodes/aggregate-window/record";

function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const START = Date.parse("2026-03-08T05:00:00Z");
const I = 60_000;

/** A window as the aggregator fills it: readings on the grid (some off it), some columns missing, BAD or constant. */
function window(seed: number, ncols: number, slots: number) {
  const r = rng(seed);
  const buf = new Float64Array(ncols * STRIDE);
  const seen: Slots = new Map();
  let extra = 0;
  for (let k = 0; k < slots; k++) {
    if (r() < 0.2) continue;
    const at = r() < 0.85 ? k * I : k * I + Math.floor(r() * I);
    if (seen.has(k)) extra++;
    else seen.set(k, at);
    for (let c = 0; c < ncols; c++) {
      if (c % 7 === 6 && r() < 0.5) continue; // a column some readings lack
      const kind = c % 5;
      const v = kind === 0 ? 1000 + k * 0.25 : kind === 1 ? 7 : kind === 2 ? Math.round(r() * 1e6) / 1e3 : kind === 3 ? -k : r() - 0.5;
      const bad = c === ncols - 1 ? r() < 0.5 : r() < 0.02;
      bufAdd(buf, c, START + at, bad ? 0 : v, bad, bad ? 0 : r() < 0.1 ? 2 : 0);
    }
  }
  return { buf, seen, extra };
}

describe("aggregate-window records: a packed window unpacks to what it was", () => {
  for (const [seed, ncols, slots] of [[1, 20, 15], [2, 3, 96], [3, 1, 1], [4, 12, 100], [5, 20, 44], [6, 0, 4], [7, 5, 2976]] as const) {
    it(`seed ${seed}: ${ncols} columns, ${slots} slots`, () => {
      const { buf, seen, extra } = window(seed, ncols, slots);
      const rec = pack(buf, ncols, seen, extra, START, I);
      assert.equal(columns(rec), ncols);
      assert.equal(received(rec), seen.size);
      assert.equal(extraOf(rec), extra);
      assert.deepEqual([...unpackStats(rec, START, new Float64Array(ncols * STRIDE))], [...buf]);
      for (let c = 0; c < ncols; c++) assert.deepEqual([...unpackStats(rec, START, new Float64Array(STRIDE), c)], [...buf.subarray(c * STRIDE, (c + 1) * STRIDE)], `column ${c}`);
      assert.deepEqual([...slotsOf(rec, I)].sort((a, b) => a[0] - b[0]), [...seen].sort((a, b) => a[0] - b[0]));
      for (let k = -1; k <= slots + 40; k++) assert.equal(hasSlot(rec, k), seen.has(k), `slot ${k}`);
      // and smaller than the accumulators, even for these irregular windows (the bench measures a meter's)
      if (ncols >= 12 && slots <= 50) assert.ok(rec.length < ncols * STRIDE, `${rec.length} numbers for ${ncols} columns`);
    });
  }

  it("keeps -0 and the sign of values that equal others (Object.is, not ===)", () => {
    const buf = new Float64Array(STRIDE);
    bufAdd(buf, 0, START, -0, false, 0);
    bufAdd(buf, 0, START + I, 0, false, 0);
    const rec = pack(buf, 1, new Map([[0, 0], [1, I]]), 0, START, I);
    const back = unpackStats(rec, START, new Float64Array(STRIDE));
    for (let k = 0; k < STRIDE; k++) assert.ok(Object.is(back[k], buf[k]), `field ${k}: ${back[k]} vs ${buf[k]}`);
  });
});
