/**
 * Calendar windows in an IANA zone: pure arithmetic over luxon (IANA tzdata through Intl).
 *
 * A window is [start, end) in UTC milliseconds. The boundaries of a zone's windows of one size are:
 * - 5m, 15m, 30m, 1h: every instant whose local wall-clock time is on the size's grid (minute % size = 0), and
 *   every instant where the zone's UTC offset changes. So a window never straddles an offset change: the two 01:00
 *   hours of a fall-back night are two windows (01:00-04:00 and 01:00-05:00 in New York), Asia/Kolkata's hours
 *   start at :30 UTC, and Australia/Lord_Howe's half-hour change gives a 30-minute window (02:30-03:00 on the spring
 *   night, 01:30-02:00 the second time on the autumn night);
 * - 1d: local midnights (23, 24 or 25 hours; 23.5 or 24.5 on Lord Howe Island);
 * - 1w: local Monday midnights (ISO 8601 weeks);
 * - 1mo: local midnights of the first of each month (Berlin March 2026 is 743 hours).
 */
import { DateTime, IANAZone } from "luxon";

export const WINDOW_SIZES = ["5m", "15m", "30m", "1h", "1d", "1w", "1mo"] as const;
export type WindowSize = (typeof WINDOW_SIZES)[number];

const GRID_MINUTES: Partial<Record<WindowSize, number>> = { "5m": 5, "15m": 15, "30m": 30, "1h": 60 };
const NOMINAL_MS: Record<WindowSize, number> = {
  "5m": 300_000, "15m": 900_000, "30m": 1_800_000, "1h": 3_600_000, "1d": 86_400_000, "1w": 604_800_000, "1mo": 28 * 86_400_000,
};

/** The shortest a window of this size can be in a zone without offset changes (a month: 28 days). */
export function nominalMs(size: WindowSize): number {
  return NOMINAL_MS[size];
}

export interface Window {
  /** UTC epoch ms, inclusive. */
  start: number;
  /** UTC epoch ms, exclusive. */
  end: number;
}

export interface WindowCalendar {
  readonly zone: string;
  readonly size: WindowSize;
  /** The window that contains instant `t`. */
  windowOf(t: number): Window;
  /** The window that follows `w`. */
  next(w: Window): Window;
  /**
   * The local label: "2026-03-08" (1d), "2026-03" (1mo), "2026-W10" (1w), "2026-03-08T01:00-05:00" (shorter),
   * the offset said so the two 01:00 hours of a fall-back night are told apart.
   */
  label(w: Window): string;
  /** Local start and end as "2026-03-08 00:00", with the zone's offset at each, for the editor's preview. */
  localStart(w: Window): DateTime;
}

/** Expected readings of a window for a reporting interval: the interval slots that begin inside it. */
export function expectedCount(w: Window, intervalSeconds: number): number {
  return Math.max(1, Math.ceil((w.end - w.start) / (intervalSeconds * 1000) - 1e-9));
}

/** The slot (interval number from the window start) of instant t. */
export function slotOf(w: Window, t: number, intervalSeconds: number): number {
  return Math.floor((t - w.start) / (intervalSeconds * 1000));
}

export function createCalendar(zone: string, size: WindowSize): WindowCalendar {
  const z = IANAZone.create(zone);
  if (!z.isValid) throw new RangeError(`"${zone}" is not an IANA time zone such as Europe/Berlin or America/New_York`);
  if (!(WINDOW_SIZES as readonly string[]).includes(size)) throw new RangeError(`"${size}" is not a window size (${WINDOW_SIZES.join(", ")})`);
  const grid = GRID_MINUTES[size];
  const offsetMs = (t: number) => z.offset(t) * 60_000;

  /** The first instant in (a, b] whose offset is that of b (a and b have different offsets). */
  function changeBetween(a: number, b: number): number {
    const ob = offsetMs(b);
    let lo = a;
    let hi = b;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offsetMs(mid) === ob) hi = mid;
      else lo = mid;
    }
    return hi;
  }

  function gridWindow(t: number, g: number): Window {
    const gm = g * 60_000;
    const off = offsetMs(t);
    const localStart = Math.floor((t + off) / gm) * gm;
    let start = localStart - off;
    if (offsetMs(start) !== off) start = changeBetween(start, t);
    let end = localStart + gm - off;
    if (offsetMs(end - 1) !== off) {
      // an offset change inside (t, end): the window ends there
      let lo = t;
      let hi = end - 1;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (offsetMs(mid) === off) lo = mid;
        else hi = mid;
      }
      end = hi;
    }
    return { start, end };
  }

  const unit = size === "1d" ? "day" : size === "1w" ? "week" : "month";
  function calendarWindow(t: number): Window {
    const s = DateTime.fromMillis(t, { zone: z }).startOf(unit);
    const e = s.plus(unit === "day" ? { days: 1 } : unit === "week" ? { weeks: 1 } : { months: 1 }).startOf(unit);
    return { start: s.toMillis(), end: e.toMillis() };
  }

  // Recent windows, direct-mapped by the nominal window the instant falls in: readings of many devices share a
  // window, and a replay interleaved with live readings asks for a few windows in turn (the zone's offset rules,
  // through Intl, and luxon's calendar math are the cost of a miss).
  const SLOTS = 256;
  const nominal = NOMINAL_MS[size];
  const cache: (Window | undefined)[] = new Array<Window | undefined>(SLOTS).fill(undefined);
  function windowOf(t: number): Window {
    const k = (Math.floor(t / nominal) % SLOTS + SLOTS) % SLOTS;
    const c = cache[k];
    if (c !== undefined && t >= c.start && t < c.end) return c;
    const w = grid ? gridWindow(t, grid) : calendarWindow(t);
    cache[k] = w;
    return w;
  }

  function localStart(w: Window): DateTime {
    return DateTime.fromMillis(w.start, { zone: z });
  }

  // Labels of recent windows: every device's aggregate of one window carries the same label.
  const labels = new Map<number, string>();
  function label(w: Window): string {
    let l = labels.get(w.start);
    if (l !== undefined) return l;
    const d = localStart(w);
    if (size === "1d") l = d.toFormat("yyyy-MM-dd");
    else if (size === "1mo") l = d.toFormat("yyyy-MM");
    else if (size === "1w") l = d.toFormat("kkkk-'W'WW");
    else l = d.toFormat("yyyy-MM-dd'T'HH:mmZZ");
    if (labels.size >= 1024) labels.clear();
    labels.set(w.start, l);
    return l;
  }

  return {
    zone,
    size,
    windowOf,
    next: (w) => windowOf(w.end),
    label,
    localStart,
  };
}
