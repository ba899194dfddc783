import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { DedupStore, fingerprint } from "../../../nodes/validate/dedup";

const H = 3_600_000;
const T0 = Date.parse("2026-02-08T00:00:00.000Z");

describe("validate: the dedup store", () => {
  it("tells new, exact duplicate and conflicting keys apart (seed 002: meter_id + timestamp)", () => {
    const d = new DedupStore(48 * H, 1000);
    assert.equal(d.check("m1", T0, 7), "new");
    d.add("m1", T0, 7, T0);
    assert.equal(d.check("m1", T0, 7), "duplicate");
    assert.equal(d.check("m1", T0, 8), "conflict");
    assert.equal(d.check("m2", T0, 7), "new");
    assert.equal(d.check("m1", T0 + 1, 7), "new");
  });

  it("keys out of order are found (a replay older than the newest key)", () => {
    const d = new DedupStore(48 * H, 1000);
    for (const k of [5, 1, 3, 2, 4]) d.add("m1", T0 + k * 900_000, k, T0 + 10 * H);
    for (const k of [1, 2, 3, 4, 5]) assert.equal(d.check("m1", T0 + k * 900_000, k), "duplicate", `key ${k}`);
    assert.equal(d.size, 5);
  });

  it("keys expire by time: older than the window are forgotten and counted", () => {
    const d = new DedupStore(48 * H, 1000);
    for (let i = 0; i < 10; i++) d.add("m1", T0 + i * H, i, T0 + i * H);
    d.expire(T0 + 52 * H); // the window starts at T0+4h
    assert.equal(d.size, 6);
    assert.equal(d.expired, 4);
    assert.equal(d.check("m1", T0 + 3 * H, 3), "new");
    assert.equal(d.check("m1", T0 + 4 * H, 4), "duplicate");
    d.expire(T0 + 100 * H);
    assert.equal(d.size, 0);
    assert.deepEqual(d.toJSON(), { devices: {} });
    // A key already outside the window is not kept.
    d.add("m1", T0, 1, T0 + 100 * H);
    assert.equal(d.size, 0);
  });

  it("a hard cap bounds memory, and counts the keys it evicted", () => {
    const d = new DedupStore(48 * H, 1000);
    for (let i = 0; i < 1500; i++) d.add(`m${i % 3}`, T0 + i * 1000, i, T0 + 2 * H);
    assert.equal(d.size, 1000);
    assert.equal(d.capped, 500);
    // The newest keys are kept.
    assert.equal(d.check("m2", T0 + 1499 * 1000, 1499), "duplicate");
  });

  it("survives toJSON/load, leaving out what has expired since", () => {
    const d = new DedupStore(48 * H, 1000);
    d.add("m1", T0, 1, T0);
    d.add("m1", T0 + 24 * H, 2, T0 + 24 * H);
    const e = new DedupStore(48 * H, 1000);
    e.load(JSON.parse(JSON.stringify(d.toJSON())), T0 + 50 * H);
    assert.equal(e.size, 1);
    assert.equal(e.check("m1", T0 + 24 * H, 2), "duplicate");
    e.load({ devices: { bad: "x" } } as never, T0);
    e.load(undefined, T0);
    assert.equal(e.size, 1);
  });

  it("fingerprints values and units, not quality, flags or key order", () => {
    const a = fingerprint({ energy: { value: 1.5, unit: "kWh" }, v: { value: 230 } });
    assert.equal(a, fingerprint({ v: { value: 230 }, energy: { value: 1.5, unit: "kWh", quality: "SUSPECT", flags: ["spike"] } as never }));
    assert.notEqual(a, fingerprint({ energy: { value: 1.6, unit: "kWh" }, v: { value: 230 } }));
    assert.notEqual(a, fingerprint({ energy: { value: 1.5, unit: "Wh" }, v: { value: 230 } }));
    assert.notEqual(fingerprint({ x: { value: "1" } }), fingerprint({ x: { value: 1 } }));
  });
});
