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
 */
export function validateReading(x: unknown): ReadingCheck {
  validateSchema ??= compileSchema<CanonicalReading>(canonicalReadingSchema);
  if (!validateSchema(x)) return { ok: false, errors: describeAjvErrors(validateSchema.errors) };
  const ms = Date.parse(x.timestamp);
  if (Number.isNaN(ms) || new Date(ms).toISOString() !== x.timestamp)
    return { ok: false, errors: [`/timestamp "${x.timestamp}" is not a real UTC time`] };
  return { ok: true, reading: x };
}

/**
 * The idempotency key of a reading: one device, one instant. Two readings with the same key are the same
 * reading (a replay after an outage, a duplicate delivery), whatever else they carry.
 */
export function readingKey(reading: Pick<CanonicalReading, "deviceId" | "timestamp">): string {
  return `${reading.deviceId}/${reading.timestamp}`;
}
