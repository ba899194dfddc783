import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { addValue, newBaseline, spike, stdDev } from "../../../nodes/validate/welford";

describe("validate: Welford baselines", () => {
  it("mean and sample variance match the two-pass formulas", () => {
    // Knuth TAOCP 4.2.2 / Welford 1962; the classic set 2,4,4,4,5,5,7,9: mean 5, sample variance 32/7.
    const b = newBaseline();
    for (const x of [2, 4, 4, 4, 5, 5, 7, 9]) addValue(b, x);
    assert.equal(b[0], 8);
    assert.equal(b[1], 5);
    assert.ok(Math.abs(stdDev(b) - Math.sqrt(32 / 7)) < 1e-12);
  });

  it("is stable with a large offset (catastrophic cancellation in the naive sum of squares)", () => {
    const b = newBaseline();
    for (const x of [1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16]) addValue(b, x);
    assert.ok(Math.abs(stdDev(b) ** 2 - 30) < 1e-6);
  });

  it("judges only after the warm-up, beyond sigma, with a floor on σ", () => {
    const b = newBaseline();
    const check = { sigma: 3, warmup: 10, floor: 0 };
    for (let i = 0; i < 9; i++) addValue(b, 100 + (i % 2));
    assert.equal(spike(b, 1000, check), undefined, "warming up");
    addValue(b, 100);
    assert.ok(spike(b, 1000, check));
    assert.equal(spike(b, 100.9, check), undefined);
    // A flat history: σ 0 would flag any change; 1 % of the mean is the least σ used, and a floor may raise it.
    const flat = newBaseline();
    for (let i = 0; i < 10; i++) addValue(flat, 50);
    assert.equal(spike(flat, 51, check), undefined);
    assert.ok(spike(flat, 52, check));
    assert.equal(spike(flat, 52, { ...check, floor: 5 }), undefined);
  });
});
