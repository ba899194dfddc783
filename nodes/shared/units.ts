/**
 * Units: SenML symbols (RFC 8428 section 12.1 and the secondary units of RFC 8798) and linear
 * conversions between units of the same dimension.
 *
 * A canonical reading's `unit` is always a SenML symbol. A source unit may also be one of a few
 * non-SenML symbols that meters report ("degF", "MWh", "psi", ...), which are converted.
 */
import { ConfigError } from "./errors";

/** SenML unit symbols: RFC 8428 (primary) and RFC 8798 (secondary). */
export const SENML_UNITS: ReadonlySet<string> = new Set([
  // RFC 8428
  "m", "kg", "g", "s", "A", "K", "cd", "mol", "Hz", "rad", "sr", "N", "Pa", "J", "W", "C", "V", "F", "Ohm",
  "S", "Wb", "T", "H", "Cel", "lm", "lx", "Bq", "Gy", "Sv", "kat", "m2", "m3", "l", "m/s", "m/s2", "m3/s",
  "l/s", "W/m2", "cd/m2", "bit", "bit/s", "lat", "lon", "pH", "dB", "dBW", "Bspl", "count", "/", "%", "%RH",
  "%EL", "EL", "1/s", "1/min", "beat/min", "beats", "S/m", "B", "VA", "VAs", "var", "vars", "J/m", "kg/m3",
  "deg",
  // RFC 8798
  "ms", "min", "h", "MHz", "kW", "kVA", "kvar", "Ah", "Wh", "kWh", "varh", "kvarh", "kVAh", "Wh/km", "KiB",
  "GB", "Mbit/s", "B/s", "MB/s", "mV", "mA", "dBm", "ug/m3", "mm/h", "m/h", "ppm", "/100", "%EL", "mm",
  "cm", "km", "km/h", "gon", "dps", "hPa",
]);

interface UnitDef {
  dim: string;
  /** base = value × factor + offset */
  factor: number;
  offset?: number;
}

const U = (dim: string, factor: number, offset?: number): UnitDef => ({ dim, factor, offset });

/** Units that convert: SenML symbols plus the non-SenML symbols accepted as a source unit. */
const CONVERTIBLE: Record<string, UnitDef> = {
  // temperature (absolute), base K
  K: U("temperature", 1), Cel: U("temperature", 1, 273.15), degF: U("temperature", 5 / 9, (459.67 * 5) / 9),
  // energy, base J
  J: U("energy", 1), kJ: U("energy", 1e3), MJ: U("energy", 1e6), Wh: U("energy", 3600), kWh: U("energy", 3.6e6),
  MWh: U("energy", 3.6e9), VAs: U("apparent-energy", 1), VAh: U("apparent-energy", 3600), kVAh: U("apparent-energy", 3.6e6),
  vars: U("reactive-energy", 1), varh: U("reactive-energy", 3600), kvarh: U("reactive-energy", 3.6e6),
  // power, base W
  mW: U("power", 1e-3), W: U("power", 1), kW: U("power", 1e3), MW: U("power", 1e6),
  VA: U("apparent-power", 1), kVA: U("apparent-power", 1e3), MVA: U("apparent-power", 1e6),
  var: U("reactive-power", 1), kvar: U("reactive-power", 1e3), Mvar: U("reactive-power", 1e6),
  // electrical
  mV: U("voltage", 1e-3), V: U("voltage", 1), kV: U("voltage", 1e3),
  mA: U("current", 1e-3), A: U("current", 1), kA: U("current", 1e3),
  Ah: U("charge", 3600), C: U("charge", 1),
  Hz: U("frequency", 1), kHz: U("frequency", 1e3), MHz: U("frequency", 1e6),
  // volume and flow, base m3 and m3/s
  m3: U("volume", 1), l: U("volume", 1e-3), L: U("volume", 1e-3), ft3: U("volume", 0.028316846592),
  gal: U("volume", 0.003785411784),
  "m3/s": U("flow", 1), "l/s": U("flow", 1e-3), "m3/h": U("flow", 1 / 3600), "l/min": U("flow", 1e-3 / 60),
  "l/h": U("flow", 1e-3 / 3600),
  // pressure, base Pa
  Pa: U("pressure", 1), hPa: U("pressure", 100), kPa: U("pressure", 1e3), mbar: U("pressure", 100),
  bar: U("pressure", 1e5), psi: U("pressure", 6894.757293168),
  // ratio, base "/"
  "/": U("ratio", 1), "%": U("ratio", 0.01), "/100": U("ratio", 0.01), ppm: U("ratio", 1e-6),
  // time, base s
  ms: U("time", 1e-3), s: U("time", 1), min: U("time", 60), h: U("time", 3600), d: U("time", 86400),
  // length, base m
  mm: U("length", 1e-3), cm: U("length", 1e-2), m: U("length", 1), km: U("length", 1e3),
  // mass, base kg
  g: U("mass", 1e-3), kg: U("mass", 1),
  // speed
  "m/s": U("speed", 1), "km/h": U("speed", 1 / 3.6), "m/h": U("speed", 1 / 3600),
};

export function isSenmlUnit(unit: string): boolean {
  return SENML_UNITS.has(unit);
}

/** True if a value in `from` can be expressed in `to`. */
export function canConvert(from: string, to: string): boolean {
  if (from === to) return true;
  const a = CONVERTIBLE[from];
  const b = CONVERTIBLE[to];
  return a !== undefined && b !== undefined && a.dim === b.dim;
}

/**
 * The temperature scales' conversions in their textbook form. The generic affine form (v × k + c, with c made from
 * both scales' offsets from absolute zero) cancels badly: 32 °F came out as 7e-15 °C and 41 °F, the FDA's
 * cold-holding limit, as 5.000000000000007 °C, so a `max: 5` rule flagged a compliant reading.
 */
