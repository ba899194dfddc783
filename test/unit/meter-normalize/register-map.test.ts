import { it } from "mocha";
import assert from "node:assert/strict";
import { compileRegisterMap, decodeWindow, resolveAddress, type RegisterMap } from "../../../nodes/meter-normalize/register-map";
import { configError } from "../../helpers/errors";

const map = (points: unknown[], extra: Record<string, unknown> = {}) =>
  ({ mapId: "t", mapVersion: "1.0.0", addressBase: 0, defaults: { table: "holding" }, points, ...extra }) as unknown as RegisterMap;

it("schema errors name the bad field", () => {
  configError(() => compileRegisterMap(map([{ id: "a", address: 0, type: "float16" }])), /point "a" at \/points\/0\/type "float16" must be one of/);
  configError(() => compileRegisterMap(map([{ id: "a", address: 0, type: "int16", scale: "x" }])), /\/points\/0\/scale must be number/);
  configError(() => compileRegisterMap({ ...map([{ id: "a", address: 0, type: "int16" }]), mapVersion: "v1" }), /\/mapVersion must be a semantic version/);
  configError(() => compileRegisterMap(map([{ id: "a", address: 0, type: "int16", colour: 1 }])), /\/points\/0 has unknown field "colour"/);
  configError(() => compileRegisterMap(map([{ address: 0, type: "int16" }])), /\/points\/0 is missing required field "id"/);
  configError(() => compileRegisterMap("{ not json"), /not valid JSON/);
});

it("semantic errors name the bad field", () => {
  configError(() => compileRegisterMap(map([{ id: "a", address: 0, type: "int16" }, { id: "a", address: 1, type: "int16" }])), /\/points\/1\/id "a" is already/);
  configError(() => compileRegisterMap(map([{ id: "s", address: 0, type: "string" }])), /\/points\/0\/length is required/);
  configError(() => compileRegisterMap(map([{ id: "f", address: 0, type: "float32", mask: 255 }])), /\/points\/0\/mask cannot be applied/);
  configError(() => compileRegisterMap(map([{ id: "t", address: 0, type: "int16", unit: "celsius" }])), /\/points\/0\/unit "celsius" is not a SenML unit/);
  configError(() => compileRegisterMap(map([{ id: "t", address: 0, type: "int16", sourceUnit: "kWh", unit: "V" }])), /\/points\/0\/sourceUnit "kWh" cannot be converted to "V"/);
  configError(() => compileRegisterMap(map([{ id: "p", address: 0, type: "int16", scaleFactorRef: "nope" }])), /\/points\/0\/scaleFactorRef "nope" is not the id/);
  configError(() => compileRegisterMap(map([{ id: "p", address: 0, type: "int16", scaleFactorRef: "q" }, { id: "q", address: 1, type: "int16" }])), /is not a sunssf point/);
  configError(() => compileRegisterMap(map([{ id: "c", table: "coil", address: 0, type: "float32" }])), /\/points\/0\/type "float32" cannot be read from the coil table/);
  configError(() => compileRegisterMap(map([{ id: "b", address: 0, type: "bit" }])), /\/points\/0\/bit is required/);
  configError(() => compileRegisterMap(map([{ id: "x", address: 0, type: "int16" }], { defaults: {} })), /\/points\/0\/table is missing/);
  configError(() => compileRegisterMap(map([{ id: "x", address: 65535, type: "int32" }])), /past register 65535/);
  configError(() => compileRegisterMap(map([{ id: "x", measurement: "__proto__", address: 0, type: "int16" }])), /\/points\/0\/measurement "__proto__" cannot be a measurement name/);
});

it("addressBase 1 reads manual-style numbers with or without the Modicon prefix", () => {
  assert.deepEqual(resolveAddress(30001, 1, undefined, undefined), { address: 0, table: "input" });
  assert.deepEqual(resolveAddress(300001, 1, undefined, undefined), { address: 0, table: "input" });
  assert.deepEqual(resolveAddress(40001, 1, undefined, undefined), { address: 0, table: "holding" });
  assert.deepEqual(resolveAddress(400010, 1, undefined, undefined), { address: 9, table: "holding" });
  assert.deepEqual(resolveAddress(10001, 1, undefined, undefined), { address: 0, table: "discrete" });
  assert.deepEqual(resolveAddress(1, 1, "holding", undefined), { address: 0, table: "holding" });
  assert.deepEqual(resolveAddress(1, 1, undefined, "input"), { address: 0, table: "input" });
  // a prefix that contradicts the point's table is a plain number
  assert.deepEqual(resolveAddress(30001, 1, "holding", undefined), { address: 30000, table: "holding" });
  // addressBase 0 is the protocol address
  assert.deepEqual(resolveAddress(40001, 0, "holding", undefined), { address: 40001, table: "holding" });
  configError(() => compileRegisterMap(map([{ id: "x", address: 0, type: "int16" }], { addressBase: 1 })), /\/points\/0\/address 0 is not a valid address/);
});

