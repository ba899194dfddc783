/**
 * A published aggregate carries no binary floating-point noise: an hourly sum of 0.1 + 0.2 kWh is 0.3, not
 * 0.30000000000000004, so a bill built on it reads the meter's own decimals (found by tariff-bill's chain test:
 * 873.439000000000004 kWh on a bill).
 */
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { MIN, aggregator, reading } from "./helpers";
import { tidyCached } from "../../../nodes/aggregate-window/aggregator";
import { tidy } from "../../../nodes/shared/number";

describe("aggregate-window: published values", () => {
  it("drop float noise: sum 0.1 + 0.2 = 0.3, mean of 0.1 and 0.2 = 0.15", () => {
    const T0 = Date.parse("2026-06-01T00:00:00Z");
    const agg = aggregator({ window: "1h", aggregates: '{"energy*":"sum","power*":"mean"}' });
    agg.add([reading("m1", T0, { energy: 0.1, power: 0.1 }), reading("m1", T0 + 15 * MIN, { energy: 0.2, power: 0.2 })], T0);
    const [a] = agg.flush();
    assert.equal(0.1 + 0.2, 0.30000000000000004, "the noise this guards against");
    assert.equal(a.measurements.energy.value, 0.3);
    assert.equal(a.measurements.power.value, 0.15);
  });
});

describe("tidyCached: tidy with recent results remembered", () => {
  it("gives tidy's result for every value, in any order, whatever collides in its cache", () => {
    let x = 987654321;
    const rnd = () => {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      return x / 4294967296;
    };
    const values: number[] = [0.1 + 0.2, -0, 0, NaN, Infinity, -Infinity, 873.4390000000001, 1e-7 + 2e-7, 5e-324, -0.25];
    for (let k = 0; k < 20_000; k++) values.push((rnd() - 0.5) * 10 ** Math.floor(rnd() * 30 - 12), Math.floor(rnd() * 1000) * 0.05 + Math.floor(rnd() * 7) * 0.1);
    for (let pass = 0; pass < 2; pass++)
      for (const v of values) assert.ok(Object.is(tidyCached(v), tidy(v)), `${v}: ${tidyCached(v)} vs ${tidy(v)}`);
  });
});
