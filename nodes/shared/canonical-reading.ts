/**
 * The canonical reading: the contract between every node of this package.
 * The JSON Schema beside this file (canonical-reading.schema.json) is the same contract for ajv.
 */
import canonicalReadingSchema from "./canonical-reading.schema.json";
import { compileSchema, describeAjvErrors } from "./schema";

export { canonicalReadingSchema };

/** Quality flags, best first. A reading's quality is the worst of its measurements' qualities. */
export const QUALITIES = ["GOOD", "ESTIMATED", "SUSPECT", "BAD"] as const;
export type Quality = (typeof QUALITIES)[number];

export type MeasurementValue = number | string | boolean | null;

export interface Measurement {
  value: MeasurementValue;
  /** A SenML unit symbol (RFC 8428 / RFC 8798), e.g. "Cel", "kWh", "%RH", "/". */
  unit?: string;
  quality?: Quality;
  /** Short codes saying why the quality is what it is ("spike", "counter-decrease", "rollover"). */
  flags?: string[];
  /** On an aggregate (aggregate-window): what a rollup merges. */
  stats?: MeasurementStats;
}

/** A measurement's stats on an aggregate. count and sum include estimates (fill); first/last are real readings. */
export interface MeasurementStats {
  count: number;
  sum: number;
  min?: number | null;
  max?: number | null;
  first?: number | null;
  last?: number | null;
  firstAt?: string | null;
  lastAt?: string | null;
  /** Of count, how many values are estimates. */
  estimated?: number;
  /** Values refused as BAD (not counted). */
  bad?: number;
  /** The worst quality of the values counted. */
  inputQuality?: Quality;
  /** delta: the register interpolated at the window's start and end. */
  startValue?: number | null;
  endValue?: number | null;
  /** twa: the integral of the value over time (value × s) and the seconds it covers. */
  area?: number;
  duration?: number;
}

/** The calendar window an aggregate covers (aggregate-window). The reading's timestamp is its start, or its end. */
export interface ReadingWindow {
  start: string;
  end: string;
  /** The IANA zone of the calendar. */
  zone: string;
  size: "5m" | "15m" | "30m" | "1h" | "1d" | "1w" | "1mo";
  /** The local label: "2026-03-08", "2026-03", "2026-W10", "2026-11-01T01:00-05:00". */
  local?: string;
  expected: number;
  received: number;
  estimated?: number;
  /** received ÷ expected. */
  completeness: number;
  /** 0 for the first emit, + 1 for each correction. */
  revision: number;
  /** No correction can come after this emit. */
  final: boolean;
}

/** The flag of a measurement whose source value was NaN or ±Infinity: JSON cannot carry it, so it is null and BAD. */
export const NON_FINITE = "non-finite";

/** A measurement for a NaN or ±Infinity source value: value null, quality BAD, flag "non-finite". */
export function nonFinite(unit?: string): Measurement {
  return unit === undefined
    ? { value: null, quality: "BAD", flags: [NON_FINITE] }
    : { value: null, unit, quality: "BAD", flags: [NON_FINITE] };
}

export type SourceProtocol = "modbus" | "bacnet" | "senml" | "json";

export interface ReadingSource {
  protocol: SourceProtocol;
  mapId?: string;
  mapVersion?: string;
  unitId?: number;
  /** The timestamp as the device gave it, when a node corrected it (validate's clock-drift correction). */
  originalTimestamp?: string;
  [key: string]: unknown;
}

export interface ReadingMeta {
  site?: string;
  location?: string;
  customerId?: string;
  meterType?: string;
  [key: string]: unknown;
}

export interface CanonicalReading {
  deviceId: string;
  /** UTC ISO 8601 with milliseconds and Z: "2026-02-08T14:15:00.000Z". */
  timestamp: string;
  measurements: Record<string, Measurement>;
  quality: Quality;
  /** Short codes saying why the reading's own quality is what it is ("time-corrected", "drift"). */
  flags?: string[];
  /** On an aggregate: the window it covers. */
  window?: ReadingWindow;
  source?: ReadingSource;
  meta?: ReadingMeta;
}