it("the seeds' worked example: 40001 = 400 at scale 0.1 is 40.0, 40002 = 10 at scale 1", () => {
  const plan = compileRegisterMap({
    mapId: "seed", mapVersion: "1.0.0", addressBase: 1,
    points: [
      { id: "temperature", address: 40001, type: "uint16", scale: 0.1, unit: "Cel" },
      { id: "humidity", address: 40002, type: "uint16", unit: "%RH" },
    ],
  });
  const { measurements } = decodeWindow(plan, "holding", 0, [0x0190, 0x000a]);
  assert.deepEqual(measurements, { temperature: { value: 40, unit: "Cel" }, humidity: { value: 10, unit: "%RH" } });
});

it("order of operations: mask, shift, scale x 10^SF, offset, unit conversion", () => {
  const plan = compileRegisterMap(map([
    { id: "sf", address: 0, type: "sunssf" },
    // raw 0xABCD -> mask 0x0FF0 = 0x0BC0 -> >> 4 = 0xBC = 188 -> x 0.5 = 94 -> x 10^-1 = 9.4 -> + 1 = 10.4 kW -> 10400 W
    { id: "p", address: 1, type: "uint16", mask: 0x0ff0, shift: 4, scale: 0.5, scaleFactorRef: "sf", offset: 1, sourceUnit: "kW", unit: "W" },
  ]));
  const { measurements } = decodeWindow(plan, "holding", 0, [0xffff, 0xabcd]);
  assert.deepEqual(measurements.p, { value: 10400, unit: "W" });
});

it("SunSpec scale factors, not-implemented values and sentinels become null with quality BAD", () => {
  const plan = compileRegisterMap(map([
    { id: "W_SF", address: 0, type: "sunssf" },
    { id: "W", address: 1, type: "int16", scaleFactorRef: "W_SF", unit: "W" },
    { id: "Hz", address: 2, type: "uint16", unit: "Hz" },
    { id: "WH", address: 3, type: "acc32", unit: "Wh" },
    { id: "state", address: 5, type: "enum16", enum: { "4": "MPPT" } },
  ]));
  let out = decodeWindow(plan, "holding", 0, [0x0002, 123, 0xffff, 0, 0, 4]).measurements;
  assert.deepEqual(out.W, { value: 12300, unit: "W" });
  assert.deepEqual(out.Hz, { value: null, unit: "Hz", quality: "BAD" });
  assert.deepEqual(out.WH, { value: null, unit: "Wh", quality: "BAD" });
  assert.deepEqual(out.state, { value: "MPPT" });
  // scale factor not implemented: the values it scales have no reading
  out = decodeWindow(plan, "holding", 0, [0x8000, 123, 5000, 0, 10, 7]).measurements;
  assert.deepEqual(out.W, { value: null, unit: "W", quality: "BAD" });
  assert.deepEqual(out.Hz, { value: 5000, unit: "Hz" });
  assert.deepEqual(out.WH, { value: 10, unit: "Wh" });
  assert.deepEqual(out.state, { value: 7, quality: "SUSPECT" }, "an unknown enum code is kept but SUSPECT");
  // a plain (non-SunSpec) map keeps 0xFFFF as a value; `invalid` and NaN mark no reading
  const plain = compileRegisterMap(map([
    { id: "count", address: 0, type: "uint16" },
    { id: "temp", address: 1, type: "int16", invalid: [-32768, 32767], scale: 0.1, unit: "Cel" },
    { id: "f", address: 2, type: "float32", unit: "V" },
  ]));
  out = decodeWindow(plan === plain ? plan : plain, "holding", 0, [0xffff, 0x7fff, 0x7fc0, 0x0000]).measurements;
  assert.deepEqual(out.count, { value: 65535 });
  assert.deepEqual(out.temp, { value: null, unit: "Cel", quality: "BAD" });
  assert.deepEqual(out.f, { value: null, unit: "V", quality: "BAD", flags: ["non-finite"] }, "a NaN register says why it is BAD");
});

it("a read that covers the whole table and one that covers part of it give the same measurements", () => {
  const plan = compileRegisterMap(map([
    { id: "a", address: 0, type: "uint16" },
    { id: "b", address: 1, type: "int16", scale: 0.5 },
    { id: "c", address: 2, type: "uint16", unit: "V" },
  ]));
  const whole = decodeWindow(plan, "holding", 0, [1, 0xfffe, 3]);
  assert.deepEqual(whole.measurements, { a: { value: 1 }, b: { value: -1 }, c: { value: 3, unit: "V" } });
  assert.deepEqual(Object.keys(whole.measurements), ["a", "b", "c"], "map order");
  assert.equal(whole.decoded, 3);
  const part = decodeWindow(plan, "holding", 1, [0xfffe, 3]);
  assert.deepEqual(part.measurements, { b: { value: -1 }, c: { value: 3, unit: "V" } });
  assert.equal(part.decoded, 2);
});

