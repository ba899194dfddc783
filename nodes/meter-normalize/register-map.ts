/**
 * Register maps: versioned configuration that says where each value lives in a Modbus device and how
 * to turn its registers into a measurement. Validated with ajv (the schema beside this file) and then
 * checked for what a schema cannot say; every error names the bad field.
 *
 * A validated map is compiled once into a plan; decoding a response then only walks the plan.
 */
import registerMapSchema from "./register-map.schema.json";
import { ConfigError } from "../shared/errors";
import { compileSchema, describeAjvErrors } from "../shared/schema";
import { compileUnitSpec } from "../shared/units";
import { nonFinite, worseQuality, type Measurement, type Quality } from "../shared/canonical-reading";
import { float32ToDecimal, tidy } from "../shared/number";
import {
  bigToValue, readF32, readF64, readI16, readI32, readI64, readString, readU16, readU32, readU64, type Endian,
} from "./decode";

export { registerMapSchema };

export type Table = "holding" | "input" | "coil" | "discrete";
export type PointType =
  | "bool" | "bit" | "int16" | "uint16" | "int32" | "uint32" | "int64" | "uint64" | "float32" | "float64"
  | "string" | "acc32" | "enum16" | "bitfield16" | "bitfield32" | "sunssf";

export interface RegisterPoint {
  id: string;
  measurement?: string;
  description?: string;
  table?: Table;
  address: number;
  type: PointType;
  endian?: Endian;
  bit?: number;
  length?: number;
  mask?: number;
  shift?: number;
  scale?: number;
  offset?: number;
  scaleFactorRef?: string;
  unit?: string;
  sourceUnit?: string;
  enum?: Record<string, string>;
  invalid?: number | number[];
  min?: number;
  max?: number;
}

export interface RegisterMap {
  mapId: string;
  mapVersion: string;
  description?: string;
  addressBase: 0 | 1;
  defaults?: { table?: Table; endian?: Endian };
  points: RegisterPoint[];
}

const validateSchema = compileSchema<RegisterMap>(registerMapSchema);

/** Registers a type occupies (bits for coil and discrete tables). */
const REGISTER_COUNT: Record<PointType, number> = {
  bool: 1, bit: 1, int16: 1, uint16: 1, enum16: 1, bitfield16: 1, sunssf: 1,
  int32: 2, uint32: 2, float32: 2, acc32: 2, bitfield32: 2,
  int64: 4, uint64: 4, float64: 4, string: 0,
};
const INTEGER_TYPES = new Set<PointType>([
  "int16", "uint16", "int32", "uint32", "int64", "uint64", "acc32", "enum16", "bitfield16", "bitfield32",
]);
const SIGNED_TYPES = new Set<PointType>(["int16", "int32", "int64", "sunssf"]);
const BIT_TABLES = new Set<Table>(["coil", "discrete"]);
const MODICON_PREFIX: Record<number, Table> = { 0: "coil", 1: "discrete", 3: "input", 4: "holding" };

/** SunSpec "not implemented" raw values, by type. */
const SUNSPEC_NOT_IMPLEMENTED: Partial<Record<PointType, number | bigint>> = {
  int16: 0x8000 - 0x10000, uint16: 0xffff, enum16: 0xffff, bitfield16: 0xffff, sunssf: -0x8000,
  int32: -0x80000000, uint32: 0xffffffff, bitfield32: 0xffffffff, acc32: 0,
  int64: -(2n ** 63n), uint64: 2n ** 64n - 1n,
};

export interface CompiledPoint {
  id: string;
  name: string;
  table: Table;
  /** Protocol (zero-based) address. */
  address: number;
  /** Registers (or bits) the point occupies. */
  count: number;
  type: PointType;
  endian: Endian;
  bit: number;
  length: number;
  mask?: number;
  shift: number;
  scale: number;
  offset: number;
  scaleFactorRef?: string;
  unit?: string;
  convert?: (v: number) => number;
  enumLabels?: Record<string, string>;
  /** The `invalid` sentinels; for float32 points rounded to float32, as the registers hold them. */
  invalid?: Set<number>;
  notImplemented?: number | bigint;
  min?: number;
  max?: number;
  /** Set for plain numeric points (no scaling, sentinels, enum or range): the whole decode in one call. */
  fast?: (regs: ArrayLike<number>, i: number) => Measurement;
}

