/**
 * A published aggregate carries no binary floating-point noise: an hourly sum of 0.1 + 0.2 kWh is 0.3, not
 * 0.30000000000000004, so a bill built on it reads the meter's own decimals (found by tariff-bill's chain test:
 * 873.439000000000004 kWh on a bill).
 */
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { MIN, aggregator, reading } from "./helpers";

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