it("only points wholly inside the window are decoded; min/max mark SUSPECT", () => {
  const plan = compileRegisterMap(map([
    { id: "a", address: 10, type: "float32", unit: "V" },
    { id: "b", address: 12, type: "uint16", max: 100 },
    { id: "c", address: 13, type: "uint32" },
    { id: "d", table: "input", address: 10, type: "uint16" },
  ]));
  const r = decodeWindow(plan, "holding", 11, [0x199a, 200, 1]);
  assert.equal(r.decoded, 1, "a starts before the window, c runs past it, d is another table");
  assert.deepEqual(r.measurements, { b: { value: 200, quality: "SUSPECT" } });
});

it("bits, booleans, strings, bitfields and 64-bit integers", () => {
  const plan = compileRegisterMap(map([
    { id: "flag", address: 0, type: "bit", bit: 15 },
    { id: "on", address: 1, type: "bool" },
    { id: "model", address: 2, type: "string", length: 2 },
    { id: "alarms", address: 4, type: "bitfield16" },
    { id: "big", address: 5, type: "uint64", unit: "Wh" },
    { id: "small", address: 9, type: "int64", unit: "Wh" },
    { id: "door", table: "coil", address: 3, type: "bool" },
  ]));
  const r = decodeWindow(plan, "holding", 0, [0x8000, 0, 0x454d, 0x3234, 0x0005, 0xffff, 0xffff, 0xffff, 0xfffe, 0xffff, 0xffff, 0xffff, 0xfff6]);
  assert.deepEqual(r.measurements, {
    flag: { value: true }, on: { value: false }, model: { value: "EM24" }, alarms: { value: 5 },
    big: { value: "18446744073709551614", unit: "Wh" }, small: { value: -10, unit: "Wh" },
  });
  assert.deepEqual(decodeWindow(plan, "coil", 0, [false, false, false, true]).measurements, { door: { value: true } });
});

it("invalid sentinels: float32 compares as float32, integers match the signed value or the raw register", () => {
  const plan = compileRegisterMap(map([
    { id: "f", address: 0, type: "float32", invalid: [3.4028235e38], unit: "V" },
    { id: "g", address: 2, type: "float32", invalid: -999.9 },
    { id: "a", address: 4, type: "int16", invalid: [32768] },
    { id: "b", address: 5, type: "int16", invalid: [65535], scale: 0.1 },
    { id: "c", address: 6, type: "int16", invalid: [-32768] },
    { id: "d", address: 7, type: "int32", invalid: [0x80000000] },
    { id: "e", address: 9, type: "uint16", invalid: [0xffff], mask: 0x00ff },
  ]));
  const g = new DataView(new ArrayBuffer(4));
  g.setFloat32(0, -999.9);
  const bad = decodeWindow(plan, "holding", 0, [0x7f7f, 0xffff, g.getUint16(0), g.getUint16(2), 0x8000, 0xffff, 0x8000, 0x8000, 0x0000, 0xffff]);
  assert.deepEqual(bad.measurements, {
    f: { value: null, unit: "V", quality: "BAD" }, g: { value: null, quality: "BAD" }, a: { value: null, quality: "BAD" },
    b: { value: null, quality: "BAD" }, c: { value: null, quality: "BAD" }, d: { value: null, quality: "BAD" },
    e: { value: null, quality: "BAD" },
  });
  // the same points with ordinary values
  const good = decodeWindow(plan, "holding", 0, [0x4366, 0x199a, 0x4366, 0x199a, 0x7fff, 0xfffe, 0x8001, 0x7fff, 0xffff, 0x12ff]);
  assert.deepEqual(good.measurements, {
    f: { value: 230.1, unit: "V" }, g: { value: 230.1 }, a: { value: 32767 }, b: { value: -0.2 }, c: { value: -32767 },
    d: { value: 2147483647 }, e: { value: 255 },
  });
});

it("scaleFactorRef must name a sunssf point in the same table", () => {
  const points = [
    { id: "W_SF", table: "input", address: 0, type: "sunssf" },
    { id: "W", table: "holding", address: 1, type: "int16", scaleFactorRef: "W_SF" },
  ];
  configError(() => compileRegisterMap(map(points)), /\/points\/1\/scaleFactorRef "W_SF" is in the input table/);
  assert.throws(() => compileRegisterMap(map(points)), (err: unknown) => (err as { field?: string }).field === "/points/1/scaleFactorRef");
  compileRegisterMap(map([{ ...points[0], table: "holding" }, points[1]]));
});
