import { it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { readingKey, validateReading, type CanonicalReading } from "../../../nodes/shared/canonical-reading";
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
