/**
 * What a window holds per measurement, and how a window's parts become its aggregate: pure, no clock, no I/O.
 *
 * A window keeps stats, not readings: count, sum, min, max, first/last with their times, the worst input quality
 * and how many values were BAD. Only a measurement aggregated with `twa`, or filled (fill linear/previous), also
 * keeps its points (time, value), because a time-weighted average and a gap estimate need the neighbours of each
 * point whatever order the points arrive in (a replay after an outage arrives after newer live readings).
 *
 * A window's aggregate is a fold of parts: its own raw readings summarised (with the boundary values that delta
 * and twa interpolate from the neighbouring windows), and the summaries of the smaller aggregates merged into it
 * (a rollup). The fold is associative over adjacent parts, so 15m → 1h → 1d → 1mo gives 1mo over the raw readings.
 */
import { worseQuality, type Quality } from "../shared/canonical-reading";
import type { AggFn } from "./config";

/**
 * The raw accumulators of one window: one Float64Array for all of a device's measurements, STRIDE numbers per
 * measurement column (the device numbers its measurements in the order they first appear). One object per window
 * instead of one per measurement, so a gateway holding a thousand devices' windows for two days of corrections
 * keeps the garbage collector quiet; the state document stores it as a plain array.
 */
export const STRIDE = 10;
/** Offsets within a column. N: values counted (numbers, not BAD); BAD: values refused as BAD (quality BAD, or
 * null); Q: the rank of the worst quality of the counted values (0 GOOD ... 3 BAD). */
export const N = 0;
export const SUM = 1;
export const MIN = 2;
export const MAX = 3;
export const FIRST = 4;
export const FIRST_AT = 5;
export const LAST = 6;
export const LAST_AT = 7;
export const BAD = 8;
export const Q = 9;

const RANKS: readonly Quality[] = ["GOOD", "ESTIMATED", "SUSPECT", "BAD"];
export const qualityRank = (q: Quality): number => (q === "GOOD" ? 0 : q === "ESTIMATED" ? 1 : q === "SUSPECT" ? 2 : q === "BAD" ? 3 : -1);
export const rankQuality = (r: number): Quality => RANKS[r] ?? "GOOD";

/** `buf` grown to hold `cols` columns (the same array when it already does). */
export function withColumns(buf: Float64Array, cols: number): Float64Array {
  if (buf.length >= cols * STRIDE) return buf;
  const out = new Float64Array(Math.max(cols, 4) * STRIDE);
  out.set(buf);
  return out;
}

/** Values counted in column c (0 for a column the buffer does not hold yet). */
export function countOf(buf: Float64Array, c: number): number {
  const o = c * STRIDE;
  return o < buf.length ? buf[o + N] : 0;
}

/** Add one value at time t to column c. `bad`: not to be trusted: counted apart, never used. */
export function bufAdd(buf: Float64Array, c: number, t: number, v: number, bad: boolean, qRank: number): void {
  const o = c * STRIDE;
  if (bad) {
    buf[o + BAD]++;
    return;
  }
  if (buf[o + N] === 0) {
    buf[o + MIN] = buf[o + MAX] = buf[o + FIRST] = buf[o + LAST] = v;
    buf[o + FIRST_AT] = buf[o + LAST_AT] = t;
  } else {
    if (v < buf[o + MIN]) buf[o + MIN] = v;
    if (v > buf[o + MAX]) buf[o + MAX] = v;
    if (t < buf[o + FIRST_AT]) {
      buf[o + FIRST] = v;
      buf[o + FIRST_AT] = t;
    }
    if (t >= buf[o + LAST_AT]) {
      buf[o + LAST] = v;
      buf[o + LAST_AT] = t;
    }
  }
  buf[o + N]++;
  buf[o + SUM] += v;
  if (qRank > buf[o + Q]) buf[o + Q] = qRank;
}

/** Insert a point [t, v, bad] into a list sorted by time (twa and fill keep their points). */
export function insertPoint(pts: number[], t: number, v: number, bad: boolean): void {
  let i = pts.length;
  while (i > 0 && pts[i - 3] > t) i -= 3;
  pts.splice(i, 0, t, v, bad ? 1 : 0);
}

/** The stats of a measurement in an aggregate (the `stats` of the canonical reading), plus what merging needs. */
export interface Stats {
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  first: number | null;
  last: number | null;
  firstAt: string | null;
  lastAt: string | null;
  /** Of count, how many values are estimates (fill). */
  estimated: number;
  /** Values refused as BAD. */
  bad: number;
  /** The worst quality of the values counted. */
  inputQuality: Quality;
  /** delta: the register interpolated at the window's start and end. */
  startValue?: number | null;
  endValue?: number | null;
  /** twa: the integral of the value over time (value × seconds) and the seconds it covers. */
  area?: number;
  duration?: number;
}

/** One part of a window: its raw readings summarised, or a smaller aggregate merged in. */
export interface Part {
  start: number;
  end: number;
  received: number;
  estimated: number;
  /** Per measurement: the stats in epoch ms (firstAt/lastAt as numbers), and the unit. */
  m: Record<string, PartStats>;
}

export interface PartStats {
  unit?: string;
  count: number;
  sum: number;
  min: number;
  max: number;
  first: number;
  firstAt: number;
  last: number;
  lastAt: number;
  estimated: number;
  bad: number;
  q: Quality;
  startValue?: number | null;
  endValue?: number | null;
  area?: number;
  duration?: number;
}

