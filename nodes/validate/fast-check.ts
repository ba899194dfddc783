/**
 * A hand-written check of the common shape of a canonical reading: what meter-normalize and store-forward send
 * (deviceId, timestamp, measurements of value/unit/quality/flags, quality, flags, source), at a fraction of the
 * cost of the ajv schema check. It only ever says "valid" for a reading the schema (plus validateReading's real-time
 * check) accepts: anything it does not know (an aggregate's window or stats, meta, a property it has no rule for,
 * any doubt) answers `NaN`, and the caller asks ajv, which also gives the error message naming the path.
 *
 * Returns the timestamp in epoch ms when the reading is valid, else NaN ("ask ajv"); `out.names` gets the
 * measurements' names (Object.keys), and `out.ms` the measurements in that order (when given), so that the caller
 * walks them without another for-in or a lookup by name.
 */

const QUALITY = new Set(["GOOD", "ESTIMATED", "SUSPECT", "BAD"]);
const PROTOCOL = new Set(["modbus", "bacnet", "senml", "json"]);

export function fastReadingTime(x: unknown, out?: { names: string[]; ms?: unknown[] }): number {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return NaN;
  const r = x as Record<string, unknown>;
  let known = 0;
  for (const k in r) {
    switch (k) {
      case "deviceId":
      case "timestamp":
      case "measurements":
      case "quality":
        known++;
        break;
      case "flags":
        if (r.flags !== undefined && !isFlags(r.flags)) return NaN;
        break;
      case "source":
        if (r.source !== undefined && !isSource(r.source)) return NaN;
        break;
      default:
        return NaN;
    }
  }
  if (known !== 4) return NaN;
  const id = r.deviceId;
  if (typeof id !== "string" || id.length === 0) return NaN;
  if (typeof r.quality !== "string" || !QUALITY.has(r.quality)) return NaN;
  const ms = utcTime(r.timestamp);
  if (ms !== ms) return NaN;
  const ms2 = r.measurements;
  if (typeof ms2 !== "object" || ms2 === null || Array.isArray(ms2)) return NaN;
  const measurements = ms2 as Record<string, unknown>;
  const names = Object.keys(measurements);
  const list = out?.ms;
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    const m = measurements[name];
    if (name.length === 0 || !isMeasurement(m)) return NaN;
    if (list) list[i] = m;
  }
  if (names.length === 0) return NaN;
  if (out) out.names = names;
  return ms;
}

function isMeasurement(m: unknown): boolean {
  if (typeof m !== "object" || m === null || Array.isArray(m)) return false;
  const o = m as Record<string, unknown>;
  let hasValue = false;
  for (const k in o) {
    switch (k) {
      case "value": {
        const v = o.value;
        if (v !== null && typeof v !== "number" && typeof v !== "string" && typeof v !== "boolean") return false;
        hasValue = true;
        break;
      }
      case "unit":
        if (o.unit !== undefined && (typeof o.unit !== "string" || o.unit.length === 0)) return false;
        break;
      case "quality":
        if (o.quality !== undefined && (typeof o.quality !== "string" || !QUALITY.has(o.quality))) return false;
        break;
      case "flags":
        if (o.flags !== undefined && !isFlags(o.flags)) return false;
        break;
      default:
        return false;
    }
  }
  return hasValue;
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
  if (typeof s !== "object" || s === null || Array.isArray(s)) return false;
  const o = s as Record<string, unknown>;
  let protocol = false;
  for (const k in o) {
    switch (k) {
      case "protocol":
        if (typeof o.protocol !== "string" || !PROTOCOL.has(o.protocol)) return false;
        protocol = true;
        break;
      case "mapId":
      case "mapVersion":
      case "originalTimestamp":
        if (o[k] !== undefined && typeof o[k] !== "string") return false;
        break;
      case "unitId":
        if (o.unitId !== undefined && !Number.isInteger(o.unitId)) return false;
        break;
      default:
        return false;
    }
  }
  return protocol;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** "YYYY-MM-DDTHH:MM:SS.mmmZ" naming a real UTC instant (no Feb 30, no 24:00, no :60) → epoch ms, else NaN. */
export function utcTime(t: unknown): number {
  if (typeof t !== "string" || t.length !== 24) return NaN;
  if (t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45 || t.charCodeAt(10) !== 84 || t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58 || t.charCodeAt(19) !== 46 || t.charCodeAt(23) !== 90) return NaN;
  const year = digits(t, 0, 4);
  const month = digits(t, 5, 2);
  const day = digits(t, 8, 2);
  const hour = digits(t, 11, 2);
  const minute = digits(t, 14, 2);
  const second = digits(t, 17, 2);
  const milli = digits(t, 20, 3);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || milli < 0) return NaN;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : DAYS[month - 1])) return NaN;
  if (year >= 100) return Date.UTC(year, month - 1, day, hour, minute, second, milli);
  const d = new Date(0); // Date.UTC maps the years 0-99 to 1900-1999
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, milli);
  return d.getTime();
}

/** The decimal number of `n` ASCII digits at `at`, or -1. */
function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}
