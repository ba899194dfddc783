import { it } from "mocha";
import assert from "node:assert/strict";
import { float32ToDecimal, tidy } from "../../../nodes/shared/number";

it("tidy removes binary noise from scaled values but keeps integers", () => {
  assert.equal(tidy(400 * 0.1), 40);
  assert.equal(tidy(0.1 + 0.2), 0.3);
  assert.equal(tidy(123456789012), 123456789012);
  assert.ok(Number.isNaN(tidy(NaN)));
  assert.equal(tidy(Infinity), Infinity);
});

it("tidy is Number(x.toPrecision(15)) for every number, done in arithmetic where that is exact", () => {
  const ref = (x: number) => (Number.isInteger(x) || !Number.isFinite(x) ? x : Number(x.toPrecision(15)));
  let seed = 11;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed / 2147483648);
  const cases: number[] = [0.1 + 0.2, 400 * 0.1, 230.1 + 230.3 + 230.2, 1e15 - 0.5, 999999999999999.9, 9.99999999999999, 1.0000000000000002, -40.00000000000001, 0.5, 1.5, 2.5, 12345678901234.5, 123456789012345.6, 1e-7, 5e-324, 1e300];
  for (let k = 0; k < 100_000; k++) {
    const mag = 10 ** Math.floor(rnd() * 34 - 12);
    cases.push((rnd() - 0.5) * mag);
    // sums of float32 decimals and scaled registers, as aggregates and register maps make them
    cases.push(Math.round(rnd() * 1e6) * 0.001 + Math.round(rnd() * 1e4) * 0.1);
    // exact ties of the 15th digit and their neighbours
    const tie = (Math.floor(rnd() * 9e14) + 1e14 + 0.5) / 10 ** Math.floor(rnd() * 14);
    cases.push(tie, tie * (1 + Number.EPSILON), tie * (1 - Number.EPSILON));
  }
  for (const x of cases) assert.ok(Object.is(tidy(x), ref(x)), `${x}: ${tidy(x)} is not ${ref(x)}`);
});

it("float32ToDecimal gives the shortest decimal that reads back as the same float32", () => {
  assert.equal(float32ToDecimal(Math.fround(21.3)), 21.3);
  assert.equal(float32ToDecimal(Math.fround(230.1)), 230.1);
  assert.equal(float32ToDecimal(Math.fround(-0.001)), -0.001);
  assert.equal(float32ToDecimal(Math.fround(1.23456789e-20)), 1.2345679e-20);
  assert.equal(float32ToDecimal(16777216), 16777216, "whole numbers pass through");
  assert.ok(Number.isNaN(float32ToDecimal(NaN)));
  for (let k = 0; k < 2000; k++) {
    const f = Math.fround((Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 20 - 10));
    assert.equal(Math.fround(float32ToDecimal(f)), f, `${f} round-trips`);
  }
});
