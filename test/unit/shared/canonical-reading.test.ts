import { it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import Ajv from "ajv";
import { canonicalReadingSchema, readingKey, readingTime, timestampMs, validateReading, type CanonicalReading } from "../../../nodes/shared/canonical-reading";
import * as root from "../../../nodes/shared/index";
import { createNormalizer, parseMeterNormalizeConfig } from "../../../nodes/meter-normalize/normalizer";
import { FIXTURES, fixture } from "../../helpers/fixtures";

const GOOD: CanonicalReading = {
  deviceId: "meter-001",
  timestamp: "2026-02-08T14:15:00.000Z",
  measurements: { energy: { value: 1234.5, unit: "kWh" }, fault: { value: null, quality: "BAD" } },
  quality: "BAD",
  source: { protocol: "modbus", mapId: "m", mapVersion: "1.0.0", unitId: 1 },
};

it("validateReading accepts a canonical reading, value null with quality BAD included", () => {
  const r = validateReading(GOOD);
  assert.deepEqual(r, { ok: true, reading: GOOD });
});

it("validateReading accepts what meter-normalize produces, from Modbus, SenML and JSON", () => {
  const map = fs.readFileSync(path.join(FIXTURES, "maps/float32-meter.json"), "utf8");
  const n = createNormalizer(parseMeterNormalizeConfig({ registerMap: map, deviceId: "meter-001" }));
  const now = Date.parse("2026-02-08T14:15:00.000Z");
  const produced = [
    ...n.normalize(fixture("modbus/read-holding-float32.json"), now),
    ...n.normalize({ payload: [{ bn: "dev1/", n: "t", u: "degF", v: 212 }, { n: "x", u: "furlong", v: 3, t: 60 }] }, now),
    ...n.normalize({ payload: { kwh: 12.5, bad: NaN, on: true } }, now),
  ];
  assert.equal(produced.length, 4);
  for (const { reading } of produced) assert.deepEqual(validateReading(reading), { ok: true, reading });
});

it("validateReading names each bad field", () => {
  const bad = (x: unknown) => {
    const r = validateReading(x);
    assert.equal(r.ok, false);
    return r.ok ? [] : r.errors;
  };
  assert.deepEqual(bad({ ...GOOD, measurements: { energy: { value: { kwh: 1 } } } }), ["/measurements/energy/value must be number,string,boolean,null"]);
  assert.deepEqual(bad({ ...GOOD, quality: "OK" }), ['/quality must be one of "GOOD", "ESTIMATED", "SUSPECT", "BAD"']);
  assert.deepEqual(bad({ ...GOOD, deviceId: undefined }), ['/ is missing required field "deviceId"']);
  assert.deepEqual(bad({ ...GOOD, measurements: {} }), ["/measurements must NOT have fewer than 1 properties"]);
  assert.match(bad({ ...GOOD, timestamp: "+275760-09-13T00:00:00.000Z" })[0], /^\/timestamp must match/);
  assert.deepEqual(bad({ ...GOOD, timestamp: "2026-02-30T14:15:00.000Z" }), ['/timestamp "2026-02-30T14:15:00.000Z" is not a real UTC time']);
  assert.deepEqual(bad({ ...GOOD, source: { protocol: "can" } }), ['/source/protocol must be one of "modbus", "bacnet", "senml", "json"']);
  assert.equal(bad([GOOD]).length, 1, "an array is not one reading");
  assert.equal(bad(null).length, 1);
});

it("readingKey is deviceId/timestamp, the same for a replayed copy of the reading", () => {
  assert.equal(readingKey(GOOD), "meter-001/2026-02-08T14:15:00.000Z");
  assert.equal(readingKey(structuredClone({ ...GOOD, quality: "GOOD" as const })), readingKey(GOOD));
  assert.notEqual(readingKey({ ...GOOD, timestamp: "2026-02-08T14:15:00.001Z" }), readingKey(GOOD));
});

it("the package root exports validateReading, readingKey and compileUnitSpec", () => {
  assert.equal(root.validateReading, validateReading);
  assert.equal(root.readingKey, readingKey);
  assert.equal(typeof root.compileUnitSpec, "function");
});

// ---- readingTime, the hand-written check validateReading runs first: never more lenient than the schema ------

/** The contract as written: the JSON Schema through ajv, then the real-instant rule (the reference). */
const referenceAjv = new Ajv({ allErrors: true, strict: false });
const referenceSchema = referenceAjv.compile(canonicalReadingSchema);
function reference(x: unknown): boolean {
  if (!referenceSchema(x)) return false;
  const t = (x as { timestamp: string }).timestamp;
  const ms = Date.parse(t);
  return !Number.isNaN(ms) && new Date(ms).toISOString() === t;
}

/** An aggregate as aggregate-window emits one: window, per-measurement stats, meta and a source. */
const AGGREGATE: CanonicalReading = {
  deviceId: "meter-001",
  timestamp: "2026-02-08T14:15:00.000Z",
  measurements: {
    energy: {
      value: 12.5, unit: "kWh", quality: "ESTIMATED", flags: ["gap-filled"],
      stats: { count: 15, sum: 187.5, min: 12, max: 13, first: 12, last: 13, firstAt: "2026-02-08T14:15:00.000Z", lastAt: null, estimated: 1, bad: 0, inputQuality: "GOOD", startValue: 1000, endValue: null, area: 11250, duration: 900 },
    },
    state: { value: "on", stats: { count: 1, sum: 0 } },
  },
  quality: "ESTIMATED",
  flags: ["late"],
  window: { start: "2026-02-08T14:15:00.000Z", end: "2026-02-08T14:30:00.000Z", zone: "UTC", size: "15m", local: "2026-02-08T14:15", expected: 15, received: 14, estimated: 1, completeness: 0.93, revision: 0, final: false },
  source: { protocol: "modbus", mapId: "m", mapVersion: "1.0.0", unitId: 1, table: "holding", address: 0, quantity: 40, originalTimestamp: "2026-02-08T14:15:01.000Z" },
  meta: { site: "site-1", location: "basement", customerId: "c-1", meterType: "em3p", floor: 2 },
};

/** Values that break (or do not break) some rule of the schema somewhere. */
const ODD: unknown[] = [
  undefined, null, NaN, Infinity, -Infinity, -1, 0, 1.5, 2, -0, "", "x", "GOOD", "modbus", "15m", true, false, [], {}, ["a"], [""], [1],
  { value: 1 }, { count: 1, sum: 1 }, "2026-02-08T14:15:00.000Z", "2026-02-30T14:15:00.000Z", "2024-02-29T00:00:00.000Z",
  "2100-02-29T00:00:00.000Z", "2026-02-08T24:00:00.000Z", "2026-02-08T14:60:00.000Z", "2026-02-08T14:15:60.000Z",
  "0050-01-01T00:00:00.000Z", "2026-02-08T14:15:00.000z", "2026-02-08 14:15:00.000Z", "2026-02-08T14:15:00Z", "\u0662026-02-08T14:15:00.000Z",
];

/** Every variant of `base` with one value replaced by an odd one, one key deleted, or one key added. */
function* variants(base: unknown): Generator<unknown> {
  const paths: (string | number)[][] = [];
  (function collect(v: unknown, p: (string | number)[]) {
    if (typeof v !== "object" || v === null) return;
    paths.push(p);
    for (const k of Object.keys(v)) collect((v as Record<string, unknown>)[k], [...p, Array.isArray(v) ? Number(k) : k]);
  })(base, []);
  for (const p of paths) {
    const at = (root: unknown) => p.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], root);
    const keys = Object.keys(at(base) as object);
    for (const k of keys) {
      for (const odd of ODD) {
        const copy = structuredClone(base);
        (at(copy) as Record<string, unknown>)[k] = odd;
        yield copy;
      }
      const copy = structuredClone(base);
      delete (at(copy) as Record<string, unknown>)[k];
      yield copy;
    }
    for (const k of ["", "extra", "value", "protocol"]) {
      for (const added of [1, { value: 1 }]) {
        const copy = structuredClone(base);
        (at(copy) as Record<string, unknown>)[k] = added;
        yield copy;
      }
    }
  }
  const inherited = structuredClone(base) as Record<string, unknown>;
  inherited.measurements = Object.create({ energy: { value: 1 } });
  yield inherited;
}

