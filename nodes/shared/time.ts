/**
 * Timestamps: whatever a producer sends becomes UTC ISO 8601 with milliseconds and Z.
 *
 * Accepted:
 * - numbers (or numeric strings): epoch milliseconds, or epoch seconds when below 1e11
 *   (1e11 s is the year 5138, 1e11 ms is March 1973, so the two ranges do not overlap in practice);
 * - Date objects;
 * - ISO 8601 strings with Z or an offset ("2026-02-08T15:15:00+01:00");
 * - ISO 8601 (or "YYYY-MM-DD hh:mm:ss") local times without an offset, read in a configured IANA zone.
 *
 * Local times around a daylight-saving change follow a documented policy:
 * - ambiguous (the repeated hour when clocks go back): "earlier" (first occurrence, the default),
 *   "later" (second occurrence) or "reject";
 * - skipped (the hour that does not exist when clocks go forward): "shift" (read with the offset in force
 *   before the change, so 02:30 becomes 03:30 local, the default) or "reject".
 */
import { DateTime, IANAZone } from "luxon";
import { InputError } from "./errors";

export type AmbiguousPolicy = "earlier" | "later" | "reject";
export type SkippedPolicy = "shift" | "reject";

export interface TimeOptions {
  /** IANA zone for local times without an offset. */
  zone: string;
  ambiguous: AmbiguousPolicy;
  skipped: SkippedPolicy;
}

/** The last millisecond a canonical timestamp can carry: 9999-12-31T23:59:59.999Z (four-digit years). */
export const MAX_MS = 253402300799999;
/** The first: 0000-01-01T00:00:00.000Z. */
export const MIN_MS = -62167219200000;
const HAS_OFFSET = /T[\d:.,]+(Z|[+-]\d{2}(:?\d{2})?)$/i;
const EPOCH_SECONDS_LIMIT = 1e11;

/** True if `zone` is an IANA zone luxon (and so Intl) knows. */
export function isValidZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

const DAY_MS = 86_400_000;
const PAD2 = Array.from({ length: 60 }, (_, k) => String(k).padStart(2, "0"));
const PAD3 = Array.from({ length: 1000 }, (_, k) => String(k).padStart(3, "0"));
let lastMs = NaN;
let lastIso = "";
let lastDay = NaN;
let lastDayPrefix = "";

/**
 * UTC ISO string with milliseconds and Z for epoch milliseconds. Readings of one poll share their millisecond,
 * and the readings of a SenML pack or a replay share their day: the date part is formatted once per day and
 * the time of day by arithmetic, several times faster than Date#toISOString for thousands of readings.
 */
export function isoUtc(ms: number): string {
  if (ms === lastMs) return lastIso;
  if (!(ms >= 0 && ms <= MAX_MS) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  if (day !== lastDay) {
    lastDayPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    lastDay = day;
  }
  let t = ms - day * DAY_MS;
  const milli = t % 1000;
  t = (t - milli) / 1000;
  const sec = t % 60;
  t = (t - sec) / 60;
  const min = t % 60;
  const hour = (t - min) / 60;
  lastIso = `${lastDayPrefix}${PAD2[hour]}:${PAD2[min]}:${PAD2[sec]}.${PAD3[milli]}Z`;
  lastMs = ms;
  return lastIso;
}

/**
 * `ms` if a canonical timestamp can carry it (UTC, years 0000 to 9999, as the schema's four-digit year says),
 * else an InputError: "<what> <shown> is beyond year 9999 ...". `shown` is the value as the producer sent it.
 */
export function checkTimeRange(ms: number, what: string, shown: string): number {
  if (ms >= MIN_MS && ms <= MAX_MS) return ms;
  const why = ms > MAX_MS ? "is beyond year 9999" : ms < MIN_MS ? "is before year 0" : "is not a time";
  throw new InputError(`${what} ${shown} ${why}: a reading's timestamp is UTC between years 0000 and 9999`, "bad timestamp");
}

/**
 * `msg.receivedAt` (when the gateway first received the data) as epoch ms, or undefined when it is not a time.
 * Epoch milliseconds is the contract; a number below 1e11 can only be epoch seconds (1e11 ms is March 1973, 1e11 s
 * is the year 5138), as a device or a function node may give it, so it is taken as seconds. An ISO 8601 text with
 * an offset is accepted too. validate judges clock drift by it and aggregate-window stamps its windows with it, so
 * both read it here.
 */
export function receivedAtMs(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v) && v > 0) return v < EPOCH_SECONDS_LIMIT ? v * 1000 : v;
  if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(v)) {
    const ms = Date.parse(v);
    if (Number.isFinite(ms) && ms > 0) return ms;
  }
  return undefined;
}

