import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { DedupStore, deltasToTimes, fingerprint, timesToDeltas } from "../../../nodes/validate/dedup";

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
    assert.deepEqual(d.toJSON(), { devices: {}, fp: 4 });
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

  it("fingerprints: a value moved to another measurement, a swapped pair, true/\"true\"/null all differ; 0 and -0, NaN and NaN agree", () => {
    const fp = (m: Record<string, { value: unknown; unit?: string }>) => fingerprint(m);
    assert.notEqual(fp({ a: { value: 1 }, b: { value: 2 } }), fp({ a: { value: 2 }, b: { value: 1 } }), "values swapped between names");
    assert.notEqual(fp({ a: { value: 1, unit: "V" } }), fp({ a: { value: 1 }, V: { value: 1 } }));
    assert.notEqual(fp({ a: { value: 1 }, b: { value: 1 } }), fp({ a: { value: 1 } }), "a repeated pair does not cancel out");
    assert.notEqual(fp({ a: { value: true } }), fp({ a: { value: "true" } }));
    assert.notEqual(fp({ a: { value: null } }), fp({ a: { value: false } }));
    assert.notEqual(fp({ a: { value: 230.1 } }), fp({ a: { value: 230.10000000000002 } }), "one bit of a double");
    assert.equal(fp({ a: { value: 0 } }), fp({ a: { value: -0 } }));
    assert.equal(fp({ a: { value: NaN } }), fp({ a: { value: Number("x") } }));
    // Across a JSON round trip (a replay over MQTT), every value fingerprints the same.
    const m = { e: { value: 1234.5678, unit: "kWh" }, v: { value: 0.1 + 0.2 }, s: { value: "on" }, n: { value: null } };
    assert.equal(fp(JSON.parse(JSON.stringify(m))), fp(m));
    // 20 measurements' readings of 1,000 meters at 96 quarter hours: no two different readings collide.
    const seen = new Set<number>();
    for (let d = 0; d < 1000; d++)
      for (let k = 0; k < 96; k++) {
        const r: Record<string, { value: number; unit: string }> = {};
        for (let i = 0; i < 20; i++) r[`m${i}`] = { value: i === 0 ? d * 1000 + k : 1000 + k * 0.25 + i, unit: "kWh" };
        seen.add(fp(r));
      }
    assert.ok(seen.size >= 96_000 - 3, `${96_000 - seen.size} collisions in 96,000`);
  });

  it("saves times as epoch-second steps, runs of equal steps as [step, count], milliseconds exact", () => {
    const t0 = Date.parse("2026-02-08T00:00:00.000Z");
    const q = Array.from({ length: 192 }, (_, i) => t0 + i * 900_000);
    assert.deepEqual(timesToDeltas(q), [t0 / 1000, [900, 191]]);
    const odd = [t0 + 1, t0 + 2, t0 + 1003, t0 + 2004, t0 + 3005, t0 + 3006, t0 + 90_000_000_123];
    assert.deepEqual(deltasToTimes(JSON.parse(JSON.stringify(timesToDeltas(odd)))), odd);
    assert.deepEqual(deltasToTimes(timesToDeltas(q)), q);
    assert.deepEqual(timesToDeltas([]), []);
    // A damaged entry makes the rest unusable (NaN), never a wrong time.
    assert.deepEqual(deltasToTimes([t0 / 1000, "x", 900]).map(Number.isNaN), [false, true, true]);
  });

  it("the saved keys take about 6 bytes each: 192 quarter-hour keys of a meter in under 1,300 bytes, and come back the same", () => {
    const t0 = Date.now() - 47 * 3_600_000;
    const s = new DedupStore(48 * 3_600_000, 1_000_000);
    for (let i = 0; i < 192; i++) s.add("meter-000000042", t0 + i * 900_000, fingerprint({ e: { value: i } }), t0 + i * 900_000);
    const text = JSON.stringify(s.toJSON());
    assert.ok(text.length < 1300, `${text.length} bytes`);
    const r = new DedupStore(48 * 3_600_000, 1_000_000);
    r.load(JSON.parse(text), t0 + 191 * 900_000);
    assert.equal(r.size, 192);
    assert.deepEqual(r.toJSON(), s.toJSON());
    assert.equal(r.check("meter-000000042", t0 + 5 * 900_000, fingerprint({ e: { value: 5 } })), "duplicate");
    assert.equal(r.check("meter-000000042", t0 + 5 * 900_000, fingerprint({ e: { value: 6 } })), "conflict");
    assert.equal(r.check("meter-000000042", t0 + 5 * 900_000 + 1, fingerprint({ e: { value: 5 } })), "new");
  });
});