it("readingTime accepts the readings and aggregates the nodes produce, with their time", () => {
  const map = fs.readFileSync(path.join(FIXTURES, "maps/float32-meter.json"), "utf8");
  const n = createNormalizer(parseMeterNormalizeConfig({ registerMap: map, deviceId: "meter-001", site: "s" }));
  const now = Date.parse("2026-02-08T14:15:00.000Z");
  const produced = [...n.normalize(fixture("modbus/read-holding-float32.json"), now), ...n.normalize({ payload: { kwh: 12.5, bad: NaN, on: true } }, now)].map((r) => r.reading);
  for (const r of [GOOD, AGGREGATE, ...produced]) {
    assert.ok(reference(r), JSON.stringify(r));
    assert.equal(readingTime(r), Date.parse(r.timestamp), JSON.stringify(r));
  }
  assert.equal(readingTime({ ...GOOD, timestamp: "9999-12-31T23:59:59.999Z" }), Date.parse("9999-12-31T23:59:59.999Z"));
});

it("readingTime is never more lenient than the schema and the real-instant rule, and validateReading answers as before", () => {
  let fast = 0;
  let total = 0;
  for (const base of [GOOD, AGGREGATE]) {
    for (const v of variants(base)) {
      total++;
      const want = reference(v);
      const t = readingTime(v);
      if (!Number.isNaN(t)) {
        fast++;
        assert.ok(want, `readingTime accepted what the schema refuses: ${JSON.stringify(v)}`);
      }
      const got = validateReading(v);
      assert.equal(got.ok, want, JSON.stringify(v));
      if (!got.ok) assert.ok(got.errors.length > 0 && got.errors.every((e) => e.startsWith("/")), JSON.stringify(got.errors));
    }
  }
  // The cheap path decides most variants that are valid (an extra key, a changed value): it is not a no-op.
  assert.ok(total > 2000 && fast > total / 10, `${fast} of ${total} variants accepted by readingTime`);
});

