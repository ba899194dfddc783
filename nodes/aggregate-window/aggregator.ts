/**
 * The aggregator: canonical readings in, calendar-window aggregates out. Pure: no Node-RED, no timers; the wall
 * clock is an argument (`now`), so tests drive it with a fake clock.
 *
 * - Event time per device: a device's watermark is its newest reading's time minus the lateness (an aggregate
 *   merged in counts with its window end: it has already waited). A window closes, and is emitted, when the
 *   watermark passes its end.
 * - A quiet device: after `idleCloseSeconds` of wall-clock time without input, its open windows whose end has
 *   passed by the wall clock are emitted as they are (tick). A replay is not quiet: every input resets the clock.
 * - Corrections: data for a closed window whose end is within `correctionHours` of the watermark re-emits the
 *   window whole with revision + 1; so does a neighbour whose delta, twa or fill the new data changed. Data for a
 *   window beyond that is refused as "late". A window beyond the horizon is final and is forgotten; so are the
 *   windows of a device quiet for `correctionHours` of wall-clock time (nothing can be replayed for them any more).
 * - Duplicates (the same device and timestamp again: a replay, a second delivery) are counted once.
 */
import { readingTime, timestampMs, validateReading, worseQuality, type CanonicalReading, type MeasurementList, type Measurement, type Quality, type ReadingMeta, type ReadingSource, type ReadingWindow } from "../shared/canonical-reading";
import { isoUtc } from "../shared/time";
import { isRec } from "../shared/util";
import { tidy } from "../shared/number";
import { BAD, bufAdd, FIRST, FIRST_AT, foldParts, insertPoint, interpolate, LAST, LAST_AT, MAX, MIN, N, partStatsOf, publicStats, Q, qualityRank, rankQuality, STRIDE, SUM, valueOf, withColumns, type Part, type PartStats, type Stats } from "./accumulate";
import type { AggFn, AggregatorConfig } from "./config";
import { createCalendar, expectedCount, slotOf, type Window, type WindowCalendar } from "./windows";
import { columns, extraOf, hasSlot, pack, received, slotsOf, unpackStats, type Slots } from "./record";

/** The `window` an aggregate carries (ReadingWindow of the canonical reading, every field present). */
export type WindowInfo = Required<ReadingWindow>;

export interface AggregateMeasurement extends Measurement {
  stats: Stats;
  flags?: string[];
}

/** An aggregate: a canonical reading with `window`, and `stats` on each measurement. */
export interface Aggregate extends CanonicalReading {
  measurements: Record<string, AggregateMeasurement>;
  window: WindowInfo;
}

export type RejectReason = "late" | "invalid" | "window";
export interface Rejected {
  item: unknown;
  reason: RejectReason;
  error: string;
}

export interface AddResult {
  aggregates: Aggregate[];
  rejected: Rejected[];
}

interface Kid extends Part {
  rev: number;
}

interface Win extends Window {
  /**
   * slot → the offset from the window start of the reading that filled it (a duplicate is the same time again).
   * Empty (NO_SLOTS) while the window is packed.
   */
  seen: Slots;
  extra: number;
  /** The raw accumulators: STRIDE numbers per measurement column of the device (see accumulate.ts); EMPTY while packed. */
  buf: Float64Array;
  /**
   * A closed window is packed into a compact record (record.ts) once emitted: seen, extra and buf live in it, and
   * are unpacked again only when a correction adds to the window.
   */
  rec: number[] | undefined;
  /** Points [t, v, bad, ...] per measurement, for twa and fill only. */
  pts?: Record<string, number[]>;
  kids?: Record<string, Kid>;
  /** Revision of the last emit; -1 before the first. */
  rev: number;
  /** Checksum of what was last emitted (a recomputation that changes nothing is not re-emitted). */
  sig: number;
  closed: boolean;
  dirty: boolean;
  finalSent: boolean;
  /** The newest msg.receivedAt (epoch ms) of the inputs counted in the window; 0 when none is known. */
  rcv: number;
  /** The call (Aggregator.seq) in which the window's data changed / it is to be rechecked; not saved. */
  tseq: number;
  rseq: number;
}

/**
 * The measurements of the device's last raw reading, in their order, with what each needs: a reading shaped as the
 * one before it (the usual case: a meter sends the same registers every time) is placed without a lookup per name.
 * Immutable, and shared by the devices with the same names, columns and units (the meters of one model).
 */
interface Layout {
  keys: string[];
  /** Column of each key; -1 when no glob matches it. */
  cols: number[];
  fns: (AggFn | null)[];
  /** Keeps its points (twa, fill). */
  pts: boolean[];
  /** The unit the device had for each key when the layout was made (d.names): a reading with another updates it. */
  units: readonly (string | null | undefined)[];
  /** At least one key is aggregated. */
  any: boolean;
}

interface Sorted {
  names: string[];
  fns: AggFn[];
  cols: (number | undefined)[];
  units: (string | null)[];
}

interface Device {
  id: string;
  /** Watermark (ms); -Infinity before the first reading. */
  wm: number;
  /** Wall-clock time of the last input (ms). */
  arr: number;
  src?: ReadingSource;
  meta?: ReadingMeta;
  /** Measurement → unit, for every measurement the device has sent that an aggregate keeps. */
  names: Record<string, string | null>;
  /** Measurement → its column in the windows' accumulators (for every measurement an aggregate keeps). */
  cols: Record<string, number>;
  ncols: number;
  /** Sorted by start. */
  wins: Win[];
  /**
   * The measurements an aggregate has, sorted by name (its order), with their function, column and unit; made again
   * when d.names changes. Not saved.
   */
  sorted?: Sorted;
  /** The last raw reading's layout; not saved. */
  layout?: Layout;
  /** The call (Aggregator.seq) that last saw or touched the device; not saved. */
  seq?: number;
  /** The windows whose data changed in that call. */
  tw?: Win[];
}

export interface AggregatorStats {
  devices: number;
  openWindows: number;
  closedWindows: number;
  late: number;
  invalid: number;
  duplicates: number;
  corrections: number;
  emitted: number;
}