export interface CompiledMap {
  mapId: string;
  mapVersion: string;
  points: CompiledPoint[];
  /** True when the map declares a sunssf point: it is then read as a SunSpec model. */
  sunspec: boolean;
  /** Per table: its points in map order, the address span they cover, and a builder of their measurements. */
  tables: Partial<Record<Table, TablePlan>>;
}

interface TablePlan {
  points: CompiledPoint[];
  first: number;
  end: number;
  /** Builds the measurements object from values in `points` order, as one object literal. */
  build: (values: Measurement[]) => Record<string, Measurement>;
}

/**
 * A function that returns `{ "<name0>": v[0], "<name1>": v[1], ... }`. Filling an object literal of known
 * shape is several times faster than adding the properties one by one, which matters at thousands of reads
 * a second on a Pi. The names come from a validated register map and are embedded with JSON.stringify, so
 * they are string literals whatever they contain.
 */
function objectBuilder(names: string[]): TablePlan["build"] {
  const body = `return {${names.map((n, i) => `${JSON.stringify(n)}: v[${i}]`).join(", ")}};`;
  return new Function("v", body) as TablePlan["build"];
}

/**
 * The protocol address and table of a point. With addressBase 1, manual-style numbers are accepted
 * with or without the Modicon table prefix: 40001 and 400001 are holding register 0, 30001 and 300001
 * input register 0, 10001 discrete input 0, and a plain 1 is register (or coil) 0 of the point's table.
 * A prefix that contradicts the point's own `table` is read as a plain number.
 */
export function resolveAddress(
  address: number, base: 0 | 1, table: Table | undefined, fallback: Table | undefined,
): { address: number; table: Table | undefined } {
  if (base === 0) return { address, table: table ?? fallback };
  let prefixed: { address: number; table: Table } | undefined;
  if (address >= 100001 && address <= 465536) {
    const t = MODICON_PREFIX[Math.floor(address / 100000)];
    if (t) prefixed = { address: (address % 100000) - 1, table: t };
  } else if (address >= 10001 && address <= 49999) {
    const t = MODICON_PREFIX[Math.floor(address / 10000)];
    if (t) prefixed = { address: (address % 10000) - 1, table: t };
  }
  if (prefixed && (table === undefined || table === prefixed.table)) return prefixed;
  return { address: address - 1, table: table ?? fallback };
}