/** Fold parts (any order) into one PartStats per measurement. */
export function foldParts(parts: Part[]): { received: number; estimated: number; m: Record<string, PartStats> } {
  const sorted = parts.slice().sort((a, b) => a.start - b.start);
  const m: Record<string, PartStats> = {};
  let received = 0;
  let estimated = 0;
  for (const p of sorted) {
    received += p.received;
    estimated += p.estimated;
    for (const name in p.m) {
      const s = p.m[name];
      const o = m[name];
      if (!o) {
        m[name] = { ...s };
        continue;
      }
      if (s.unit !== undefined) o.unit = s.unit;
      if (s.count > 0) {
        if (o.count === 0) {
          o.min = s.min;
          o.max = s.max;
        } else {
          if (s.min < o.min) o.min = s.min;
          if (s.max > o.max) o.max = s.max;
        }
      }
      const realS = s.count - s.estimated;
      const realO = o.count - o.estimated;
      if (realS > 0) {
        if (realO === 0 || s.firstAt < o.firstAt) {
          o.first = s.first;
          o.firstAt = s.firstAt;
        }
        if (realO === 0 || s.lastAt >= o.lastAt) {
          o.last = s.last;
          o.lastAt = s.lastAt;
        }
      }
      o.count += s.count;
      o.sum += s.sum;
      o.estimated += s.estimated;
      o.bad += s.bad;
      o.q = worseQuality(o.q, s.q);
      // delta: the first part's start value, the last part's end value (parts tile the window)
      if (o.startValue === undefined || o.startValue === null) o.startValue = s.startValue;
      if (s.endValue !== undefined && s.endValue !== null) o.endValue = s.endValue;
      if (s.area !== undefined) {
        o.area = (o.area ?? 0) + s.area;
        o.duration = (o.duration ?? 0) + (s.duration ?? 0);
      }
    }
  }
  return { received, estimated, m };
}

/** The value of a function over folded stats; null when there is nothing to aggregate. */
export function valueOf(fn: AggFn, s: PartStats): number | null {
  switch (fn) {
    case "count":
      return s.count - s.estimated;
    case "sum":
      return s.count ? s.sum : null;
    case "mean":
      return s.count ? s.sum / s.count : null;
    case "min":
      return s.count ? s.min : null;
    case "max":
      return s.count ? s.max : null;
    case "first":
      return s.count - s.estimated > 0 ? s.first : null;
    case "last":
      return s.count - s.estimated > 0 ? s.last : null;
    case "delta":
      if (s.startValue === undefined || s.startValue === null || s.endValue === undefined || s.endValue === null) return null;
      return s.endValue - s.startValue;
    case "twa":
      if (s.duration && s.area !== undefined) return s.area / s.duration;
      return s.count ? s.sum / s.count : null;
  }
}

/** Linear interpolation at time b between (ta, va) and (tc, vc), ta < b <= tc. */
export function interpolate(ta: number, va: number, tc: number, vc: number, b: number): number {
  if (b === tc) return vc;
  if (b === ta) return va;
  return va + ((vc - va) * (b - ta)) / (tc - ta);
}

/** The stats as the canonical reading carries them. */
export function publicStats(s: PartStats, fn: AggFn, iso: (ms: number) => string): Stats {
  const real = s.count - s.estimated > 0;
  const out: Stats = {
    count: s.count,
    sum: s.sum,
    min: s.count ? s.min : null,
    max: s.count ? s.max : null,
    first: real ? s.first : null,
    last: real ? s.last : null,
    firstAt: real ? iso(s.firstAt) : null,
    lastAt: real ? iso(s.lastAt) : null,
    estimated: s.estimated,
    bad: s.bad,
    inputQuality: s.q,
  };
  if (fn === "delta" || s.startValue !== undefined) {
    out.startValue = s.startValue ?? null;
    out.endValue = s.endValue ?? null;
  }
  if (s.area !== undefined) {
    out.area = s.area;
    out.duration = s.duration ?? 0;
  }
  return out;
}

/** A merged aggregate's stats back into a part (ISO times to ms). Returns undefined for stats that are not stats. */
export function partStatsOf(stats: unknown, unit: string | undefined): PartStats | undefined {
  if (typeof stats !== "object" || stats === null) return undefined;
  const s = stats as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  const count = num(s.count);
  const sum = num(s.sum);
  if (count === undefined || sum === undefined) return undefined;
  const at = (v: unknown) => (typeof v === "string" ? Date.parse(v) : NaN);
  const q = s.inputQuality;
  const p: PartStats = {
    unit,
    count,
    sum,
    min: num(s.min) ?? 0,
    max: num(s.max) ?? 0,
    first: num(s.first) ?? 0,
    firstAt: at(s.firstAt) || 0,
    last: num(s.last) ?? 0,
    lastAt: at(s.lastAt) || 0,
    estimated: num(s.estimated) ?? 0,
    bad: num(s.bad) ?? 0,
    q: q === "GOOD" || q === "ESTIMATED" || q === "SUSPECT" || q === "BAD" ? q : "GOOD",
  };
  if ("startValue" in s) p.startValue = num(s.startValue) ?? null;
  if ("endValue" in s) p.endValue = num(s.endValue) ?? null;
  if (num(s.area) !== undefined) {
    p.area = num(s.area);
    p.duration = num(s.duration) ?? 0;
  }
  return p;
}
