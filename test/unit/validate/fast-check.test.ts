// validate's hand-written fast path for the common shape of a canonical reading: it must never accept what the
// schema (ajv, through validateReading) refuses, and it must accept the shapes meter-normalize and store-forward
// send (else it is no fast path). The schema is nodes/shared/canonical-reading.schema.json; the calendar rules for
// the real-time check are ISO 8601 / RFC 3339 section 5.7 (no February 30, no 24:00, no :60 in a UTC ISO string).
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { validateReading } from "../../../nodes/shared/canonical-reading";
import { fastReadingTime, utcTime } from "../../../nodes/validate/fast-check";

type Any = Record<string, any>;

const GOOD: Any[] = [
  { deviceId: "m1", timestamp: "2026-02-08T14:15:00.000Z", measurements: { e: { value: 1.5, unit: "kWh" } }, quality: "GOOD" },
  {
    deviceId: "meter-001", timestamp: "2024-02-29T23:59:59.999Z", quality: "SUSPECT", flags: ["time-corrected"],
    measurements: { e: { value: 1, unit: "kWh", quality: "SUSPECT", flags: ["spike"] }, s: { value: "on" }, b: { value: true }, n: { value: null, quality: "BAD" } },
    source: { protocol: "modbus", mapId: "sim", mapVersion: "1.0.0", unitId: 1, originalTimestamp: "2024-02-29T23:50:00.000Z" },
  },
  { deviceId: "m1", timestamp: "0099-12-31T00:00:00.000Z", measurements: { e: { value: -0 } }, quality: "ESTIMATED", source: { protocol: "json", unitId: undefined } },
];

/** Every way to break a reading we can think of, applied at every place in it. */
const BAD_VALUES: unknown[] = [undefined, null, "", "x", 0, 1.5, -1, NaN, true, [], [""], ["ok", 1], {}, { value: 1 }, "GOOD ", "2026-02-08T14:15:00.000Z"];
const BAD_TIMES = ["2026-02-30T00:00:00.000Z", "2026-02-08T24:00:00.000Z", "2026-02-08T14:15:60.000Z", "2026-13-01T00:00:00.000Z", "2026-00-01T00:00:00.000Z", "2025-02-29T00:00:00.000Z", "1900-02-29T00:00:00.000Z", "2026-02-08T14:15:00.000+00:00", "2026-02-08T14:15:00Z", "2026-02-08 14:15:00.000Z", "２026-02-08T14:15:00.000Z", "2026-02-08T14:15:00.00aZ"];

function paths(o: unknown, at: string[] = []): string[][] {
  if (typeof o !== "object" || o === null) return [at];
  const out: string[][] = [at];
  for (const k of Object.keys(o)) out.push(...paths((o as Any)[k], [...at, k]));
  return out;
}

function variants(base: Any): Any[] {
  const out: Any[] = [];
  for (const p of paths(base)) {
    if (p.length === 0) continue;
    for (const v of [...BAD_VALUES, ...(p[p.length - 1] === "timestamp" || p[p.length - 1] === "originalTimestamp" ? BAD_TIMES : [])]) {
      const c = structuredClone(base);
      let o = c;
      for (const k of p.slice(0, -1)) o = o[k];
      o[p[p.length - 1]] = v;
      out.push(c);
      const d = structuredClone(base);
      let q = d;
      for (const k of p.slice(0, -1)) q = q[k];
      delete q[p[p.length - 1]];
      out.push(d);
    }
    // An unknown property beside it.
    const e = structuredClone(base);
    let q = e;
    for (const k of p.slice(0, -1)) q = q[k];
    if (typeof q === "object" && q !== null && !Array.isArray(q)) q.extra = { weird: [1] };
    out.push(e);
  }
  return out;
}

describe("validate: the fast path of the schema check", () => {
  it("accepts the common shapes, with the timestamp's epoch ms", () => {
    for (const r of GOOD) {
      assert.equal(validateReading(r).ok, true, JSON.stringify(r));
      assert.equal(fastReadingTime(r), Date.parse(r.timestamp), JSON.stringify(r));
    }
  });

  it("never accepts what the schema refuses (every property of three readings broken every way)", () => {
    let refused = 0;
    let checked = 0;
    for (const base of GOOD) {
      for (const v of variants(base)) {
        checked++;
        const ajv = validateReading(v).ok;
        if (!ajv) refused++;
        const fast = fastReadingTime(v);
        if (fast === fast) {
          assert.equal(ajv, true, `the fast path accepted what the schema refuses: ${JSON.stringify(v)}`);
          assert.equal(fast, Date.parse(v.timestamp));
        }
      }
    }
    assert.ok(refused > 500, `the variants include many invalid readings (${refused} of ${checked})`);
  });

  it("answers 'ask ajv' (NaN) for what it does not know: an aggregate's window and stats, meta, arrays, non-objects", () => {
    const r = GOOD[0];
    for (const x of [
      { ...r, window: { start: r.timestamp } },
      { ...r, meta: { site: "s" } },
      { ...r, measurements: { e: { value: 1, stats: { count: 1, sum: 1 } } } },
      { ...r, measurements: {} },
      [r],
      "reading",
      null,
      42,
    ])
      assert.ok(Number.isNaN(fastReadingTime(x)), JSON.stringify(x));
  });

  it("utcTime: real UTC instants only, as Date.parse + toISOString round-trips them", () => {
    for (const t of ["2026-02-08T14:15:00.000Z", "2024-02-29T00:00:00.000Z", "2000-02-29T12:00:00.000Z", "0000-01-01T00:00:00.000Z", "0050-06-15T01:02:03.004Z", "9999-12-31T23:59:59.999Z"])
      assert.equal(utcTime(t), Date.parse(t), t);
    for (const t of BAD_TIMES) assert.ok(Number.isNaN(utcTime(t)), t);
  });
});