/** The state document (StateFile body). */
export interface AggregatorState {
  /** 2: windows as compact records (see snapshot); 1 (before): windows as objects with their accumulators. */
  format: 1 | 2;
  key: string;
  devices: unknown[];
  counters: Pick<AggregatorStats, "late" | "invalid" | "duplicates" | "corrections" | "emitted">;
}

const MAX_GAP_WINDOWS = 20_000;

export class Aggregator {
  readonly cal: WindowCalendar;
  private readonly devices = new Map<string, Device>();
  private readonly fnCache = new Map<string, AggFn | null>();
  private readonly I: number;
  private readonly latenessMs: number;
  private readonly idleMs: number;
  private readonly correctionMs: number;
  private counters = { late: 0, invalid: 0, duplicates: 0, corrections: 0, emitted: 0 };
  /**
   * The current call (add or tick): devices seen or touched in it are marked with it and listed in `active`, the
   * windows whose data changed in it are on their device's `tw`, and neighbours to recheck are marked `rseq`.
   * Marks instead of a Set and a Map per call: add() runs per reading.
   */
  private seq = 0;
  private readonly active: Device[] = [];
  /** Layouts by names, columns and units (see Layout). */
  private readonly layouts = new Map<string, Layout>();
  /** What column() decoded into, and where a packed window's column is decoded. */
  private colBuf: Float64Array = EMPTY;
  private readonly oneCol = new Float64Array(STRIDE);
  /** Where rawPart decodes a packed window's columns. */
  private allCols = new Float64Array(0);
  /** The checksum of the last aggregate summarize() made. */
  private lastSig = 0;
  /** The newest receivedAt of each aggregate emitted (see receivedAtOf). */
  private readonly rcvOf = new WeakMap<Aggregate, number>();

  constructor(readonly cfg: AggregatorConfig) {
    this.cal = createCalendar(cfg.zone, cfg.window);
    this.I = cfg.intervalSeconds * 1000;
    this.latenessMs = cfg.latenessSeconds * 1000;
    this.idleMs = cfg.idleCloseSeconds * 1000;
    this.correctionMs = cfg.correctionHours * 3_600_000;
  }

  /** The function a measurement is aggregated with, or null when no glob matches it. */
  fnOf(name: string): AggFn | null {
    let fn = this.fnCache.get(name);
    if (fn === undefined) {
      fn = this.cfg.aggregates.find((r) => r.re.test(name))?.fn ?? null;
      if (this.fnCache.size < 10_000) this.fnCache.set(name, fn);
    }
    return fn;
  }

  private keepsPoints(fn: AggFn): boolean {
    return fn === "twa" || (this.cfg.fill !== "none" && fn !== "delta");
  }

  /**
   * Add readings (and aggregates to merge). Returns what closed or was corrected, and what was refused.
   * `receivedAt` (epoch ms): when the gateway first received them (msg.receivedAt); the wall clock `now` by default.
   */
  add(items: readonly unknown[], now: number, receivedAt: number = now): AddResult {
    const rejected: Rejected[] = [];
    const seq = this.begin();
    for (let j = 0; j < items.length; j++) {
      const item = items[j];
      let r: CanonicalReading;
      if (isReading(item)) r = item;
      else {
        const check = validateReading(item);
        if (!check.ok) {
          this.counters.invalid++;
          rejected.push({ item, reason: "invalid", error: `not a canonical reading: ${check.errors.join("; ")}` });
          continue;
        }
        r = check.reading;
      }
      let d = this.devices.get(r.deviceId);
      if (!d) {
        d = { id: r.deviceId, wm: -Infinity, arr: now, names: {}, cols: {}, ncols: 0, wins: [] };
        this.devices.set(r.deviceId, d);
      }
      const refused = r.window !== undefined ? this.addChild(d, r, r.window, receivedAt) : this.addRaw(d, r, receivedAt);
      if (refused) {
        if (refused.reason === "late") this.counters.late++;
        rejected.push({ item, ...refused });
        continue;
      }
      d.arr = now;
      if (r.source) d.src = r.source;
      if (r.meta) d.meta = r.meta;
      this.activate(d, seq);
    }
    const aggregates: Aggregate[] = [];
    const active = this.active;
    for (let j = 0; j < active.length; j++) this.advance(active[j], now, aggregates);
    this.end();
    return { aggregates, rejected };
  }

  /** A new call: marks of the previous one no longer count. */
  private begin(): number {
    this.end();
    return ++this.seq;
  }

  /** The call is over: forget its touched windows. */
  private end(): void {
    const active = this.active;
    for (let j = 0; j < active.length; j++) active[j].tw = undefined;
    active.length = 0;
  }

  private activate(d: Device, seq: number): void {
    if (d.seq === seq) return;
    d.seq = seq;
    this.active.push(d);
  }

  /** The wall clock moved on: close the windows of quiet devices, forget final windows. */
  tick(now: number): Aggregate[] {
    const out: Aggregate[] = [];
    this.begin();
    for (const d of this.devices.values()) {
      if (this.idle(d, now)) {
        for (const w of d.wins) if (!w.closed && w.end <= now) this.close(d, w, out);
      }
      this.advance(d, now, out);
      if (!d.wins.length) this.devices.delete(d.id);
    }
    this.end();
    return out;
  }

  /** Emit every open window now (final: false). */
  flush(): Aggregate[] {
    const out: Aggregate[] = [];
    for (const d of this.devices.values()) for (const w of d.wins) if (!w.closed) this.close(d, w, out, true);
    return out;
  }

  stats(): AggregatorStats {
    let open = 0;
    let closed = 0;
    for (const d of this.devices.values()) for (const w of d.wins) {
        if (w.closed) closed++;
        else open++;
      }
    return { devices: this.devices.size, openWindows: open, closedWindows: closed, ...this.counters };
  }

  /**
   * The msg.receivedAt of a message carrying these aggregates: the newest receivedAt of the inputs counted in their
   * windows (when the gateway had all of their data, however late they were closed), or undefined when no window
   * holds an input (an empty window of a gap).
   */
  receivedAtOf(aggs: readonly Aggregate[]): number | undefined {
    let newest = 0;
    for (const a of aggs) {
      const r = this.rcvOf.get(a);
      if (r !== undefined && r > newest) newest = r;
    }
    return newest > 0 ? newest : undefined;
  }