it("readingTime reads every real instant of the timestamp shape as Date.parse does, and refuses the others", () => {
  const pad = (x: number, n: number) => String(x).padStart(n, "0");
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
  for (let i = 0; i < 20_000; i++) {
    const year = i % 7 === 0 ? [1900, 2000, 2024, 2100, 2400, 9999, 100, 99][rnd(8)] : rnd(10000);
    const t = `${pad(year, 4)}-${pad(rnd(14), 2)}-${pad(rnd(33), 2)}T${pad(rnd(26), 2)}:${pad(rnd(62), 2)}:${pad(rnd(62), 2)}.${pad(rnd(1000), 3)}Z`;
    const ms = Date.parse(t);
    const real = !Number.isNaN(ms) && new Date(ms).toISOString() === t;
    const got = readingTime({ ...GOOD, timestamp: t });
    if (Number.isNaN(got)) assert.ok(!real || year < 100, `readingTime refused the real instant ${t}`);
    else assert.equal(got, ms, t);
    assert.equal(validateReading({ ...GOOD, timestamp: t }).ok, real, t);
  }
});

it("readingTime lists the measurements it checked (names and objects, in order) for a caller that walks them once, and only for a reading it accepts", () => {
  const out = { names: ["stale"], ms: ["stale", "stale", "stale"] as unknown[] };
  const r = { ...GOOD, measurements: { b: { value: 1 }, a: { value: "x" } } };
  assert.equal(readingTime(r, out), Date.parse(GOOD.timestamp));
  assert.deepEqual(out.names, ["b", "a"]);
  assert.deepEqual(out.ms.slice(0, 2), [r.measurements.b, r.measurements.a]);
  assert.equal(out.ms[0], r.measurements.b, "the reading's own objects, not copies");
  const names = { names: ["kept"] };
  assert.ok(Number.isNaN(readingTime({ ...GOOD, measurements: { a: { value: 1 }, "": { value: 2 } } }, names)));
  assert.deepEqual(names.names, ["kept"], "a refused reading leaves the list as it was");
});

it("timestampMs: the canonical timestamp of a real UTC instant, else NaN (RFC 3339 section 5.7: no February 30, no 24:00, no :60)", () => {
  for (const t of ["2026-02-08T14:15:00.000Z", "2024-02-29T00:00:00.000Z", "2000-02-29T12:00:00.000Z", "9999-12-31T23:59:59.999Z"]) assert.equal(timestampMs(t), Date.parse(t), t);
  for (const t of ["2026-02-30T00:00:00.000Z", "2026-02-08T24:00:00.000Z", "2026-02-08T14:15:60.000Z", "2026-13-01T00:00:00.000Z", "2025-02-29T00:00:00.000Z", "1900-02-29T00:00:00.000Z", "2026-02-08T14:15:00.000+00:00", "2026-02-08T14:15:00Z", "0050-06-15T01:02:03.004Z", 42, null])
    assert.ok(Number.isNaN(timestampMs(t)), String(t));
});
