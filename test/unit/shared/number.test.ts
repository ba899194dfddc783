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