  /** Readings refused as late so far. */
  get lateCount(): number {
    return this.counters.late;
  }

  /** Windows held (open and closed), counted per device. */
  get windowCount(): number {
    let n = 0;
    for (const d of this.devices.values()) n += d.wins.length;
    return n;
  }

  /** Nothing to save? (no device holds a window) */
  get empty(): boolean {
    return this.devices.size === 0;
  }

  // --- input -------------------------------------------------------------------------------------------------

  private addRaw(d: Device, r: CanonicalReading, rcv: number): Omit<Rejected, "item"> | undefined {
    let t = isoMs(r.timestamp);
    if (t !== t) t = Date.parse(r.timestamp); // a timestamp the schema accepts in another form
    // The reading's measurements in their order (isReading listed them already), and the device's layout when
    // the reading is shaped as its last one, else a new one.
    const ms = r.measurements;
    if (r !== listed.of) listMeasurements(ms);
    listed.of = undefined;
    const n = listed.n;
    const names = listed.names;
    const mms = listed.mms;
    let L = d.layout;
    if (L !== undefined) {
      const keys = L.keys;
      if (keys.length !== n) L = undefined;
      else
        for (let i = 0; i < n; i++)
          if (keys[i] !== names[i]) {
            L = undefined;
            break;
          }
    }
    if (L === undefined) L = d.layout = this.layoutOf(d, names, n);
    if (!L.any)
      return { reason: "invalid", error: `${r.deviceId} ${r.timestamp}: no measurement (${Object.keys(ms).join(", ")}) matches a glob of the aggregates` };
    // The window: the device's newest when it holds t (the reading after the one before), else the calendar's.
    const wins = d.wins;
    const horizon = this.horizon(d);
    let win = wins.length ? wins[wins.length - 1] : undefined;
    if (win === undefined || t < win.start || t >= win.end || win.end <= horizon) {
      const w = this.cal.windowOf(t);
      if (w.end <= horizon)
        return { reason: "late", error: `${r.deviceId} ${r.timestamp}: its ${this.cfg.window} window ${this.cal.label(w)} is beyond the ${this.cfg.correctionHours} h of corrections (watermark ${isoUtc(d.wm)})` };
      win = this.winFor(d, w, true);
    }
    const slot = slotOf(win, t, this.cfg.intervalSeconds);
    const at = t - win.start;
    if (win.rec !== undefined) {
      if (this.isDuplicate(win, slot, at)) {
        this.counters.duplicates++;
        return undefined;
      }
      this.unpack(win); // a correction
    }
    const had = win.seen.get(slot);
    if (had === at) {
      this.counters.duplicates++;
      return undefined;
    }
    if (had === undefined) win.seen.set(slot, at);
    else win.extra++;
    if (rcv > win.rcv) win.rcv = rcv;
    let firstChanged = false;
    let lastChanged = false;
    const buf = (win.buf = withColumns(win.buf, d.ncols));
    const { keys, cols, pts, units } = L;
    for (let i = 0; i < keys.length; i++) {
      const c = cols[i];
      if (c < 0) continue;
      const mm = mms[i];
      const v = mm.value;
      const q: Quality = mm.quality ?? r.quality;
      const bad = q === "BAD" || v === null;
      if (!bad && (typeof v !== "number" || !Number.isFinite(v))) continue;
      const o = c * STRIDE;
      if (!bad) {
        if (buf[o + N] === 0 || t < buf[o + FIRST_AT]) firstChanged = true;
        if (buf[o + N] === 0 || t >= buf[o + LAST_AT]) lastChanged = true;
      }
      bufAdd(buf, c, t, bad ? 0 : (v as number), bad, qualityRank(q));
      if (pts[i]) insertPoint(((win.pts ??= {})[keys[i]] ??= []), t, bad ? 0 : (v as number), bad);
      const known = units[i];
      if (mm.unit !== undefined ? mm.unit !== known : known === undefined) {
        // a unit the layout does not know: the device's is updated, and its layout made again at the next reading
        const had = d.names[keys[i]];
        const unit = mm.unit ?? had ?? null;
        if (had !== unit) {
          d.sorted = undefined;
          d.names[keys[i]] = unit;
        }
        d.layout = undefined;
      }
    }
    if (firstChanged && wins[0] !== win) this.recheckNeighbour(d, win, -1);
    if (lastChanged && wins[wins.length - 1] !== win) this.recheckNeighbour(d, win, 1);
    this.changed(d, win);
    if (t - this.latenessMs > d.wm) d.wm = t - this.latenessMs;
    return undefined;
  }

  /** The layout of a reading's measurement names (columns assigned to new ones), shared when another has it. */
  private layoutOf(d: Device, names: readonly string[], n: number): Layout {
    const L = { keys: [] as string[], cols: [] as number[], fns: [] as (AggFn | null)[], pts: [] as boolean[], units: [] as (string | null | undefined)[], any: false };
    for (let i = 0; i < n; i++) {
      const name = names[i];
      const fn = this.fnOf(name);
      L.keys.push(name);
      L.fns.push(fn);
      if (!fn) {
        L.cols.push(-1);
        L.pts.push(false);
        L.units.push(undefined);
        continue;
      }
      L.any = true;
      if (d.cols[name] === undefined) {
        d.cols[name] = d.ncols++;
        d.sorted = undefined;
      }
      L.cols.push(d.cols[name]);
      L.pts.push(this.keepsPoints(fn));
      L.units.push(d.names[name]);
    }
    const key = `${L.keys.join("\u0000")}\u0001${L.cols.join(",")}\u0001${L.units.join("\u0000")}`;
    const shared = this.layouts.get(key);
    if (shared) return shared;
    if (this.layouts.size >= 1000) this.layouts.clear();
    this.layouts.set(key, L);
    return L;
  }