const EXACT: Record<string, (v: number) => number> = {
  "degF>Cel": (v) => ((v - 32) * 5) / 9,
  "Cel>degF": (v) => (v * 9) / 5 + 32,
  "degF>K": (v) => ((v + 459.67) * 5) / 9,
  "K>degF": (v) => (v * 9) / 5 - 459.67,
  "Cel>K": (v) => v + 273.15,
  "K>Cel": (v) => v - 273.15,
};

/** A function converting values from `from` to `to`; throws a ConfigError if they do not convert. */
export function converter(from: string, to: string): (v: number) => number {
  if (from === to) return (v) => v;
  const exact = EXACT[`${from}>${to}`];
  if (exact) return exact;
  const a = CONVERTIBLE[from];
  const b = CONVERTIBLE[to];
  if (!a) throw new ConfigError(`unit "${from}" is not a unit this package converts`);
  if (!b) throw new ConfigError(`unit "${to}" is not a unit this package converts`);
  if (a.dim !== b.dim) throw new ConfigError(`cannot convert ${a.dim} in "${from}" to ${b.dim} in "${to}"`);
  const k = a.factor / b.factor;
  const c = ((a.offset ?? 0) - (b.offset ?? 0)) / b.factor;
  return c === 0 ? (v) => v * k : (v) => v * k + c;
}

/** Spelled-out unit names some producers send, and their SenML symbols. */
const UNIT_ALIASES: Record<string, string> = {
  celsius: "Cel", "°c": "Cel", degc: "Cel", kelvin: "K", fahrenheit: "degF", "°f": "degF",
  percent: "%", pct: "%", "%rh": "%RH", rh: "%RH", volt: "V", volts: "V", amp: "A", amps: "A", ampere: "A",
  amperes: "A", watt: "W", watts: "W", kilowatt: "kW", kilowatts: "kW", "watt-hours": "Wh", "kilowatt-hours": "kWh",
  kwh: "kWh", wh: "Wh", kw: "kW", hertz: "Hz", hz: "Hz", liter: "l", liters: "l", litre: "l", litres: "l",
  "cubic-meters": "m3", "m³": "m3", ratio: "/",
};

/** The SenML (or convertible) symbol for a unit as a producer spelled it, or undefined if unknown. */
export function canonicalUnit(unit: string): string | undefined {
  if (SENML_UNITS.has(unit) || unit in CONVERTIBLE) return unit;
  return UNIT_ALIASES[unit.trim().toLowerCase()];
}

/** The SenML unit a non-SenML source unit is converted to, by dimension. */
const DIMENSION_TARGET: Record<string, string> = {
  temperature: "Cel", energy: "kWh", "apparent-energy": "kVAh", "reactive-energy": "kvarh", power: "kW",
  "apparent-power": "kVA", "reactive-power": "kvar", voltage: "V", current: "A", charge: "Ah", frequency: "Hz",
  volume: "m3", flow: "m3/s", pressure: "hPa", ratio: "/", time: "s", length: "m", mass: "kg", speed: "m/s",
};

/**
 * A unit as a producer spelled it, as a SenML symbol and the conversion into it (identity when it is
 * already SenML). Undefined when the unit is unknown.
 */
export function toSenml(unit: string): { unit: string; convert: (v: number) => number } | undefined {
  const u = canonicalUnit(unit);
  if (u === undefined) return undefined;
  if (SENML_UNITS.has(u)) return { unit: u, convert: (v) => v };
  const target = DIMENSION_TARGET[CONVERTIBLE[u].dim];
  return { unit: target, convert: converter(u, target) };
}

/** What a configured point or field says about its unit: the SenML unit it is reported in, and the conversion. */
export interface UnitSpec {
  /** The SenML symbol the value is reported in; undefined when neither unit nor sourceUnit is given. */
  unit?: string;
  /** From the source unit into `unit`; undefined when no conversion is needed. */
  convert?: (v: number) => number;
}

/**
 * The unit rules of a configured value (a register map point, a JSON mapping field, a rule), written once:
 * - `unit` must be a SenML symbol: it is the unit of the value that leaves the node;
 * - `sourceUnit` is the unit the device reports in, which may be a non-SenML symbol this module converts
 *   ("degF", "MWh", "psi"); without `unit` it must itself be a SenML symbol, and is then the unit;
 * - both given: the value is converted from `sourceUnit` to `unit` (same dimension only).
 *
 * Throws a ConfigError `${where}/unit ...` or `${where}/sourceUnit ...`; its field is `${pointer}/unit` (or
 * `/sourceUnit`), so that the editor can point at it.
 */
export function compileUnitSpec(spec: { unit?: string; sourceUnit?: string }, where: string, pointer = ""): UnitSpec {
  const fail = (field: "unit" | "sourceUnit", text: string): never => {
    throw new ConfigError(`${where}/${field} ${text}`, `${pointer}/${field}`);
  };
  const { unit, sourceUnit } = spec;
  if (unit !== undefined && !isSenmlUnit(unit))
    fail("unit", `"${unit}" is not a SenML unit symbol (RFC 8428/8798), e.g. "Cel", "kWh", "%RH", "/"`);
  if (sourceUnit === undefined) return { unit };
  if (unit === undefined) {
    if (!isSenmlUnit(sourceUnit)) fail("unit", `is needed: sourceUnit "${sourceUnit}" is not a SenML unit`);
    return { unit: sourceUnit };
  }
  if (!canConvert(sourceUnit, unit)) fail("sourceUnit", `"${sourceUnit}" cannot be converted to "${unit}"`);
  return sourceUnit === unit ? { unit } : { unit, convert: converter(sourceUnit, unit) };
}