function fromEpoch(n: number, what: string): number {
  if (!Number.isFinite(n) || n < 0) throw new InputError(`${what} ${n} is not a valid epoch time`, "bad timestamp");
  const ms = n < EPOCH_SECONDS_LIMIT ? n * 1000 : n;
  return Math.round(checkTimeRange(ms, what, String(n)));
}

/** Epoch ms of a local wall-clock time in `zone`, applying the DST policy. */
export function localToEpoch(wall: DateTime, opts: TimeOptions, what = "timestamp"): number {
  const zone = IANAZone.create(opts.zone);
  if (!zone.isValid) throw new InputError(`time zone "${opts.zone}" is not a valid IANA zone`, "bad zone");
  // The wall time read as if it were UTC; the real instant is that minus the zone's offset.
  const w = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second, wall.millisecond);
  const offsets = new Set([zone.offset(w - 12 * 3600e3), zone.offset(w + 12 * 3600e3), zone.offset(w)]);
  const valid = [...offsets]
    .map((o) => w - o * 60e3)
    .filter((utc) => zone.offset(utc) * 60e3 === w - utc)
    .sort((a, b) => a - b);
  const text = `${wall.toFormat("yyyy-MM-dd HH:mm:ss")} in ${opts.zone}`;
  if (valid.length === 1) return valid[0];
  if (valid.length > 1) {
    if (opts.ambiguous === "reject")
      throw new InputError(`${what} ${text} is ambiguous (clocks go back) and the policy is reject`, "ambiguous time");
    return opts.ambiguous === "earlier" ? valid[0] : valid[valid.length - 1];
  }
  if (opts.skipped === "reject")
    throw new InputError(`${what} ${text} does not exist (clocks go forward) and the policy is reject`, "skipped time");
  // Read with the offset in force before the change (the smaller offset east of UTC is the earlier one).
  const before = zone.offset(w - 12 * 3600e3);
  return w - before * 60e3;
}

/**
 * Epoch milliseconds of a timestamp as a producer sent it. Throws an InputError naming `what`
 * (e.g. "msg.timestamp") when it cannot be read.
 */
export function parseTimestamp(input: unknown, opts: TimeOptions, what = "timestamp"): number {
  if (input instanceof Date) {
    const ms = input.getTime();
    if (Number.isNaN(ms)) throw new InputError(`${what} is an invalid Date`, "bad timestamp");
    return checkTimeRange(ms, what, `Date ${ms} ms`);
  }
  if (typeof input === "number") return fromEpoch(input, what);
  if (typeof input !== "string" || input.trim() === "")
    throw new InputError(`${what} must be epoch ms or s, an ISO 8601 string or a Date, got ${typeof input}`, "bad timestamp");
  const s = input.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return fromEpoch(Number(s), what);
  const iso = s.replace(/^(\d{4}-\d{2}-\d{2}) (\d)/, "$1T$2");
  if (HAS_OFFSET.test(iso)) {
    const dt = DateTime.fromISO(iso, { setZone: true });
    if (!dt.isValid) throw new InputError(`${what} "${s}" is not a valid ISO 8601 time`, "bad timestamp");
    return checkTimeRange(dt.toMillis(), what, `"${s}"`);
  }
  const wall = DateTime.fromISO(iso, { zone: "UTC" });
  if (!wall.isValid) throw new InputError(`${what} "${s}" is not a valid ISO 8601 time`, "bad timestamp");
  return checkTimeRange(localToEpoch(wall, opts, what), what, `"${s}" in ${opts.zone}`);
}