  private addChild(d: Device, r: CanonicalReading, cw: unknown, rcv: number): Omit<Rejected, "item"> | undefined {
    const bad = (why: string): Omit<Rejected, "item"> => ({ reason: "invalid", error: `${r.deviceId} ${r.timestamp}: window ${why}` });
    if (!isRec(cw)) return bad("is not an object");
    const cs = typeof cw.start === "string" ? Date.parse(cw.start) : NaN;
    const ce = typeof cw.end === "string" ? Date.parse(cw.end) : NaN;
    if (!(ce > cs)) return bad("needs start and end, ISO times with start before end");
    const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);
    const w = this.cal.windowOf(cs);
    if (ce > w.end)
      return { reason: "window", error: `${r.deviceId}: the aggregate ${String(cw.start)}–${String(cw.end)} does not fit in one ${this.cfg.window} ${this.cfg.zone} window (${this.cal.label(w)} ends ${isoUtc(w.end)})` };
    if (w.end <= this.horizon(d)) return { reason: "late", error: `${r.deviceId} ${r.timestamp}: its ${this.cfg.window} window ${this.cal.label(w)} is beyond the ${this.cfg.correctionHours} h of corrections` };
    const win = this.winFor(d, w, false);
    const rev = num(cw.revision);
    const key = String(cs);
    const old = win.kids?.[key];
    if (old && old.rev >= rev) {
      this.counters.duplicates++;
      return undefined;
    }
    const m: Record<string, PartStats> = {};
    for (const name in r.measurements) {
      if (!this.fnOf(name)) continue;
      const mm = r.measurements[name] as Measurement & { stats?: unknown };
      const ps = partStatsOf(mm.stats, mm.unit);
      if (!ps) continue;
      m[name] = ps;
      d.sorted = undefined;
      d.names[name] = mm.unit ?? d.names[name] ?? null;
      d.layout = undefined; // its units are d.names'
    }
    (win.kids ??= {})[key] = { start: cs, end: ce, received: num(cw.received), estimated: num(cw.estimated), m, rev };
    if (rcv > win.rcv) win.rcv = rcv;
    this.changed(d, win);
    d.wm = Math.max(d.wm, ce);
    return undefined;
  }

  private changed(d: Device, win: Win): void {
    if (win.closed) win.dirty = true;
    this.touch(d, win);
  }

  private touch(d: Device, win: Win): void {
    this.activate(d, this.seq);
    if (win.tseq === this.seq && d.tw) return;
    win.tseq = this.seq;
    (d.tw ??= []).push(win);
  }

  /** A window's first (side -1) or last (side 1) value changed: the closed neighbour on that side may change. */
  private recheckNeighbour(d: Device, win: Win, side: -1 | 1): void {
    const i = findWin(d.wins, win.start);
    for (let j = i + side; j >= 0 && j < d.wins.length; j += side) {
      const n = d.wins[j];
      if (n.closed) {
        n.rseq = this.seq;
        this.touch(d, n);
      }
      if (receivedOf(n)) break; // the nearest window with data bounds the interpolation
    }
  }

  private horizon(d: Device): number {
    return d.wm - this.correctionMs;
  }

  private idle(d: Device, now: number): boolean {
    return this.idleMs > 0 && now - d.arr >= this.idleMs;
  }

  /** The device's window for w, created (with the empty windows of a gap before it) when missing. */
  private winFor(d: Device, w: Window, raw: boolean): Win {
    const wins = d.wins;
    let i = wins.length;
    while (i > 0 && wins[i - 1].start > w.start) i--;
    if (i > 0 && wins[i - 1].start === w.start) return wins[i - 1];
    const make = (x: Window): Win => newWin(x.start, x.end);
    const win = make(w);
    if (raw && i === wins.length && i > 0) {
      // a gap after the newest window: its empty windows are emitted too (completeness 0, deltas interpolated)
      const last = wins[i - 1];
      if (w.start - last.end <= this.correctionMs) {
        let g = this.cal.windowOf(last.end);
        for (let n = 0; g.start < w.start && n < MAX_GAP_WINDOWS; n++, g = this.cal.next(g)) wins.push(make(g));
        wins.push(win);
        return win;
      }
    }
    wins.splice(i, 0, win);
    return win;
  }

  // --- closing and emitting -------------------------------------------------------------------------------

  private advance(d: Device, now: number, out: Aggregate[]): void {
    // Final by event time: the watermark has moved correctionHours past the window. A device quiet for
    // correctionHours of wall-clock time can send nothing more for its windows (store-forward's age cap): final too.
    const forget = this.idle(d, now) && now - d.arr >= this.correctionMs;
    const horizon = forget ? Infinity : d.wm - this.correctionMs;
    if (this.quiet(d, horizon)) return;
    // Only the windows that can change: those touched now, the open ones at the tail, the final ones at the head.
    const cands = new Set<Win>(d.tw);
    for (let i = d.wins.length - 1; i >= 0 && !d.wins[i].closed; i--) cands.add(d.wins[i]);
    for (let i = 0; i < d.wins.length && d.wins[i].end <= horizon; i++) cands.add(d.wins[i]);
    const list = cands.size > 1 ? [...cands].sort((a, b) => a.start - b.start) : [...cands];
    for (const w of list) {
      const final = w.end <= horizon;
      if (!w.closed) {
        if (w.end <= d.wm || final) this.close(d, w, out, false, final);
      } else if (w.dirty || w.rseq === this.seq) {
        const wasDirty = w.dirty;
        w.dirty = false;
        if (this.cfg.emit === "revisions" || final) {
          if (this.emit(d, w, final, out, true) && wasDirty) this.counters.corrections++;
        }
      }
      if (final && this.cfg.emit === "final" && !w.finalSent) this.emit(d, w, true, out);
      if (w.closed) this.pack(d, w);
    }
    // forget final windows, but keep the newest of them: it bounds the interpolation of the next one
    let k = 0;
    while (k + 1 < d.wins.length && d.wins[k + 1].end <= horizon && d.wins[k].closed) k++;
    if (k > 0) d.wins.splice(0, k);
    if (forget) d.wins.length = 0;
  }

  /** Nothing to do: the touched windows are open and not yet due, nothing is due at the tail or final at the head. */
  private quiet(d: Device, horizon: number): boolean {
    const wins = d.wins;
    if (!wins.length) return true;
    if (wins[0].end <= horizon) return false;
    let i = wins.length - 1;
    while (i >= 0 && !wins[i].closed) i--;
    if (i + 1 < wins.length && wins[i + 1].end <= d.wm) return false;
    const touched = d.tw;
    if (touched) for (let j = 0; j < touched.length; j++) if (touched[j].closed || touched[j].end <= d.wm) return false;
    return true;
  }

  private close(d: Device, w: Win, out: Aggregate[], flush = false, final = false): void {
    w.closed = true;
    w.dirty = false;
    if (this.cfg.emit === "revisions" || final || flush) this.emit(d, w, final, out);
    this.pack(d, w);
  }

  /** A closed window keeps its compact record only (record.ts). */
  private pack(d: Device, w: Win): void {
    if (w.rec !== undefined) return;
    w.rec = pack(w.buf, d.ncols, w.seen, w.extra, w.start, this.I);
    w.buf = EMPTY;
    w.seen = NO_SLOTS;
    w.extra = 0;
  }

  /** A packed window made live again (a correction adds to it). */
  private unpack(w: Win): void {
    const rec = w.rec;
    if (rec === undefined) return;
    w.buf = unpackStats(rec, w.start, new Float64Array(Math.max(columns(rec), 1) * STRIDE));
    w.seen = slotsOf(rec, this.I);
    w.extra = extraOf(rec);
    w.rec = undefined;
  }

  /** Is a reading at offset `at` (slot `slot`) of a packed window one it has already counted? */
  private isDuplicate(w: Win, slot: number, at: number): boolean {
    const rec = w.rec!;
    if (!hasSlot(rec, slot)) return false;
    return slotsOf(rec, this.I).get(slot) === at;
  }

  /** Column c of window x: the buffer and the offset where its STRIDE numbers are (decoded when x is packed). */
  private column(x: Win, c: number): number {
    if (x.rec === undefined) {
      this.colBuf = x.buf;
      return c * STRIDE < x.buf.length ? c * STRIDE : -1;
    }
    if (c >= columns(x.rec)) return -1;
    this.colBuf = unpackStats(x.rec, x.start, this.oneCol, c);
    return 0;
  }

  /** Emit w; with `onlyIfChanged`, only when the aggregate differs from the last emit. True if emitted. */
  private emit(d: Device, w: Win, final: boolean, out: Aggregate[], onlyIfChanged = false): boolean {
    const agg = this.summarize(d, w);
    const sig = this.lastSig;
    if (onlyIfChanged && w.rev >= 0 && sig === w.sig) return false;
    w.rev++;
    w.sig = sig;
    agg.window.revision = w.rev;
    agg.window.final = final;
    if (final) w.finalSent = true;
    this.counters.emitted++;
    if (w.rcv > 0) this.rcvOf.set(agg, w.rcv);
    out.push(agg);
    return true;
  }

  // --- the aggregate -------------------------------------------------------------------------------------------

  /**
   * The aggregate of window w of device d, as it stands; its checksum in `lastSig` (what an emit says: values,
   * stats, qualities, counts; a recomputation with the same checksum is not emitted again). Numbers by their bits,
   * qualities by rank: cheaper than hashing the aggregate.
   */
  summarize(d: Device, w: Win): Aggregate {
    const expected = expectedCount(w, this.cfg.intervalSeconds);
    const raw = this.rawPart(d, w, expected);
    let f: { received: number; estimated: number; m: Record<string, PartStats> } = raw;
    if (w.kids) {
      const parts: Part[] = [raw];
      for (const k in w.kids) parts.push(w.kids[k]);
      f = foldParts(parts);
    }
    const received = Math.min(f.received, expected);
    const estimated = Math.min(f.estimated, expected - received);
    const cov = (received + estimated) / expected;
    const incomplete = cov < this.cfg.minCompleteness;
    const windowQ: Quality = incomplete ? "SUSPECT" : estimated > 0 ? "ESTIMATED" : "GOOD";
    const measurements: Record<string, AggregateMeasurement> = {};
    let quality: Quality = windowQ;
    let h = mix(mix(2166136261, received), estimated);
    // the measurements of a window mostly share their first and last times: two ISO texts remembered
    let ta = NaN;
    let sa = "";
    let tb = NaN;
    let sb = "";
    const iso = (ms: number): string => {
      if (ms === ta) return sa;
      if (ms === tb) return sb;
      tb = ta;
      sb = sa;
      ta = ms;
      return (sa = isoUtc(ms));
    };
    const order = this.sortedOf(d);
    for (let i = 0; i < order.names.length; i++) {
      const name = order.names[i];
      const fn = order.fns[i];
      const s = f.m[name] ?? emptyStats();
      // Binary floating-point noise (0.1 + 0.2) is dropped from what is published: 15 significant digits, the
      // precision a double keeps through a sum, so a bill sees 873.439, not 873.4390000000001.
      const raw = valueOf(fn, s);
      const value = raw === null ? null : tidyCached(raw);
      let q: Quality = incomplete ? "SUSPECT" : "GOOD";
      q = worseQuality(q, s.q);
      if (s.bad > 0) q = worseQuality(q, "SUSPECT");
      if (s.estimated > 0) q = worseQuality(q, "ESTIMATED");
      if (value === null) q = "BAD";
      const m: AggregateMeasurement = { value, quality: q, stats: publicStats(s, fn, iso) };
      const unit = s.unit ?? order.units[i] ?? undefined;
      if (unit && fn !== "count") m.unit = unit;
      if (s.estimated > 0) m.flags = incomplete ? ["estimated", "incomplete"] : ["estimated"];
      else if (incomplete) m.flags = ["incomplete"];
      measurements[name] = m;
      quality = worseQuality(quality, q);
      h = mix(mix(mix(h, value === null ? NaN : value), qualityRank(q)), s.count);
      h = mix(mix(mix(mix(h, s.sum), s.min), s.max), s.first);
      h = mix(mix(mix(mix(h, s.firstAt), s.last), s.lastAt), s.estimated);
      h = mix(mix(mix(mix(h, s.bad), qualityRank(s.q)), opt(s.startValue)), opt(s.endValue));
      h = mix(mix(h, opt(s.area)), opt(s.duration));
    }
    this.lastSig = mix(h, qualityRank(quality)) >>> 0;
    const agg: Aggregate = {
      deviceId: d.id,
      timestamp: isoUtc(this.cfg.label === "end" ? w.end : w.start),
      measurements,
      quality,
      window: {
        start: isoUtc(w.start),
        end: isoUtc(w.end),
        zone: this.cfg.zone,
        size: this.cfg.window,
        local: this.cal.label(w),
        expected,
        received,
        estimated,
        completeness: received / expected,
        revision: w.rev,
        final: false,
      },
    };
    if (d.src) agg.source = d.src;
    if (d.meta) agg.meta = d.meta;
    return agg;
  }

  private sortedOf(d: Device): Sorted {
    if (d.sorted) return d.sorted;
    const o: Sorted = { names: [], fns: [], cols: [], units: [] };
    for (const name of Object.keys(d.names).sort()) {
      const fn = this.fnOf(name);
      if (!fn) continue;
      o.names.push(name);
      o.fns.push(fn);
      o.cols.push(d.cols[name]);
      o.units.push(d.names[name]);
    }
    return (d.sorted = o);
  }

  /** The window's own raw readings as a part: stats, boundary values (delta), area (twa), estimates (fill). */
  private rawPart(d: Device, w: Win, expected: number): Part {
    const m: Record<string, PartStats> = {};
    const filledSlots = new Set<number>();
    let buf = w.buf;
    if (w.rec !== undefined) {
      const need = columns(w.rec) * STRIDE;
      if (this.allCols.length < need) this.allCols = new Float64Array(need);
      buf = unpackStats(w.rec, w.start, this.allCols.subarray(0, need));
    }
    const order = this.sortedOf(d);
    for (let i = 0; i < order.names.length; i++) {
      const name = order.names[i];
      const fn = order.fns[i];
      const a = columnStats(buf, order.cols[i], order.units[i]);
      const s: PartStats = a ?? emptyStats();
      if (fn === "delta") {
        const sv = this.boundary(d, name, w.start);
        const ev = this.boundary(d, name, w.end);
        s.startValue = sv ?? (a && a.count ? a.first : null);
        s.endValue = ev ?? (a && a.count ? a.last : null);
        if (!a && (sv === null || ev === null)) continue;
      } else if (fn === "twa") {
        const r = this.area(d, name, w);
        if (r) {
          s.area = r.area;
          s.duration = r.duration;
        } else if (!a) continue;
      } else if (this.cfg.fill !== "none") {
        this.fill(d, name, w, expected, s, filledSlots);
        if (!a && s.count === 0) continue;
      } else if (!a) continue;
      m[name] = s;
    }
    let estimated = 0;
    for (const k of filledSlots) if (!(w.rec !== undefined ? hasSlot(w.rec, k) : w.seen.has(k))) estimated++;
    return { start: w.start, end: w.end, received: receivedOf(w), estimated, m };
  }

  /** The nearest counted value before b (t < b) and at or after b, across the device's windows. */
  private neighbours(d: Device, name: string, b: number) {
    let L: { t: number; v: number } | undefined;
    let R: { t: number; v: number } | undefined;
    const c = d.cols[name];
    if (c === undefined) return { L, R };
    const at = findWin(d.wins, b); // the first window starting at or after b
    for (let i = at - 1; i >= 0 && !L; i--) {
      const x = d.wins[i];
      if (x.end > b) continue;
      const o = this.column(x, c);
      const xb = this.colBuf;
      if (o >= 0 && xb[o + N] > 0) L = { t: xb[o + LAST_AT], v: xb[o + LAST] };
    }
    for (let i = at; i < d.wins.length && !R; i++) {
      const o = this.column(d.wins[i], c);
      const xb = this.colBuf;
      if (o >= 0 && xb[o + N] > 0) R = { t: xb[o + FIRST_AT], v: xb[o + FIRST] };
    }
    return { L, R };
  }

  /** The register at boundary b, interpolated from the readings on either side; null when one side is unknown. */
  private boundary(d: Device, name: string, b: number): number | null {
    const { L, R } = this.neighbours(d, name, b);
    if (R && R.t === b) return R.v;
    if (L && R) return interpolate(L.t, L.v, R.t, R.v, b);
    return null;
  }

  /** twa: the integral over the window of the line through the points (interpolated to the boundaries). */
  private area(d: Device, name: string, w: Win): { area: number; duration: number } | undefined {
    const pts: number[] = [];
    const own = w.pts?.[name];
    if (own) for (let i = 0; i < own.length; i += 3) if (!own[i + 2]) pts.push(own[i], own[i + 1]);
    const { L } = this.neighbours(d, name, w.start);
    const { R } = this.neighbours(d, name, w.end);
    const seq: number[] = [];
    if (L && (pts.length || R)) {
      const nt = pts.length ? pts[0] : R!.t;
      const nv = pts.length ? pts[1] : R!.v;
      if (!pts.length || pts[0] > w.start) seq.push(w.start, interpolate(L.t, L.v, nt, nv, w.start));
    }
    seq.push(...pts);
    if (R && seq.length) {
      const pt = seq[seq.length - 2];
      const pv = seq[seq.length - 1];
      if (pt < w.end) seq.push(w.end, R.t === w.end ? R.v : interpolate(pt, pv, R.t, R.v, w.end));
    }
    if (seq.length < 4) return seq.length === 2 ? { area: 0, duration: 0 } : undefined;
    let area = 0;
    for (let i = 2; i < seq.length; i += 2) area += ((seq[i] - seq[i - 2]) / 1000) * ((seq[i + 1] + seq[i - 1]) / 2);
    return { area, duration: (seq[seq.length - 2] - seq[0]) / 1000 };
  }

  /** fill: estimate the missing intervals of a gap bounded by two readings neither of which is BAD. */
  private fill(d: Device, name: string, w: Win, expected: number, s: PartStats, filledSlots: Set<number>): void {
    const own = w.pts?.[name];
    const occupied = new Set<number>();
    if (own) for (let i = 0; i < own.length; i += 3) occupied.add(slotOf(w, own[i], this.cfg.intervalSeconds));
    const idx = findWin(d.wins, w.start);
    const pointBefore = (t: number) => {
      for (let i = idx; i >= 0; i--) {
        const p = d.wins[i].pts?.[name];
        if (!p) continue;
        for (let j = p.length - 3; j >= 0; j -= 3) if (p[j] < t) return { t: p[j], v: p[j + 1], bad: p[j + 2] === 1 };
      }
      return undefined;
    };
    const pointAfter = (t: number) => {
      for (let i = idx; i < d.wins.length; i++) {
        const p = d.wins[i].pts?.[name];
        if (!p) continue;
        for (let j = 0; j < p.length; j += 3) if (p[j] > t) return { t: p[j], v: p[j + 1], bad: p[j + 2] === 1 };
      }
      return undefined;
    };
    for (let k = 0; k < expected; k++) {
      if (occupied.has(k)) continue;
      const at = w.start + k * this.I;
      if (at >= w.end) break;
      const L = pointBefore(at);
      const R = pointAfter(at);
      if (!L || !R || L.bad || R.bad) continue;
      if (Math.round((R.t - L.t) / this.I) - 1 > this.cfg.maxFillIntervals) continue;
      const v = this.cfg.fill === "linear" ? interpolate(L.t, L.v, R.t, R.v, at) : L.v;
      if (s.count === 0) {
        s.min = s.max = v;
      } else {
        if (v < s.min) s.min = v;
        if (v > s.max) s.max = v;
      }
      s.count++;
      s.sum += v;
      s.estimated++;
      filledSlots.add(k);
    }
  }

  // --- state -----------------------------------------------------------------------------------------------

  /** What identifies the windows: a state saved under another window, zone or interval is not restored. */
  get stateKey(): string {
    return `${this.cfg.window}|${this.cfg.zone}|${this.cfg.intervalSeconds}`;
  }

  /**
   * The state document (format 2). A window is one array: [start, end − start, revision, checksum, flags (1 closed,
   * 2 dirty, 4 final sent), receivedAt, record (record.ts: an open window is packed for the document only), points
   * (twa, fill) or 0, merged parts or 0], the last two left out when absent. A closed 20-measurement window of
   * 15-minute readings is about a third of the format-1 document's.
   */
  snapshot(): AggregatorState {
    const devices: unknown[] = [];
    for (const d of this.devices.values()) devices.push(this.deviceDoc(d));
    return { format: 2, key: this.stateKey, devices, counters: { ...this.counters } };
  }

  /**
   * The same document as JSON text in parts, one device a part, each made when it is asked for: a save in parts
   * (StateFile) yields to the event loop between them. Each device is whole as it stood when its part was made.
   */
  *snapshotParts(): Generator<string> {
    yield `{"format":2,"key":${JSON.stringify(this.stateKey)},"counters":${JSON.stringify(this.counters)},"devices":[`;
    let sep = "";
    for (const d of this.devices.values()) {
      yield sep + JSON.stringify(this.deviceDoc(d));
      sep = ",";
    }
    yield "]}";
  }

  private deviceDoc(d: Device): unknown {
    const wins: unknown[] = [];
    for (const w of d.wins) {
      const rec = w.rec ?? pack(w.buf, d.ncols, w.seen, w.extra, w.start, this.I);
      const x: unknown[] = [w.start, w.end - w.start, w.rev, w.sig, (w.closed ? 1 : 0) | (w.dirty ? 2 : 0) | (w.finalSent ? 4 : 0), w.rcv, rec];
      if (w.pts || w.kids) x.push(w.pts ?? 0);
      if (w.kids) x.push(w.kids);
      wins.push(x);
    }
    return { id: d.id, wm: Number.isFinite(d.wm) ? d.wm : null, arr: d.arr, src: d.src, meta: d.meta, names: d.names, cols: d.cols, wins };
  }

  /** A window of a format-2 document: a closed one stays packed, an open one is unpacked. */
  private winOf2(x: unknown[]): Win {
    const [start, len, rev, sig, flags, rcv, rec, pts, kids] = x as [number, number, number, number, number, number, number[], Win["pts"] | 0 | undefined, Win["kids"] | undefined];
    const w = newWin(start, start + len);
    w.rev = rev;
    w.sig = sig;
    w.closed = (flags & 1) !== 0;
    w.dirty = (flags & 2) !== 0;
    w.finalSent = (flags & 4) !== 0;
    w.rcv = rcv;
    if (pts) w.pts = pts;
    if (kids) w.kids = kids;
    w.rec = rec;
    if (!w.closed) this.unpack(w);
    return w;
  }

  /** Restore a snapshot. Returns false (and keeps nothing) when it was saved under another window, zone or interval. */
  restore(state: AggregatorState, now: number): boolean {
    if (!state || (state.format !== 1 && state.format !== 2) || state.key !== this.stateKey || !Array.isArray(state.devices)) return false;
    this.devices.clear();
    for (const x of state.devices as Record<string, unknown>[]) {
      const wins = (x.wins as unknown[]).map((w) => (state.format === 2 ? this.winOf2(w as unknown[]) : winOf1(w as Record<string, unknown>)));
      const d: Device = {
        id: x.id as string,
        wm: typeof x.wm === "number" ? x.wm : -Infinity,
        arr: Math.min(typeof x.arr === "number" ? x.arr : now, now),
        src: x.src as ReadingSource | undefined,
        meta: x.meta as ReadingMeta | undefined,
        names: (x.names ?? {}) as Record<string, string | null>,
        cols: (x.cols ?? {}) as Record<string, number>,
        ncols: Object.keys(x.cols ?? {}).length,
        wins,
      };
      for (const w of wins) if (w.closed) this.pack(d, w);
      this.devices.set(d.id, d);
    }
    this.counters = { ...this.counters, ...state.counters };
    return true;
  }
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

