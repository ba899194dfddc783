/**
 * aggregate-window's fast reading check (the shared hand-written schema, readingTime) accepts nothing the canonical
 * schema refuses (it may send more to the schema than it needs to, never less), and takes the shapes the nodes send.
 */
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { isoMs, isReading } from "../../../nodes/aggregate-window/aggregator";
import { validateReading } from "../../../nodes/shared/canonical-reading";

const good = {
  deviceId: "m1",
  timestamp: "2026-03-08T06:15:00.000Z",
  measurements: { energy: { value: 1.5, unit: "kWh" }, state: { value: "on" }, ok: { value: true, quality: "SUSPECT" }, gone: { value: null, quality: "BAD" } },
  quality: "BAD",
  source: { protocol: "json", mapId: "x", mapVersion: "1.0.0" },
};

const variants: [string, unknown][] = [
  ["good", good],
  ["no source", { ...good, source: undefined }],
  ["Feb 30", { ...good, timestamp: "2026-02-30T06:15:00.000Z" }],
  ["no millis", { ...good, timestamp: "2026-03-08T06:15:00Z" }],
  ["offset", { ...good, timestamp: "2026-03-08T06:15:00.000+01:00" }],
  ["empty device", { ...good, deviceId: "" }],
  ["numeric device", { ...good, deviceId: 7 }],
  ["bad quality", { ...good, quality: "OK" }],
  ["no quality", { ...good, quality: undefined }],
  ["no measurements", { ...good, measurements: {} }],
  ["empty name", { ...good, measurements: { "": { value: 1 } } }],
  ["no value", { ...good, measurements: { e: { unit: "kWh" } } }],
  ["object value", { ...good, measurements: { e: { value: {} } } }],
  ["NaN", { ...good, measurements: { e: { value: NaN } } }],
  ["Infinity", { ...good, measurements: { e: { value: Infinity } } }],
  ["empty unit", { ...good, measurements: { e: { value: 1, unit: "" } } }],
  ["measurement flags", { ...good, measurements: { e: { value: 1, flags: ["spike"] } } }],
  ["measurement stats", { ...good, measurements: { e: { value: 1, stats: { count: 1, sum: 1 } } } }],
  ["bad measurement quality", { ...good, measurements: { e: { value: 1, quality: "FINE" } } }],
  ["unknown protocol", { ...good, source: { protocol: "ftp" } }],
  ["unitId text", { ...good, source: { protocol: "modbus", unitId: "1" } }],
  ["meta", { ...good, meta: { site: "s" } }],
  ["flags", { ...good, flags: ["drift"] }],
  ["window", { ...good, window: { start: "x" } }],
  ["array", [good]],
  ["null", null],
];

describe("aggregate-window: the fast reading check", () => {
  for (const [name, v] of variants)
    it(`${name}: accepted only if the schema accepts it`, () => {
      const x = v && typeof v === "object" && !Array.isArray(v) ? JSON.parse(JSON.stringify(v, (_k, val) => (typeof val === "number" && !Number.isFinite(val) ? String(val) : val))) : v;
      const raw = name === "NaN" || name === "Infinity" ? v : x;
      if (isReading(raw)) assert.ok(validateReading(raw).ok, `the schema refuses ${name}`);
    });
  it("accepts the common shape (so the fast path is taken)", () => {
    assert.equal(isReading(good), true);
    assert.equal(isReading({ ...good, source: undefined }), true);
    assert.ok(validateReading({ ...good, source: undefined }).ok);
    // What validate passes on: flags, a corrected time in source, meta; and an aggregate to merge.
    const flagged = { ...good, flags: ["time-corrected"], meta: { site: "s" }, source: { protocol: "modbus", table: "holding", address: 40001, quantity: 40, originalTimestamp: good.timestamp }, measurements: { e: { value: 1, flags: ["spike"], quality: "SUSPECT" } } };
    assert.ok(validateReading(flagged).ok);
    assert.equal(isReading(flagged), true);
  });
});

describe("isoMs: the hand-parsed canonical timestamp", () => {
  // the definition it replaces: the canonical form, and the instant it names written back the same
  const slow = (s: string) => {
    const t = Date.parse(s);
    return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(s) && Number.isFinite(t) && new Date(t).toISOString() === s ? t : NaN;
  };
  it("agrees with Date.parse and the round trip on valid, impossible and malformed times", () => {
    const texts = [
      "2026-03-08T06:15:00.000Z", "2024-02-29T23:59:59.999Z", "2026-02-29T00:00:00.000Z", "2000-02-29T12:00:00.000Z", "1900-02-29T12:00:00.000Z",
      "2026-04-31T00:00:00.000Z", "2026-12-31T24:00:00.000Z", "2026-13-01T00:00:00.000Z", "2026-00-10T00:00:00.000Z", "2026-01-00T00:00:00.000Z",
      "2026-01-01T00:60:00.000Z", "2026-01-01T00:00:60.000Z", "0050-06-01T00:00:00.000Z", "0000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z",
      "2026-03-08T06:15:00Z", "2026-03-08T06:15:00.000+01:00", "2026-03-08 06:15:00.000Z", "2026-03-08T06:15:00.00aZ", "x026-03-08T06:15:00.000Z", "",
    ];
    for (let k = 0; k < 2000; k++) texts.push(new Date(Date.UTC(1970 + (k % 130), k % 12, 1 + (k % 31), k % 24, (k * 7) % 60, (k * 13) % 60, k % 1000)).toISOString());
    for (const s of texts) {
      const want = slow(s);
      const got = isoMs(s);
      assert.ok(Object.is(got, want), `${s}: ${got} != ${want}`);
      assert.ok(Object.is(isoMs(s), want), `${s} again (remembered)`);
    }
  });
});
