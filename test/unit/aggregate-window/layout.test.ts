/**
 * A device's readings are placed through the layout of its last reading (names, columns, units) when the next one
 * is shaped the same. Readings whose shapes change (names added, dropped or reordered, units given late, changed or
 * left out) must aggregate exactly as when no layout is ever reused.
 */
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import type { CanonicalReading } from "../../../nodes/shared/canonical-reading";
import { aggregator, MIN } from "./helpers";

const T0 = Date.parse("2026-06-01T00:00:00Z");
const AGG = { window: "15m", aggregates: '{"energy*":"delta","power*":"mean","temp*":"max","a*":"sum"}', intervalSeconds: 60, latenessSeconds: 0 };

/** A small deterministic generator (so a failure can be replayed). */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

function stream(seed: number): CanonicalReading[] {
  const r = rng(seed);
  const names = ["energyA", "powerA", "tempA", "aCount", "aNoUnit", "other"];
  const units: Record<string, (string | undefined)[]> = { energyA: ["kWh", undefined, "Wh"], powerA: ["kW", undefined], tempA: ["Cel"], aCount: [undefined, "1"], aNoUnit: [undefined], other: ["x"] };
  const out: CanonicalReading[] = [];
  for (let k = 0; k < 400; k++) {
    const dev = `m${Math.floor(r() * 3)}`;
    // mostly the same shape, sometimes another order, a missing name or another unit
    const shape = r() < 0.8 ? names.slice(0, 5) : names.filter(() => r() < 0.7).sort(() => r() - 0.5);
    if (!shape.length) shape.push("powerA");
    const measurements: CanonicalReading["measurements"] = {};
    for (const n of shape) {
      const us = units[n];
      const unit = r() < 0.85 ? us[0] : us[Math.floor(r() * us.length)];
      measurements[n] = { value: n === "energyA" ? 1000 + k : Math.round(r() * 100) / 4, ...(unit ? { unit } : {}) };
    }
    out.push({ deviceId: dev, timestamp: new Date(T0 + k * MIN).toISOString(), measurements, quality: "GOOD" });
  }
  return out;
}

describe("aggregate-window layouts: a reading shaped like the one before is placed by position", () => {
  for (const seed of [1, 2, 3, 42, 1234]) {
    it(`seed ${seed}: the same aggregates as with a new layout for every reading`, () => {
      const items = stream(seed);
      const fast = aggregator(AGG);
      const ref = aggregator(AGG);
      const a = items.flatMap((x) => fast.add([x], T0).aggregates);
      // the reference: each reading carries a name no glob matches, a new one each time, so no layout is reused
      const b = items.flatMap((x, k) => ref.add([{ ...x, measurements: { ...x.measurements, [`zz${k}`]: { value: 1 } } }], T0).aggregates);
      const flushed = fast.flush();
      a.push(...flushed);
      b.push(...ref.flush());
      assert.ok(a.length > 20);
      assert.deepEqual(a, b);
      // and units are right, not only alike: a device's unit of a measurement is the last one it gave
      const last = new Map<string, string>();
      for (const x of items) for (const [n, m] of Object.entries(x.measurements)) if (m.unit) last.set(`${x.deviceId} ${n}`, m.unit);
      // and every measurement the device gave is in its aggregate, with or without a unit
      for (const f of flushed) {
        const gave = new Set(items.filter((x) => x.deviceId === f.deviceId).flatMap((x) => Object.keys(x.measurements)));
        gave.delete("other");
        assert.deepEqual(Object.keys(f.measurements), [...gave].sort(), f.deviceId);
      }
      let checked = 0;
      for (const f of flushed)
        for (const [n, m] of Object.entries(f.measurements)) {
          if (!last.has(`${f.deviceId} ${n}`)) {
            assert.equal(m.unit, undefined);
            continue;
          }
          assert.equal(m.unit, last.get(`${f.deviceId} ${n}`), `${f.deviceId} ${n}`);
          checked++;
        }
      assert.ok(checked >= 9);
    });
  }
});