/** Validate a register map (object or JSON text) and compile it. Throws a ConfigError naming the field. */
export function compileRegisterMap(input: unknown, where = "register map"): CompiledMap {
  let map: unknown = input;
  if (typeof input === "string") {
    try {
      map = JSON.parse(input);
    } catch (err) {
      throw new ConfigError(`${where} is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (!validateSchema(map)) {
    const errors = describeAjvErrors(validateSchema.errors, "", map);
    throw new ConfigError(`${where}: ${errors.join("; ")}`, validateSchema.errors?.[0]?.instancePath);
  }
  const m = map as RegisterMap;
  const ids = new Map<string, number>();
  const names = new Map<string, number>();
  const points: CompiledPoint[] = [];
  const fail = (i: number, field: string, text: string): never => {
    throw new ConfigError(`${where}: point ${JSON.stringify(m.points[i]?.id)} at /points/${i}/${field} ${text}`, `/points/${i}/${field}`);
  };
  m.points.forEach((p, i) => {
    if (ids.has(p.id)) fail(i, "id", `"${p.id}" is already the id of /points/${ids.get(p.id)}`);
    ids.set(p.id, i);
    const name = p.measurement ?? p.id;
    if (name === "__proto__") fail(i, p.measurement ? "measurement" : "id", `"__proto__" cannot be a measurement name`);
    if (names.has(name)) fail(i, p.measurement ? "measurement" : "id", `"${name}" is already the measurement of /points/${names.get(name)}`);
    names.set(name, i);

    const { address, table } = resolveAddress(p.address, m.addressBase, p.table, m.defaults?.table);
    if (!table) fail(i, "table", "is missing and the address has no Modicon prefix and defaults.table is not set");
    const t = table as Table;
    if (address < 0) fail(i, "address", `${p.address} is not a valid address when addressBase is 1 (numbering starts at 1)`);
    if (BIT_TABLES.has(t) && p.type !== "bool" && p.type !== "bit")
      fail(i, "type", `"${p.type}" cannot be read from the ${t} table: use "bool"`);
    if (p.type === "bit" && !BIT_TABLES.has(t) && p.bit === undefined) fail(i, "bit", "is required for type \"bit\"");
    if (p.type === "bit" && p.bit !== undefined && p.bit > 15) fail(i, "bit", "must be 0..15 for a bit of one register");
    if (p.type === "string" && p.length === undefined) fail(i, "length", "is required for type \"string\" (registers)");
    if ((p.mask !== undefined || p.shift !== undefined) && !INTEGER_TYPES.has(p.type))
      fail(i, p.mask !== undefined ? "mask" : "shift", `cannot be applied to type "${p.type}"`);
    if (p.enum !== undefined && !INTEGER_TYPES.has(p.type)) fail(i, "enum", `cannot be applied to type "${p.type}"`);
    const { unit, convert } = compileUnitSpec(p, `${where}: /points/${i}`, `/points/${i}`);
    const count = p.type === "string" ? (p.length as number) : REGISTER_COUNT[p.type];
    if (address + count - 1 > 65535) fail(i, "address", `${p.address} puts the point past register 65535`);
    points.push({
      id: p.id,
      name,
      table: t,
      address,
      count,
      type: p.type,
      endian: p.endian ?? m.defaults?.endian ?? "ABCD",
      bit: p.bit ?? 0,
      length: p.length ?? 0,
      mask: p.mask,
      shift: p.shift ?? 0,
      scale: p.scale ?? 1,
      offset: p.offset ?? 0,
      scaleFactorRef: p.scaleFactorRef,
      unit,
      convert,
      enumLabels: p.enum,
      invalid: sentinels(p),
      min: p.min,
      max: p.max,
    });
  });
  m.points.forEach((p, i) => {
    if (p.scaleFactorRef === undefined) return;
    const ref = ids.get(p.scaleFactorRef);
    if (ref === undefined) fail(i, "scaleFactorRef", `"${p.scaleFactorRef}" is not the id of a point in this map`);
    if (m.points[ref as number].type !== "sunssf") fail(i, "scaleFactorRef", `"${p.scaleFactorRef}" is not a sunssf point`);
    const sfTable = points[ref as number].table;
    if (sfTable !== points[i].table)
      fail(i, "scaleFactorRef", `"${p.scaleFactorRef}" is in the ${sfTable} table, not the ${points[i].table} table of this point: a scale factor must be read with the points it scales`);
  });
  const sunspec = points.some((p) => p.type === "sunssf");
  if (sunspec) for (const p of points) p.notImplemented = SUNSPEC_NOT_IMPLEMENTED[p.type];
  const tables: CompiledMap["tables"] = {};
  for (const p of points) {
    p.fast = fastReader(p);
    const t = (tables[p.table] ??= { points: [] as CompiledPoint[], first: p.address, end: p.address + p.count, build: () => ({}) });
    t.points.push(p);
    t.first = Math.min(t.first, p.address);
    t.end = Math.max(t.end, p.address + p.count);
  }
  for (const t of Object.values(tables)) t.build = objectBuilder(t.points.map((p) => p.name));
  return { mapId: m.mapId, mapVersion: m.mapVersion, points, sunspec, tables };
}

/**
 * A point's `invalid` list as a set. The list is compared with the value before mask, shift and scale; a float32
 * sentinel is rounded to float32 (3.4028235e38 is FLT_MAX, 0x7F7F 0xFFFF, which decodes to 3.4028234663852886e38).
 */
function sentinels(p: RegisterPoint): Set<number> | undefined {
  if (p.invalid === undefined) return undefined;
  const list = Array.isArray(p.invalid) ? p.invalid : [p.invalid];
  return new Set(p.type === "float32" ? list.map(Math.fround) : list);
}

/**
 * True if a decoded integer is one of the point's `invalid` sentinels, written either as the decoded value or as
 * the raw unsigned register value: for an int16, -32768 and 32768 both name 0x8000, -1 and 65535 name 0xFFFF.
 */
function isSentinel(p: CompiledPoint, invalid: Set<number>, raw: number | bigint): boolean {
  if (invalid.has(Number(raw))) return true;
  if (!SIGNED_TYPES.has(p.type) || raw >= 0) return false;
  return invalid.has(typeof raw === "bigint" ? Number(BigInt.asUintN(64, raw)) : raw + 2 ** (16 * p.count));
}

const FAST_READERS: Partial<Record<PointType, (regs: ArrayLike<number>, i: number, endian: Endian) => number>> = {
  int16: readI16, uint16: readU16, int32: readI32, uint32: readU32, float64: readF64,
  float32: (regs, i, endian) => float32ToDecimal(readF32(regs, i, endian)),
};

/** A one-call decoder for a point that needs nothing but its raw number (the common case). */
function fastReader(p: CompiledPoint): CompiledPoint["fast"] {
  const read = FAST_READERS[p.type];
  if (!read || BIT_TABLES.has(p.table)) return undefined;
  if (p.mask !== undefined || p.shift !== 0 || p.scale !== 1 || p.offset !== 0 || p.convert || p.scaleFactorRef !== undefined) return undefined;
  if (p.enumLabels || p.invalid || p.notImplemented !== undefined || p.min !== undefined || p.max !== undefined) return undefined;
  const { endian, unit } = p;
  if (unit === undefined) {
    return (regs, i) => {
      const value = read(regs, i, endian);
      return Number.isFinite(value) ? { value } : nonFinite();
    };
  }
  return (regs, i) => {
    const value = read(regs, i, endian);
    return Number.isFinite(value) ? { value, unit } : nonFinite(unit);
  };
}

export interface DecodedWindow {
  measurements: Record<string, Measurement>;
  /** The worst quality of the measurements. */
  quality: Quality;
  /** How many points of the map lay wholly inside the response. */
  decoded: number;
}

function bad(unit: string | undefined): Measurement {
  return unit === undefined ? { value: null, quality: "BAD" } : { value: null, unit, quality: "BAD" };
}

/**
 * Decode the points of `plan` that lie wholly inside a response of `data` (registers, or booleans for
 * coil and discrete tables) read from `table` starting at protocol address `start`.
 */
export function decodeWindow(
  plan: CompiledMap, table: Table, start: number, data: ArrayLike<number | boolean>,
): DecodedWindow {
  const end = start + data.length;
  const measurements: Record<string, Measurement> = {};
  let decoded = 0;
  let quality: Quality = "GOOD";
  // Scale factors first: other points of the same read refer to them.
  let sf: Map<string, number | null> | undefined;
  if (plan.sunspec) {
    sf = new Map();
    for (const p of plan.points) {
      if (p.type !== "sunssf" || p.table !== table || p.address < start || p.address + 1 > end) continue;
      const v = readI16(data as ArrayLike<number>, p.address - start, p.endian);
      sf.set(p.id, v === -0x8000 || v < -10 || v > 10 ? null : v);
    }
  }
  const t = plan.tables[table];
  if (!t) return { measurements, quality, decoded };
  const points = t.points;
  if (t.first >= start && t.end <= end) {
    // The read covers every point of the table (the usual poll): build the object in one go.
    const values: Measurement[] = new Array(points.length);
    for (let k = 0; k < points.length; k++) {
      const p = points[k];
      const m = p.fast ? p.fast(data as ArrayLike<number>, p.address - start) : decodePoint(p, data, p.address - start, sf);
      if (m.quality !== undefined) quality = worseQuality(quality, m.quality);
      values[k] = m;
    }
    return { measurements: t.build(values), quality, decoded: points.length };
  }
  for (let k = 0; k < points.length; k++) {
    const p = points[k];
    if (p.address < start || p.address + p.count > end) continue;
    decoded++;
    const m = p.fast ? p.fast(data as ArrayLike<number>, p.address - start) : decodePoint(p, data, p.address - start, sf);
    if (m.quality !== undefined) quality = worseQuality(quality, m.quality);
    measurements[p.name] = m;
  }
  return { measurements, quality, decoded };
}

function decodePoint(
  p: CompiledPoint, data: ArrayLike<number | boolean>, i: number, sf: Map<string, number | null> | undefined,
): Measurement {
  if (p.table === "coil" || p.table === "discrete") {
    return { value: Boolean(data[i]), ...(p.unit ? { unit: p.unit } : {}) };
  }
  const regs = data as ArrayLike<number>;
  let raw: number | bigint;
  switch (p.type) {
    case "bool":
      raw = readU16(regs, i, p.endian);
      return withUnit({ value: raw !== 0 }, p.unit);
    case "bit":
      return withUnit({ value: ((readU16(regs, i, p.endian) >> p.bit) & 1) === 1 }, p.unit);
    case "string": {
      const allZero = Array.prototype.every.call(regs, (w: number, k: number) => k < i || k >= i + p.length || w === 0);
      if (allZero && p.notImplemented !== undefined) return bad(p.unit);
      return withUnit({ value: readString(regs, i, p.length, p.endian) }, p.unit);
    }
    case "int16": case "sunssf": raw = readI16(regs, i, p.endian); break;
    case "uint16": case "enum16": case "bitfield16": raw = readU16(regs, i, p.endian); break;
    case "int32": raw = readI32(regs, i, p.endian); break;
    case "uint32": case "acc32": case "bitfield32": raw = readU32(regs, i, p.endian); break;
    case "int64": raw = readI64(regs, i, p.endian); break;
    case "uint64": raw = readU64(regs, i, p.endian); break;
    case "float32": {
      const f = readF32(regs, i, p.endian);
      if (p.invalid && p.invalid.has(f)) return bad(p.unit);
      raw = float32ToDecimal(f);
      break;
    }
    case "float64": raw = readF64(regs, i, p.endian); break;
  }
  if (typeof raw === "number" && !Number.isFinite(raw)) return nonFinite(p.unit);
  if (p.notImplemented !== undefined && raw === p.notImplemented) return bad(p.unit);
  if (p.invalid && p.type !== "float32" && isSentinel(p, p.invalid, raw)) return bad(p.unit);
  if (p.mask !== undefined || p.shift) {
    let b = BigInt(raw);
    if (b < 0n) b = BigInt.asUintN(p.count * 16, b);
    if (p.mask !== undefined) b &= BigInt(p.mask);
    raw = b >> BigInt(p.shift);
  }
  if (p.enumLabels) {
    const label = p.enumLabels[String(raw)];
    return label === undefined
      ? withUnit({ value: bigToValue(BigInt(raw)), quality: "SUSPECT" }, p.unit)
      : { value: label };
  }
  if (p.type === "bitfield16" || p.type === "bitfield32") return withUnit({ value: Number(raw) }, p.unit);
  let exp = 0;
  if (p.scaleFactorRef !== undefined) {
    const f = sf?.get(p.scaleFactorRef);
    if (f === undefined || f === null) return bad(p.unit);
    exp = f;
  }
  const plain = p.scale === 1 && exp === 0 && p.offset === 0 && !p.convert;
  if (typeof raw === "bigint") {
    if (plain) return range(p, { value: bigToValue(raw) });
    raw = Number(raw);
  }
  if (plain) return range(p, { value: raw });
  let v = raw * p.scale;
  if (exp !== 0) v = exp > 0 ? v * 10 ** exp : v / 10 ** -exp;
  v += p.offset;
  if (p.convert) v = p.convert(v);
  return range(p, { value: tidy(v) });
}

function withUnit(m: Measurement, unit: string | undefined): Measurement {
  if (unit !== undefined) m.unit = unit;
  return m;
}

function range(p: CompiledPoint, m: Measurement): Measurement {
  withUnit(m, p.unit);
  const v = m.value as number;
  if ((p.min !== undefined && v < p.min) || (p.max !== undefined && v > p.max)) m.quality = "SUSPECT" as Quality;
  return m;
}
