import { describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { createNormalizer, detectInput, parseMeterNormalizeConfig, toOutput, type MeterNormalizeDef } from "../../../nodes/meter-normalize/normalizer";
import type { CanonicalReading } from "../../../nodes/shared/canonical-reading";
import { FIXTURES, assertCanonical, fixture } from "../../helpers/fixtures";
import { configError, inputError } from "../../helpers/errors";

const NOW = Date.parse("2026-02-08T14:15:00.000Z");
const MAP = fs.readFileSync(path.join(FIXTURES, "maps/float32-meter.json"), "utf8");
const make = (def: MeterNormalizeDef = {}) => createNormalizer(parseMeterNormalizeConfig({ registerMap: MAP, deviceId: "meter-001", ...def }));
const one = (def: MeterNormalizeDef, msg: Record<string, unknown>) => {
  const out = make(def).normalize(msg, NOW);
  assert.equal(out.length, 1);
  assertCanonical(out[0].reading);
  return out[0];
};
it("node-red-contrib-modbus Read output (both outputs) becomes a canonical reading", () => {
  for (const f of ["read-holding-float32", "read-holding-float32-output2"]) {
    const msg = fixture(`modbus/${f}.json`);
    assert.equal(detectInput(msg), "modbus");
    const { reading, topic } = one({}, msg);
    assert.equal(reading.deviceId, "meter-001");
    assert.equal(reading.timestamp, "2026-02-08T14:15:00.000Z");
    assert.equal(reading.quality, "GOOD");
    assert.deepEqual(reading.measurements.voltageL1, { value: 230.1, unit: "V" });
    assert.deepEqual(reading.measurements.p8, { value: 238.1, unit: "V" });
    assert.deepEqual(reading.measurements.p9, { value: 239100, unit: "V" }, "kV converted to V");
    assert.equal(Object.keys(reading.measurements).length, 10);
    assert.deepEqual(reading.source, { protocol: "modbus", mapId: "demo-float32-meter", mapVersion: "1.0.0", unitId: 1, table: "holding", address: 0, quantity: 20 });
    assert.equal(topic, "meter-001");
  }
});

it("Getter and Flex-Getter output: strings for address and quantity, a window inside the map", () => {
  const { reading } = one({}, fixture("modbus/flex-getter-holding.json"));
  assert.deepEqual(Object.keys(reading.measurements), ["voltageL3", "p3", "p4"]);
  assert.deepEqual(reading.measurements.voltageL3, { value: 232.1, unit: "V" });
  const input = one({}, fixture("modbus/getter-input-registers.json")).reading;
  assert.deepEqual(input.measurements, {
    tempIn: { value: 20, unit: "Cel" },
    tempOut: { value: -28.8888888888889, unit: "Cel" }, // -20.0 degF
    pulses: { value: 100000 },
  });
});

it("coils arrive padded to a multiple of 8 and are cut back to quantity", () => {
  const msg = fixture("modbus/getter-coils.json");
  assert.equal((msg.payload as unknown[]).length, 16);
  const { reading } = one({}, msg);
  assert.deepEqual(reading.measurements, { door: { value: true }, alarm: { value: false } });
  // a point in the padding is outside the requested window
  const map = { mapId: "c", mapVersion: "1.0.0", addressBase: 0, points: [{ id: "pad", table: "coil", address: 12, type: "bool" }] };
  inputError(() => make().normalize({ ...msg, registerMap: map }, NOW), /no point of map c 1\.0\.0 lies wholly inside the coil window 0\.\.9/);
});

it("a failed read is an error, not a reading", () => {
  inputError(() => make().normalize(fixture("modbus/flex-getter-failed.json"), NOW), /Modbus read failed/);
  inputError(() => make().normalize({ payload: "", error: new Error("Timed out") }, NOW), /Modbus read failed: Timed out/);
});

it("malformed Modbus responses are errors naming the property", () => {
  const msg = fixture("modbus/flex-getter-holding.json");
  inputError(() => make().normalize({ ...msg, payload: [1, 2] , responseBuffer: undefined }, NOW), /holds 2 registers but 6 were requested/);
  inputError(() => make().normalize({ ...msg, payload: [1, 2, 3, 4, 5, "x"] }, NOW), /msg\.payload\[5\] "x" is not a 16-bit register/);
  inputError(() => make().normalize({ ...msg, modbusRequest: { fc: 6, address: 0, quantity: 1 } }, NOW), /msg\.modbusRequest\.fc 6 is not a read function code/);
  inputError(() => make().normalize({ ...msg, modbusRequest: { fc: 3, address: "x", quantity: 1 } }, NOW), /msg\.modbusRequest\.address "x"/);
  inputError(() => make({ registerMap: "" }).normalize(msg, NOW), /no register map/);
  inputError(() => make().normalize({ ...msg, registerMap: { mapId: "x" } }, NOW), /msg\.registerMap: .*missing required field "mapVersion"/);
});

it("msg.registerMap overrides the configured map for one message", () => {
  const map = { mapId: "override", mapVersion: "2.1.0", addressBase: 1, points: [{ id: "raw", address: 40005, type: "uint16" }] };
  const { reading } = one({}, { ...fixture("modbus/flex-getter-holding.json"), registerMap: map });
  assert.deepEqual(reading.measurements, { raw: { value: 17256 } });
  assert.equal(reading.source?.mapId, "override");
  assert.equal(reading.source?.mapVersion, "2.1.0");
});

it("device identity: msg.deviceId, then the device table by unit id (with meta and topic), then config", () => {
  const devices = JSON.stringify({ "1": { deviceId: "em-17", deviceType: "electric", region: "eu", meta: { site: "plant-3", customerId: "C-1009" } } });
  const msg = fixture("modbus/flex-getter-holding.json");
  const t = one({ devices, site: "default-site" }, msg);
  assert.equal(t.reading.deviceId, "em-17");
  assert.deepEqual(t.reading.meta, { site: "plant-3", customerId: "C-1009" });
  assert.equal(t.topic, "eu/plant-3/electric/em-17");
  assert.equal(one({ devices }, { ...msg, deviceId: "override-1" }).reading.deviceId, "override-1");
  const c = one({ site: "s1", region: "r1", deviceType: "electric" }, msg);
  assert.equal(c.topic, "r1/s1/electric/meter-001");
  inputError(() => make({ deviceId: "" }).normalize(msg, NOW), /no device id: .*unit id 1/);
});

it("each device keeps its own topic, poll after poll, and a device id seen with other parts gets the topic of those", () => {
  const devices = JSON.stringify({
    "1": { deviceId: "em-1", deviceType: "electric", region: "eu", meta: { site: "plant-3" } },
    "2": { deviceId: "em-2", deviceType: "gas", region: "us" },
  });
  const n = createNormalizer(parseMeterNormalizeConfig({ registerMap: MAP, devices, site: "s1" }));
  const poll = (unit: number, deviceId?: string) => {
    const msg = fixture("modbus/flex-getter-holding.json") as { modbusRequest: { unitid: number }; deviceId?: string };
    msg.modbusRequest.unitid = unit;
    if (deviceId) msg.deviceId = deviceId;
    return n.normalize(msg, NOW)[0].topic;
  };
  const topics = [1, 2, 1, 2].map((u) => poll(u));
  assert.deepEqual(topics, ["eu/plant-3/electric/em-1", "us/s1/gas/em-2", "eu/plant-3/electric/em-1", "us/s1/gas/em-2"]);
  // The same device id (from msg.deviceId) on the two units: the topic follows the unit's region, site and type.
  assert.deepEqual([poll(1, "x"), poll(2, "x"), poll(1, "x")], ["eu/plant-3/electric/x", "us/s1/gas/x", "eu/plant-3/electric/x"]);
});

it("msg.timestamp is used and always output in UTC", () => {
  const msg = fixture("modbus/flex-getter-holding.json");
  assert.equal(one({}, { ...msg, timestamp: "2026-02-08T15:15:00+01:00" }).reading.timestamp, "2026-02-08T14:15:00.000Z");
  assert.equal(one({ timeZone: "America/New_York" }, { ...msg, timestamp: "2026-02-08 09:15" }).reading.timestamp, "2026-02-08T14:15:00.000Z");
  inputError(() => make().normalize({ ...msg, timestamp: "soon" }, NOW), /msg\.timestamp "soon"/);
});

it("BACnet ReadPropertyMultiple (bacstack shape): names, units, status flags", () => {
  const rpm = fixture("bacnet/read-property-multiple.json");
  assert.equal(detectInput({ payload: rpm }), "bacnet");
  const { reading } = one({ deviceId: "ahu-1" }, { payload: rpm });
  assert.equal(reading.deviceId, "ahu-1");
  assert.deepEqual(reading.source, { protocol: "bacnet" });
  const names = Object.keys(reading.measurements);
  assert.equal(names.length, 2);
  assert.deepEqual(reading.measurements["Zone temp"], { value: 21.5, unit: "Cel" });
  const second = reading.measurements[names[1]];
  assert.deepEqual(second, { value: 450.25, unit: "kWh", quality: "BAD" }, "fault flag set");
  assert.equal(reading.quality, "BAD");
  // node-red-contrib-bacnet puts the same result in msg.payload
  const nr = fixture("bacnet/node-red-contrib-bacnet-read.json");
  assert.deepEqual(one({ deviceId: "ahu-1" }, nr).reading.measurements, reading.measurements);
});

it("BACnet ReadProperty of a present value, and the engineering units", () => {
  const rp = fixture("bacnet/read-property-present-value.json");
  const { reading } = one({}, { payload: rp });
  assert.deepEqual(reading.measurements, { "analog-input-1": { value: 21.5 } });
  const rpmWith = (units: number, value: number, flags = 0) => ({
    payload: { len: 1, values: [{ objectId: { type: 2, instance: 7 }, values: [
      { id: 85, index: 4294967295, value: [{ type: 4, value }] },
      { id: 117, index: 4294967295, value: [{ type: 9, value: units }] },
      { id: 111, index: 4294967295, value: [{ type: 8, value: { value: [flags], bitsUsed: 4 } }] },
    ] }] },
  });
  const m = (units: number, value: number, flags = 0) => one({}, rpmWith(units, value, flags)).reading.measurements["analog-value-7"];
  assert.deepEqual(m(62, 21.5), { value: 21.5, unit: "Cel" });
  assert.deepEqual(m(64, 212), { value: 100, unit: "Cel" }, "degrees-Fahrenheit converted");
  assert.deepEqual(m(120, 18), { value: 10, unit: "K" }, "delta-degrees-Fahrenheit is a difference, not 64");
  assert.deepEqual(m(19, 1.5), { value: 1.5, unit: "kWh" });
  assert.deepEqual(m(48, 2), { value: 2, unit: "kW" });
  assert.deepEqual(m(47, 2), { value: 2, unit: "W" });
  assert.deepEqual(m(5, 230), { value: 230, unit: "V" });
  assert.deepEqual(m(3, 5), { value: 5, unit: "A" });
  assert.deepEqual(m(27, 50), { value: 50, unit: "Hz" });
  assert.deepEqual(m(29, 45), { value: 45, unit: "%RH" });
  assert.deepEqual(m(98, 45), { value: 45, unit: "%" });
  assert.deepEqual(m(95, 3), { value: 3 }, "no-units");
  assert.deepEqual(m(62, 21.5, 8), { value: 21.5, unit: "Cel", quality: "SUSPECT" }, "out-of-service");
  assert.deepEqual(m(62, 21.5, 2), { value: 21.5, unit: "Cel", quality: "BAD" }, "fault");
  assert.deepEqual(m(62, 21.5, 1), { value: 21.5, unit: "Cel" }, "in-alarm alone does not lower quality");
  assert.deepEqual(m(62, 21.299999237060547), { value: 21.3, unit: "Cel" }, "REAL is float32");
});

it("SenML: base name, base time, base unit resolved as RFC 8428 specifies, one reading per time", () => {
  // RFC 8428 section 5.1.2, multiple data points
  const pack = [
    { bn: "urn:dev:ow:10e2073a01080063:", bt: 1.320067464e9, bu: "%RH", v: 20 },
    { u: "lon", v: 24.30621 },
    { u: "lat", v: 60.07965 },
    { t: 60, v: 20.3 },
    { u: "lon", t: 60, v: 24.30622 },
    { u: "lat", t: 60, v: 60.07965 },
    { t: 120, v: 20.7 },
  ];
  assert.equal(detectInput({ payload: pack }), "senml");
  const out = make({ deviceId: "" }).normalize({ payload: pack }, NOW);
  assert.equal(out.length, 3);
  out.forEach((o) => assertCanonical(o.reading));
  assert.equal(out[0].reading.deviceId, "urn:dev:ow:10e2073a01080063");
  assert.equal(out[0].reading.timestamp, "2011-10-31T13:24:24.000Z");
  assert.equal(out[1].reading.timestamp, "2011-10-31T13:25:24.000Z");
  assert.deepEqual(out[2].reading.measurements, { "urn:dev:ow:10e2073a01080063": { value: 20.7, unit: "%RH" } });
  // named records and JSON text, relative time
  const text = JSON.stringify([{ bn: "fridge-12/", n: "temp", u: "Cel", v: 3.5 }, { n: "door", vb: false }, { n: "fw", vs: "1.2.3", t: -10 }]);
  const r = make().normalize({ payload: text }, NOW);
  assert.equal(r.length, 2);
  assert.equal(r[0].reading.timestamp, "2026-02-08T14:14:50.000Z");
  assert.deepEqual(r[0].reading.measurements, { fw: { value: "1.2.3" } });
  assert.deepEqual(r[1].reading.measurements, { temp: { value: 3.5, unit: "Cel" }, door: { value: false } });
  assert.equal(r[1].reading.deviceId, "fridge-12");
  inputError(() => make().normalize({ payload: [{ n: "x" }] }, NOW), /no value/);
});

it("plain JSON: automatic, already-canonical-looking, and mapped with unit conversion", () => {
  const auto = one({ deviceId: "" }, { payload: { deviceId: "m-9", timestamp: 1770560100, kwh: 12.5, on: true, label: "x" } });
  assert.deepEqual(auto.reading.measurements, { kwh: { value: 12.5 }, on: { value: true } });
  assert.equal(auto.reading.deviceId, "m-9");
  // the seeds' normalised example, with spelled-out units
  const seed = one({}, { payload: { deviceId: "meter-001", timestamp: "2025-01-15T14:30:00Z", measurements: {
    temperature: { value: 40.0, unit: "celsius" }, humidity: { value: 10, unit: "percent" } } } });
  assert.deepEqual(seed.reading.measurements, { temperature: { value: 40, unit: "Cel" }, humidity: { value: 10, unit: "%" } });
  assert.equal(seed.reading.timestamp, "2025-01-15T14:30:00.000Z");
  const jsonMapping = JSON.stringify({ deviceId: "meter.id", timestamp: "ts", measurements: {
    temperature: { path: "t", sourceUnit: "degF", unit: "Cel" }, energy: { path: "e.total", scale: 0.001, sourceUnit: "kWh", unit: "Wh" } } });
  const mapped = one({ jsonMapping }, { payload: { meter: { id: 42 }, ts: "2026-02-08T14:15:00Z", t: 212, e: { total: 1500 } } });
  assert.deepEqual(mapped.reading.measurements, { temperature: { value: 100, unit: "Cel" }, energy: { value: 1500, unit: "Wh" } });
  assert.equal(mapped.reading.deviceId, "42");
  inputError(() => make({ jsonMapping }).normalize({ payload: { other: 1 } }, NOW), /none of the mapped fields \(t, e\.total\)/);
  inputError(() => make().normalize({ payload: "{oops" }, NOW), /not valid JSON/);
  inputError(() => make().normalize({ payload: 42 }, NOW), /unrecognised input: msg\.payload is number/);
});

it("configuration errors name the field", () => {
  const bad = (def: MeterNormalizeDef, re: RegExp) =>
    configError(() => parseMeterNormalizeConfig(def), re);
  bad({ timeZone: "Mars/Olympus" }, /time zone "Mars\/Olympus"/);
  bad({ inputKind: "can" }, /input kind "can"/);
  bad({ inputKind: "modbus" }, /register map is required/);
  bad({ devices: "[1]" }, /device table must be an object/);
  bad({ devices: '{"1":{}}' }, /device table: \/1\/deviceId/);
  bad({ jsonMapping: '{"measurements":{"t":{"path":"t","unit":"fahrenheit"}}}' }, /\/measurements\/t\/unit "fahrenheit" is not a SenML unit/);
  bad({ registerMap: '{"mapId":"x"}' }, /register map: .*"mapVersion"/);
});

it("SenML: unknown fields are ignored, an unknown field ending in _ makes the pack an error", () => {
  const pack = [{ bn: "dev1/", n: "temp", v: 21, foo: 1 }];
  assert.equal(detectInput({ payload: pack }), "senml");
  const { reading } = one({ deviceId: "" }, { payload: pack });
  assert.equal(reading.deviceId, "dev1");
  assert.deepEqual(reading.measurements, { temp: { value: 21 } });
  assert.deepEqual(one({ inputKind: "senml" }, { payload: JSON.stringify(pack) }).reading.measurements, { temp: { value: 21 } });
  const mustUnderstand = [{ bn: "dev1/", n: "temp", v: 21 }, { n: "hum", v: 40, rate_: 5 }];
  assert.equal(detectInput({ payload: mustUnderstand }), "senml");
  inputError(() => make().normalize({ payload: mustUnderstand }, NOW), /SenML record 1: .*"rate_"/);
  inputError(() => make({ inputKind: "senml" }).normalize({ payload: mustUnderstand }, NOW), /"rate_"/);
});

it("SenML: a unit that is not a SenML unit is converted when the units module knows it, else kept out and SUSPECT", () => {
  const pack = [
    { bn: "dev1/", n: "t", u: "degF", v: 212 },
    { n: "rh", u: "percent", v: 40 },
    { n: "x", u: "furlong", v: 3 },
    { n: "y", bu: "fortnight", v: 4 },
    { n: "z", u: "Cel", v: 20 },
  ];
  const { reading } = one({}, { payload: pack });
  assert.deepEqual(reading.measurements, {
    t: { value: 100, unit: "Cel" },
    rh: { value: 40, unit: "%" },
    x: { value: 3, quality: "SUSPECT" },
    y: { value: 4, quality: "SUSPECT" },
    z: { value: 20, unit: "Cel" },
  });
  assert.equal(reading.quality, "SUSPECT");
});

it("SenML: only a trailing ':' or '/' is cut from the base name to give the device", () => {
  const dev = (bn: string) => one({ deviceId: "" }, { payload: [{ bn, n: "v", v: 1 }] }).reading.deviceId;
  assert.equal(dev("urn:dev:ow:10e2073a01080063:"), "urn:dev:ow:10e2073a01080063");
  assert.equal(dev("fridge-12/"), "fridge-12");
  assert.equal(dev("meter-7."), "meter-7.");
  assert.equal(dev("meter-7-"), "meter-7-");
});

it("msg.registerMap is compiled by content: a changed map object is not served from a stale compile", () => {
  const normalizer = make();
  const msg = fixture("modbus/flex-getter-holding.json");
  const registerMap = { mapId: "override", mapVersion: "1.0.0", addressBase: 1, points: [{ id: "raw", address: 40005, type: "uint16" }] };
  assert.deepEqual(normalizer.normalize({ ...msg, registerMap }, NOW)[0].reading.measurements, { raw: { value: 17256 } });
  registerMap.points[0].id = "renamed";
  registerMap.mapVersion = "1.0.1";
  const r = normalizer.normalize({ ...msg, registerMap }, NOW)[0].reading;
  assert.deepEqual(r.measurements, { renamed: { value: 17256 } });
  assert.equal(r.source?.mapVersion, "1.0.1");
  // an equal copy gives the same result, and many different maps keep working
  assert.deepEqual(normalizer.normalize({ ...msg, registerMap: structuredClone(registerMap) }, NOW)[0].reading.measurements, r.measurements);
  for (let k = 0; k < 20; k++) {
    const m = { ...registerMap, points: [{ id: `p${k}`, address: 40005, type: "uint16" }] };
    assert.deepEqual(normalizer.normalize({ ...msg, registerMap: m }, NOW)[0].reading.measurements, { [`p${k}`]: { value: 17256 } });
  }
});

it("plain JSON: an empty key is not a measurement name", () => {
  const { reading } = one({}, { payload: { "": 5, kwh: 1.5 } });
  assert.deepEqual(reading.measurements, { kwh: { value: 1.5 } });
  inputError(() => make().normalize({ payload: { "": 5 } }, NOW), /no numeric or boolean field/);
  inputError(() => make().normalize({ payload: { measurements: { "": { value: 5 } } } }, NOW), /msg\.payload\.measurements has an empty measurement name/);
  configError(() => parseMeterNormalizeConfig({ jsonMapping: '{"measurements":{"":{"path":"x"}}}' }), /JSON mapping: \/measurements\/ .*empty/);
});

it("toOutput: one reading is the payload; several leave as one array in time order, under the first reading's topic", () => {
  const n = make({ deviceId: "" });
  const single = n.normalize({ payload: [{ bn: "fridge-12:", n: "temp", v: 3.5 }] }, NOW);
  assert.deepEqual(toOutput(single), { payload: single[0].reading, topic: "fridge-12" });
  // issue 7 item 9: a pack with many times is one message whose payload is the array of readings
  const pack: Record<string, unknown>[] = [{ bn: "fridge-12:", bt: 1770560100, n: "temp", u: "Cel", v: 3.5 }];
  for (let k = 1; k < 6000; k++) pack.push({ n: "temp", t: k * 60, v: 3 + k / 100 });
  const results = n.normalize({ payload: pack }, NOW);
  const out = toOutput(results);
  assert.ok(Array.isArray(out.payload));
  assert.equal(out.payload.length, 6000);
  assert.equal(out.topic, "fridge-12");
  out.payload.forEach((r, k) => {
    assert.equal(r, results[k].reading);
    assert.equal(r.timestamp, new Date(1770560100000 + k * 60000).toISOString());
  });
  assertCanonical(out.payload[5999]);
  // records out of time order still give readings in time order
  const mixed = toOutput(n.normalize({ payload: [{ bn: "a/", bt: 1770560200, n: "x", v: 1 }, { n: "x", t: -100, v: 0 }, { bn: "b/", n: "y", v: 2 }] }, NOW));
  assert.deepEqual((mixed.payload as CanonicalReading[]).map((r) => `${r.deviceId}@${r.timestamp}`), [
    "a@2026-02-08T14:15:00.000Z", "a@2026-02-08T14:16:40.000Z", "b@2026-02-08T14:16:40.000Z",
  ], "bt carries on to later records (RFC 8428 section 4.1)");
  assert.equal(mixed.topic, "a", "devices mixed: the first reading's topic");
  assert.throws(() => toOutput([]), /no readings/);
});

describe("issue 7 item 13: values and times a canonical reading cannot carry", () => {
  const isBad = (m: unknown, unit?: string) =>
    assert.deepEqual(m, unit === undefined ? { value: null, quality: "BAD", flags: ["non-finite"] } : { value: null, unit, quality: "BAD", flags: ["non-finite"] });

  it("NaN and Infinity from registers, SenML and JSON become value null with quality BAD, never GOOD", () => {
    // float64 registers: NaN, +Infinity, and a finite value that overflows once scaled
    const f64 = (x: number) => {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(x);
      return [0, 2, 4, 6].map((k) => b.readUInt16BE(k));
    };
    const registerMap = { mapId: "f", mapVersion: "1.0.0", addressBase: 0, points: [
      { id: "nan", address: 0, type: "float64", table: "holding", unit: "W" },
      { id: "inf", address: 4, type: "float64", table: "holding" },
      { id: "big", address: 8, type: "float64", table: "holding", scale: 10, unit: "Wh" },
      { id: "ok", address: 12, type: "float32", table: "holding", scale: 2 },
      { id: "f32nan", address: 14, type: "float32", table: "holding", scale: 2 },
    ] };
    const f32 = (x: number) => { const b = Buffer.alloc(4); b.writeFloatBE(x); return [b.readUInt16BE(0), b.readUInt16BE(2)]; };
    const regs = [...f64(NaN), ...f64(Infinity), ...f64(1e308), ...f32(1.5), ...f32(NaN)];
    const modbus = one({}, { payload: regs, modbusRequest: { unitid: 1, fc: 3, address: 0, quantity: regs.length }, registerMap }).reading;
    isBad(modbus.measurements.nan, "W");
    isBad(modbus.measurements.inf);
    isBad(modbus.measurements.big, "Wh");
    isBad(modbus.measurements.f32nan);
    assert.deepEqual(modbus.measurements.ok, { value: 3 });
    assert.equal(modbus.quality, "BAD");
    // SenML (RFC 8428 section 4.6: the value is v + bv, the sum s + bs): finite fields whose sum overflows
    const senml = one({ deviceId: "" }, { payload: [{ bn: "x/", bv: 1e308, n: "e", v: 1e308 }, { n: "s", bs: -1e308, s: -1e308 }, { n: "t", u: "MWh", v: 1e308 }] }).reading;
    isBad(senml.measurements.e);
    isBad(senml.measurements.s);
    isBad(senml.measurements.t, "kWh");
    assert.equal(senml.quality, "BAD");
    // JSON: a mapped numeric string "Infinity", a scale that overflows, and NaN from a function node
    const jsonMapping = JSON.stringify({ measurements: { a: { path: "a", unit: "kWh" }, b: { path: "b", scale: 10 }, c: { path: "c" } } });
    const json = one({ jsonMapping }, { payload: { a: "Infinity", b: 1e308, c: 4 } }).reading;
    isBad(json.measurements.a, "kWh");
    isBad(json.measurements.b);
    assert.deepEqual(json.measurements.c, { value: 4 });
    assert.equal(json.quality, "BAD");
    const auto = one({}, { payload: { measurements: { e: { value: NaN }, f: { value: Infinity, unit: "kWh" }, g: { value: 1e308, unit: "MWh" }, h: 2 } } }).reading;
    isBad(auto.measurements.e);
    isBad(auto.measurements.f, "kWh");
    isBad(auto.measurements.g, "kWh");
    assert.deepEqual(auto.measurements.h, { value: 2 });
    assert.equal(auto.quality, "BAD");
    // what leaves the node is a valid canonical reading (one() checks the schema too) and says BAD on the wire
    assert.match(JSON.stringify(auto), /"e":\{"value":null,"quality":"BAD","flags":\["non-finite"\]\}/);
    // BACnet: a REAL present-value of NaN
    const rpm = { len: 1, values: [{ objectId: { type: 2, instance: 7 }, values: [
      { id: 85, index: 4294967295, value: [{ type: 4, value: NaN }] }, { id: 117, index: 4294967295, value: [{ type: 9, value: 62 }] }] }] };
    isBad(one({}, { payload: rpm }).reading.measurements["analog-value-7"]);
  });

  it("a timestamp beyond year 9999 is an InputError naming where it came from", () => {
    inputError(() => make().normalize({ payload: { e: 1 }, timestamp: new Date(8.64e15) }, NOW), /msg\.timestamp .*year 9999/);
    inputError(() => make().normalize({ payload: { e: 1 }, timestamp: "+010000-01-01T00:00:00Z" }, NOW), /msg\.timestamp "\+010000-01-01T00:00:00Z" .*year 9999/);
    // a local time that is still 9999 on the wall clock but 10000 in UTC
    inputError(() => make({ timeZone: "America/New_York" }).normalize({ payload: { e: 1 }, timestamp: "9999-12-31T23:30:00" }, NOW), /msg\.timestamp .*year 9999/);
    const jsonMapping = JSON.stringify({ timestamp: "ts", measurements: { e: { path: "e" } } });
    inputError(() => make({ jsonMapping }).normalize({ payload: { e: 1, ts: "+010000-01-01T00:00:00Z" } }, NOW), /payload timestamp .*year 9999/);
    // the last millisecond of 9999 is still a time
    assert.equal(one({}, { payload: { e: 1 }, timestamp: "9999-12-31T23:59:59.999Z" }).reading.timestamp, "9999-12-31T23:59:59.999Z");
  });

  it("SenML times are seconds (RFC 8428 section 4.5.3); one beyond year 9999 is an InputError naming the record and the value", () => {
    // bt + t >= 2^28 is absolute: 1e12 s is the year 33658
    inputError(() => make().normalize({ payload: [{ bn: "x/", n: "e", v: 1 }, { n: "e", bt: 1e12, v: 2 }] }, NOW), /SenML record 1: time 1000000000000 s .*year 9999/);
    // huge values used to end in a bare "RangeError: Invalid time value"
    inputError(() => make().normalize({ payload: [{ bn: "x/", bt: 1e20, n: "e", v: 1 }] }, NOW), /SenML record 0: time 100000000000000000000 s/);
    inputError(() => make().normalize({ payload: [{ bn: "x/", n: "e", t: 1.7e308, bt: 1.7e308, v: 1 }] }, NOW), /SenML record 0: time .* s \(bt 1\.7e\+308 \+ t 1\.7e\+308\)/);
    // below 2^28 is relative to now, negative included (in the past): a huge negative one is before year 0
    inputError(() => make().normalize({ payload: [{ bn: "x/", t: -1e14, n: "e", v: 1 }] }, NOW), /SenML record 0: time -100000000000000 s .*year 0/);
    // the largest absolute time that is still a time
    const last = one({ deviceId: "" }, { payload: [{ bn: "x/", bt: 253402300799, n: "e", v: 1 }] }).reading;
    assert.equal(last.timestamp, "9999-12-31T23:59:59.000Z");
  });
});
