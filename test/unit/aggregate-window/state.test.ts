/**
 * The state document: format 2 (windows as compact records) restores to the same aggregates as no restart, and a
 * format-1 document written before the compact records (fixtures/state-format1.json, made by aggregate-window at
 * commit 2348caa~1 from part1() below) still restores and continues as if nothing had happened.
 */
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { Aggregate, AggregatorState } from "../../../nodes/aggregate-window/aggregator";
import type { CanonicalReading } from "../../../nodes/shared/canonical-reading";
import { aggregator } from "./helpers";

const Q = 900_000;
const T0 = Date.parse("2026-03-28T22:00:00Z"); // Berlin 23:00 the night of the spring change
const NOW = Date.parse("2026-03-29T06:00:00Z");
const CFG = { window: "1h", zone: "Europe/Berlin", aggregates: '{"energy*":"delta","power*":"twa","temp*":"max","*":"mean"}', intervalSeconds: 900, latenessSeconds: 0, fill: "linear" };

function reading(dev: string, k: number, opts: { off?: number; bad?: boolean } = {}): CanonicalReading {
  const t = T0 + k * Q + (opts.off ?? 0);
  const ms: CanonicalReading["measurements"] = {
    energyImport: { value: 1000 + k * 0.75 + (dev === "b" ? 50 : 0), unit: "kWh" },
    powerActive: { value: 2 + (k % 5) * 0.5, unit: "kW" },
    tempOil: { value: 40 + (k % 3), unit: "Cel" },
    voltage: { value: 230 + (k % 2) },
  };
  if (opts.bad) ms.powerActive = { value: null, quality: "BAD" };
  return { deviceId: dev, timestamp: new Date(t).toISOString(), measurements: ms, quality: "GOOD" };
}
/** Hours 0..5 of devices a and b; a misses two readings of hour 2; b has a BAD power and a reading off the grid. */
function part1(): CanonicalReading[][] {
  const out: CanonicalReading[][] = [];
  for (let k = 0; k < 24; k++) {
    const batch: CanonicalReading[] = [];
    if (k !== 9 && k !== 10) batch.push(reading("a", k));
    batch.push(reading("b", k, { bad: k === 13, off: k === 17 ? 120_000 : 0 }));
    out.push(batch);
  }
  return out;
}
/** The missing readings late (corrections), a duplicate, then hours 6 and 7. */
function part2(): CanonicalReading[][] {
  const out: CanonicalReading[][] = [[reading("a", 9), reading("a", 10)], [reading("b", 17, { off: 120_000 })]];
  for (let k = 24; k < 32; k++) out.push([reading("a", k), reading("b", k)]);
  return out;
}

const run = (agg: ReturnType<typeof aggregator>, batches: CanonicalReading[][]): Aggregate[] => batches.flatMap((b) => agg.add(b, NOW).aggregates);

describe("aggregate-window state", () => {
  it("format 2: a restart between part 1 and part 2 gives the aggregates of no restart (corrections, duplicates, twa, fill)", () => {
    const ref = aggregator(CFG);
    run(ref, part1());
    const want = run(ref, part2());
    const first = aggregator(CFG);
    run(first, part1());
    const doc = JSON.parse(JSON.stringify(first.snapshot())) as AggregatorState;
    assert.equal(doc.format, 2);
    const second = aggregator(CFG);
    assert.ok(second.restore(doc, NOW));
    assert.deepEqual(second.stats(), first.stats());
    const got = run(second, part2());
    assert.ok(want.some((a) => a.window.revision > 0), "part 2 corrects a closed window");
    assert.deepEqual(got, want);
    assert.deepEqual(second.flush(), ref.flush());
  });

  it("the document in parts is the document", () => {
    const agg = aggregator(CFG);
    run(agg, part1());
    assert.deepEqual(JSON.parse([...agg.snapshotParts()].join("")), JSON.parse(JSON.stringify(agg.snapshot())));
    assert.deepEqual(JSON.parse([...aggregator(CFG).snapshotParts()].join("")), JSON.parse(JSON.stringify(aggregator(CFG).snapshot())));
  });

  it("format 1 (before the compact records) restores and continues as if nothing had happened", () => {
    const doc = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "state-format1.json"), "utf8")) as AggregatorState;
    assert.equal(doc.format, 1);
    const ref = aggregator(CFG);
    run(ref, part1());
    const stats = ref.stats();
    const want = run(ref, part2());
    const agg = aggregator(CFG);
    assert.ok(agg.restore(doc, NOW));
    assert.deepEqual(agg.stats(), stats);
    assert.deepEqual(run(agg, part2()), want);
    assert.deepEqual(agg.flush(), ref.flush());
  });

  it("a window's record is a fraction of its format-1 form in the document (points of twa and fill aside)", () => {
    const agg = aggregator(CFG);
    run(agg, part1());
    const wins = (st: AggregatorState) => (st.devices as { wins: unknown[] }[]).flatMap((d) => d.wins);
    const now = wins(agg.snapshot()).map((w) => (w as unknown[]).slice(0, 7));
    const old = wins(JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "state-format1.json"), "utf8")) as AggregatorState).map((w) => ({ ...(w as object), pts: undefined }));
    assert.equal(now.length, old.length);
    const size = (x: unknown) => JSON.stringify(x).length;
    assert.ok(size(now) < size(old) * 0.5, `${size(now)} bytes against ${size(old)}`);
  });
});
