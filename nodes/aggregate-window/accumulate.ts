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

/** Raw accumulator of one measurement in one window. JSON-safe (the state file stores it as is). */
export interface Acc {
  /** Values counted (numbers, not BAD). */
  n: number;
  sum: number;
  min: number;
  max: number;
  first: number;
  firstAt: number;
  last: number;
  lastAt: number;
  /** Values refused as BAD (quality BAD, or null). */
  bad: number;
  /** The worst quality of the counted values. */
  q: Quality;
  unit?: string;
  /** Points [t, v, bad(0|1), ...] sorted by time, for twa and fill only. */
  pts?: number[];
}

export function newAcc(keepPoints: boolean): Acc {
  const a: Acc = { n: 0, sum: 0, min: 0, max: 0, first: 0, firstAt: 0, last: 0, lastAt: 0, bad: 0, q: "GOOD" };
  if (keepPoints) a.pts = [];
  return a;
}

/** Add one value at time t. `bad`: the value is not to be trusted (quality BAD or null): counted apart, never used. */
export function accAdd(a: Acc, t: number, v: number, bad: boolean, q: Quality): void {
  if (a.pts) insertPoint(a.pts, t, v, bad);
  if (bad) {
    a.bad++;
    return;
  }
  if (a.n === 0) {
    a.min = a.max = a.first = a.last = v;
    a.firstAt = a.lastAt = t;
  } else {
    if (v < a.min) a.min = v;
    if (v > a.max) a.max = v;
    if (t < a.firstAt) {
      a.first = v;
      a.firstAt = t;
    }
    if (t >= a.lastAt) {
      a.last = v;
      a.lastAt = t;
    }
  }
  a.n++;
  a.sum += v;
  a.q = worseQuality(a.q, q);
}

function insertPoint(pts: number[], t: number, v: number, bad: boolean): void {
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