const RANK: Record<Quality, number> = { GOOD: 0, ESTIMATED: 1, SUSPECT: 2, BAD: 3 };

/** The worse of two qualities. */
export function worseQuality(a: Quality, b: Quality): Quality {
  return RANK[a] >= RANK[b] ? a : b;
}

/** The worst quality of a set of measurements; GOOD for a measurement without one. */
export function readingQuality(measurements: Record<string, Measurement>): Quality {
  let q: Quality = "GOOD";
  for (const name in measurements) {
    const m = measurements[name].quality;
    if (m !== undefined && RANK[m] > RANK[q]) q = m;
  }
  return q;
}

/**
 * The MQTT-style topic {region}/{site}/{device-type}/{device-id}, from the parts that are known.
 * Unknown leading parts are left out, so a reading with only a device id gets "deviceId".
 */
export function readingTopic(parts: { region?: string; site?: string; deviceType?: string; deviceId: string }): string {
  let topic = "";
  for (const p of [parts.region, parts.site, parts.deviceType]) if (p) topic += `${topicLevel(p)}/`;
  return topic + topicLevel(parts.deviceId);
}

/** One MQTT topic level: "/", "+" and "#" would change the topic's meaning, so they become "_". */
function topicLevel(s: string): string {
  return /[/+#]/.test(s) ? s.replace(/[/+#]/g, "_") : s;
}

/** The result of validateReading: the reading, or what is wrong with it, one line per field. */
export type ReadingCheck = { ok: true; reading: CanonicalReading } | { ok: false; errors: string[] };

let validateSchema: ReturnType<typeof compileSchema<CanonicalReading>> | undefined;

/**
 * Checks a value against the canonical reading contract: the JSON Schema beside this file (compiled once, on
 * first use), and what a schema cannot say: the timestamp is a real instant ("2026-02-30T..." is not). Each
 * error names its field: `/measurements/energy/value must be number,string,boolean,null`.
 *
 * Every reading is checked in full, whichever node it comes from (a message can be changed between nodes). The
 * check that runs first is a hand-written copy of the schema (readingTime); only what it does not accept goes to
 * ajv, which decides and names the bad field.
 */
export function validateReading(x: unknown): ReadingCheck {
  if (!Number.isNaN(readingTime(x))) return { ok: true, reading: x as CanonicalReading };
  validateSchema ??= compileSchema<CanonicalReading>(canonicalReadingSchema);
  if (!validateSchema(x)) return { ok: false, errors: describeAjvErrors(validateSchema.errors) };
  const ms = Date.parse(x.timestamp);
  if (Number.isNaN(ms) || new Date(ms).toISOString() !== x.timestamp)
    return { ok: false, errors: [`/timestamp "${x.timestamp}" is not a real UTC time`] };
  return { ok: true, reading: x };
}

/**
 * The epoch milliseconds of `x`'s timestamp when `x` is a canonical reading, else NaN; the cheap check that
 * validateReading runs first (no allocation, no regular expression, no closure per call).
 *
 * It is the schema written out by hand (every keyword of canonical-reading.schema.json, aggregates' window and
 * stats included) plus the real-instant check, and it is never more lenient: what it accepts, ajv and the
 * real-instant check accept (test/unit/shared/canonical-reading.test.ts compares the two on thousands of
 * altered readings). Where ajv's rules are looser than a canonical producer ever needs (NaN or Infinity where
 * the schema says number, a measurements object whose keys are all inherited, a year before 0100), it answers
 * NaN and leaves the decision to validateReading's ajv path.
 */
/** Where readingTime lists a reading's measurements as it checks them, so that the caller walks them once. */
export interface MeasurementList {
  /** The measurements' names, in their order. */
  names: string[];
  /** The measurements in the same order, when given (written from index 0; entries past names.length are stale). */
  ms?: unknown[];
}

export function readingTime(x: unknown, out?: MeasurementList): number {
  if (!isObj(x)) return NaN;
  const r = x as Record<string, unknown>;
  const id = r.deviceId;
  if (typeof id !== "string" || id.length === 0 || !isQuality(r.quality)) return NaN;
  const ms = timestampMs(r.timestamp);
  if (ms !== ms) return NaN;
  const ms2 = r.measurements;
  if (!isObj(ms2)) return NaN;
  const measurements = ms2 as Record<string, unknown>;
  // As ajv walks additionalProperties and propertyNames: every enumerable key. minProperties counts own keys:
  // the first key for-in gives is an own one when there is any.
  let first = true;
  const names: string[] | undefined = out ? [] : undefined;
  const list = out?.ms;
  for (const name in measurements) {
    if (first) {
      if (!Object.prototype.hasOwnProperty.call(measurements, name)) return NaN;
      first = false;
    }
    const m = measurements[name];
    if (name.length === 0 || !isMeasurement(m)) return NaN;
    if (names) {
      if (list) list[names.length] = m;
      names.push(name);
    }
  }
  if (first) return NaN;
  if (r.flags !== undefined && !isFlags(r.flags)) return NaN;
  if (r.source !== undefined && !isSource(r.source)) return NaN;
  if (r.meta !== undefined && !isMeta(r.meta)) return NaN;
  if (r.window !== undefined && !isWindow(r.window)) return NaN;
  if (out && names) out.names = names;
  return ms;
}

/** ajv's "type": "object". */
function isObj(v: unknown): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isQuality(q: unknown): boolean {
  return q === "GOOD" || q === "BAD" || q === "ESTIMATED" || q === "SUSPECT";
}

/** "type": "number", finite only (ajv would take NaN and Infinity: those go to ajv). */
function isNum(v: unknown): boolean {
  return typeof v === "number" && Number.isFinite(v);
}

/** "type": "integer", "minimum": 0. */
function isCount(v: unknown): boolean {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}

function optString(v: unknown): boolean {
  return v === undefined || typeof v === "string";
}

function optNumOrNull(v: unknown): boolean {
  return v === undefined || v === null || isNum(v);
}

function isMeasurement(m: unknown): boolean {
  if (!isObj(m)) return false;
  const o = m as Record<string, unknown>;
  const v = o.value;
  if (v !== null && typeof v !== "string" && typeof v !== "boolean" && !isNum(v)) return false; // undefined: required
  const unit = o.unit;
  if (unit !== undefined && (typeof unit !== "string" || unit.length === 0)) return false;
  if (o.quality !== undefined && !isQuality(o.quality)) return false;
  if (o.flags !== undefined && !isFlags(o.flags)) return false;
  return o.stats === undefined || isStats(o.stats);
}

function isFlags(f: unknown): boolean {
  if (!Array.isArray(f)) return false;
  for (let i = 0; i < f.length; i++) {
    const s: unknown = f[i];
    if (typeof s !== "string" || s.length === 0) return false;
  }
  return true;
}

function isSource(s: unknown): boolean {
  if (!isObj(s)) return false;
  const o = s as Record<string, unknown>;
  const p = o.protocol;
  if (p !== "modbus" && p !== "senml" && p !== "json" && p !== "bacnet") return false;
  if (!optString(o.mapId) || !optString(o.mapVersion) || !optString(o.originalTimestamp)) return false;
  return o.unitId === undefined || (typeof o.unitId === "number" && Number.isInteger(o.unitId));
}

function isMeta(m: unknown): boolean {
  if (!isObj(m)) return false;
  const o = m as Record<string, unknown>;
  return optString(o.site) && optString(o.location) && optString(o.customerId) && optString(o.meterType);
}

function isWindow(w: unknown): boolean {
  if (!isObj(w)) return false;
  const o = w as Record<string, unknown>;
  const size = o.size;
  if (size !== "15m" && size !== "1h" && size !== "1d" && size !== "5m" && size !== "30m" && size !== "1w" && size !== "1mo") return false;
  if (!isIsoShape(o.start) || !isIsoShape(o.end)) return false;
  if (typeof o.zone !== "string" || o.zone.length === 0 || !optString(o.local)) return false;
  if (!isCount(o.expected) || !isCount(o.received) || !isCount(o.revision) || (o.estimated !== undefined && !isCount(o.estimated))) return false;
  return isNum(o.completeness) && (o.completeness as number) >= 0 && typeof o.final === "boolean";
}

function isStats(s: unknown): boolean {
  if (!isObj(s)) return false;
  const o = s as Record<string, unknown>;
  if (!isCount(o.count) || !isNum(o.sum)) return false;
  if (!optNumOrNull(o.min) || !optNumOrNull(o.max) || !optNumOrNull(o.first) || !optNumOrNull(o.last)) return false;
  if (!optNumOrNull(o.startValue) || !optNumOrNull(o.endValue)) return false;
  if ((o.firstAt !== undefined && o.firstAt !== null && typeof o.firstAt !== "string") || (o.lastAt !== undefined && o.lastAt !== null && typeof o.lastAt !== "string")) return false;
  if ((o.estimated !== undefined && !isCount(o.estimated)) || (o.bad !== undefined && !isCount(o.bad))) return false;
  if (o.inputQuality !== undefined && !isQuality(o.inputQuality)) return false;
  if (o.area !== undefined && !isNum(o.area)) return false;
  return o.duration === undefined || (isNum(o.duration) && (o.duration as number) >= 0);
}

/** The schema's timestamp pattern, ^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$, without a regular expression. */
function isIsoShape(t: unknown): boolean {
  if (typeof t !== "string" || t.length !== 24) return false;
  for (let i = 0; i < 24; i++) {
    const c = t.charCodeAt(i);
    switch (i) {
      case 4:
      case 7:
        if (c !== 45 /* - */) return false;
        break;
      case 10:
        if (c !== 84 /* T */) return false;
        break;
      case 13:
      case 16:
        if (c !== 58 /* : */) return false;
        break;
      case 19:
        if (c !== 46 /* . */) return false;
        break;
      case 23:
        if (c !== 90 /* Z */) return false;
        break;
      default:
        if (c < 48 || c > 57) return false;
    }
  }
  return true;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Two or more ASCII digits of `s` at `at` as a number (the shape is checked already). */
function num(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) v = v * 10 + (s.charCodeAt(i) - 48);
  return v;
}

/**
 * Epoch ms of a timestamp of the schema's shape ("2026-03-08T05:00:00.000Z", what isoUtc writes) that names a real
 * UTC instant (what Date.parse reads back to the same text: no February 30, no 24:00, no second 60), else NaN.
 * Years before 0100 are NaN here (Date.UTC reads 0-99 as 1900-1999); the caller asks Date.parse or ajv for them.
 */
export function timestampMs(t: unknown): number {
  if (!isIsoShape(t)) return NaN;
  const s = t as string;
  const year = num(s, 0, 4);
  const month = num(s, 5, 2);
  const day = num(s, 8, 2);
  const hour = num(s, 11, 2);
  const minute = num(s, 14, 2);
  const second = num(s, 17, 2);
  if (year < 100 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return NaN;
  if (day > DAYS[month - 1] && !(month === 2 && day === 29 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return NaN;
  return Date.UTC(year, month - 1, day, hour, minute, second, num(s, 20, 3));
}

/**
 * The idempotency key of a reading: one device, one instant. Two readings with the same key are the same
 * reading (a replay after an outage, a duplicate delivery), whatever else they carry.
 */
export function readingKey(reading: Pick<CanonicalReading, "deviceId" | "timestamp">): string {
  return `${reading.deviceId}/${reading.timestamp}`;
}