/** A 32-bit FNV-1a hash over a number's bits. */
function mix(h: number, x: number): number {
  F64[0] = x;
  h = Math.imul(h ^ U32[0], 16777619);
  return Math.imul(h ^ U32[1], 16777619);
}

/** Recent tidy() results, direct-mapped by the number's bits: a fleet's aggregates repeat their values. */
const TIDY_IN = new Float64Array(1024).fill(NaN);
const TIDY_OUT = new Float64Array(1024);

export function tidyCached(x: number): number {
  if (Number.isInteger(x)) return x;
  F64[0] = x;
  const h = (U32[0] ^ U32[1] ^ (U32[1] >>> 10)) & 1023;
  if (TIDY_IN[h] === x) return TIDY_OUT[h];
  const v = tidy(x);
  TIDY_IN[h] = x;
  TIDY_OUT[h] = v;
  return v;
}

/** A number that may be absent (undefined) or null, for the checksum: each its own NaN-free marker. */
function opt(x: number | null | undefined): number {
  return x === undefined ? -1.5e-300 : x === null ? 1.5e-300 : x;
}

/** The index of the first window of `wins` (sorted by start) that starts at or after `start`. */
function findWin(wins: readonly Win[], start: number): number {
  let lo = 0;
  let hi = wins.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (wins[mid].start < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The stats of column c of a window's accumulators; undefined when it holds no value (not even a BAD one). */
function columnStats(b: Float64Array, c: number | undefined, unit: string | null): PartStats | undefined {
  if (c === undefined || c * STRIDE >= b.length) return undefined;
  const o = c * STRIDE;
  if (b[o + N] === 0 && b[o + BAD] === 0) return undefined;
  return {
    unit: unit ?? undefined,
    count: b[o + N],
    sum: b[o + SUM],
    min: b[o + MIN],
    max: b[o + MAX],
    first: b[o + FIRST],
    firstAt: b[o + FIRST_AT],
    last: b[o + LAST],
    lastAt: b[o + LAST_AT],
    estimated: 0,
    bad: b[o + BAD],
    q: rankQuality(b[o + Q]),
  };
}

const EMPTY = new Float64Array(0);
/** The slots of a packed window: none live (they are in its record). Never added to. */
const NO_SLOTS: Slots = new Map();

/** A window of a format-1 document (before the compact records): slots held times, not offsets. */
function winOf1(x: Record<string, unknown>): Win {
  const w = newWin(x.start as number, x.end as number);
  const flat = Array.isArray(x.seen) ? (x.seen as number[]) : [];
  for (let i = 0; i < flat.length; i += 2) w.seen.set(flat[i], flat[i + 1] - w.start);
  w.buf = Array.isArray(x.buf) ? Float64Array.from(x.buf as number[]) : EMPTY;
  w.extra = typeof x.extra === "number" ? x.extra : 0;
  w.rev = typeof x.rev === "number" ? x.rev : -1;
  w.sig = typeof x.sig === "number" ? x.sig : 0;
  w.closed = x.closed === true;
  w.dirty = x.dirty === true;
  w.finalSent = x.finalSent === true;
  w.rcv = typeof x.rcv === "number" ? x.rcv : 0;
  if (x.pts) w.pts = x.pts as Win["pts"];
  if (x.kids) w.kids = x.kids as Win["kids"];
  return w;
}

function newWin(start: number, end: number): Win {
  return { start, end, seen: new Map(), extra: 0, buf: EMPTY, rec: undefined, rev: -1, sig: 0, closed: false, dirty: false, finalSent: false, rcv: 0, tseq: 0, rseq: 0 };
}

/** Slots received by a window, live or packed. */
function receivedOf(w: Win): number {
  return w.rec !== undefined ? received(w.rec) : w.seen.size;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
let lastIso = "";
let lastIsoMs = NaN;

/**
 * A canonical timestamp ("2026-03-08T05:00:00.000Z", the form isoUtc writes) as epoch ms; NaN for any other text
 * or an impossible date. The shared timestampMs, and the last one remembered: every reading of a poll cycle has the
 * same time.
 */
export function isoMs(s: string): number {
  if (s === lastIso) return lastIsoMs;
  let t = timestampMs(s);
  if (t !== t) {
    // Years 0-99 (Date.UTC reads them as 1900-1999), or not a canonical timestamp at all.
    if (!TIMESTAMP.test(s)) return NaN;
    t = Date.parse(s);
    if (t !== t || isoUtc(t) !== s) return NaN;
  }
  lastIso = s;
  lastIsoMs = t;
  return t;
}

/**
 * A canonical reading (raw, or an aggregate to merge), checked by the shared hand-written schema (readingTime), its
 * measurements listed in `listed` as they are checked. False leaves the decision, and the error text, to the schema
 * check (validateReading), which is most of the cost of a reading otherwise.
 */
const checked: MeasurementList = { names: [], ms: [] };
export function isReading(x: unknown): x is CanonicalReading {
  listed.of = undefined;
  const t = readingTime(x, checked);
  if (t !== t) return false;
  listed.names = checked.names;
  listed.mms = checked.ms as Measurement[];
  listed.n = checked.names.length;
  listed.of = x;
  return true;
}

/**
 * The measurements of the reading being added, in their order: names and objects. isReading lists them as
 * it checks them (`of` is then that reading), so the aggregator walks a reading's properties once.
 */
const listed: { of: unknown; n: number; names: string[]; mms: Measurement[] } = { of: undefined, n: 0, names: [], mms: [] };

function listMeasurements(ms: CanonicalReading["measurements"]): void {
  let i = 0;
  for (const name in ms) {
    listed.names[i] = name;
    listed.mms[i++] = ms[name];
  }
  listed.n = i;
  listed.of = undefined;
}

function emptyStats(): PartStats {
  return { count: 0, sum: 0, min: 0, max: 0, first: 0, firstAt: 0, last: 0, lastAt: 0, estimated: 0, bad: 0, q: "GOOD" };
}
