/**
 * The validate engine (VEE at the gateway): schema, clock drift, duplicates, per-measurement rules (range,
 * monotonic with rollover and meter change, rate, sigma, flatline), silence. Pure: no Node-RED, no timers, no
 * files; the caller gives the time. Its state (per device and measurement: recent values, baselines, flatline
 * runs; the dedup keys; the counts) is a plain document (toJSON/load, or jsonParts for a save in parts) that the
 * node writes through a StateFile.
 *
 * The state is packed per device: one Float64Array holds every measurement's state (a slot per name, laid out by a
 * Layout that all devices read with the same names share), and a reading whose names come in the order the device's
 * last one had (a Shape) finds each measurement's slot, rules and fingerprint seeds by position: no map lookup per
 * measurement, and nothing allocated per reading but the outcome.
 *
 * A payload is one reading or an array of them; each reading is judged, then (if it passed) committed to the state
 * before the next, so a duplicate in the same array as its original is caught.
 */
import { DateTime } from "luxon";
import { type CanonicalReading, type Measurement, type Quality, readingTime, validateReading, worseQuality } from "../shared/canonical-reading";
import { isoUtc } from "../shared/time";
import { DedupStore, deltasToTimes, measurementHash, nameSeed, timesToDeltas, unitSeed, type DedupState, type Deltas } from "./dedup";
import { checkDrift, type DriftPolicy } from "./drift";
import { rulesFor, type CompiledRule, type RuleAction } from "./rules";
import { addValueAt, spikeOf, type Baseline } from "./welford";

/** Each flag and the quality it stands for. Informational flags leave the quality as it is. */
export const FLAG_QUALITY: Record<string, Quality> = {
  "time-corrected": "ESTIMATED",
  drift: "SUSPECT",
  range: "SUSPECT",
  "counter-decrease": "SUSPECT",
  rate: "SUSPECT",
  spike: "SUSPECT",
  flatline: "SUSPECT",
  rollover: "GOOD",
  "counter-reset": "GOOD",
};

export interface ValidatorOptions {
  drift: DriftPolicy;
  rules: CompiledRule[];
  /** Dedup window in hours (0: no dedup). */
  dedupHours: number;
  /** The most dedup keys kept. */
  dedupMaxKeys: number;
  /** Alert `silent` for a device not heard from in this long (0: off). */
  silenceSeconds: number;
  /** The zone whose hour of day `sigmaBy: "hour"` uses. */
  timeZone: string;
  /** Recent values kept per device and measurement (for out-of-order readings). */
  historySize?: number;
}

export interface Rejection {
  /** The reading as it came (or the payload that is not one). */
  reading: unknown;
  rule: string;
  reason: string;
  deviceId?: string;
  timestamp?: string;
}

export interface Alert {
  alert: string;
  deviceId: string;
  [key: string]: unknown;
}

export interface Outcome {
  passed: CanonicalReading[];
  rejected: Rejection[];
  alerts: Alert[];
  /** Exact duplicates dropped. */
  duplicates: number;
  /** Passed readings that carry a flag this node added with a quality worse than GOOD. */
  flagged: number;
}

interface Counts {
  passed: number;
  flagged: number;
  rejected: number;
  duplicates: number;
}

/**
 * What a measurement's rules need kept, by its name (the rules that match the name, whatever the unit, so that
 * every unit's rules find their state): the recent values (historySize of them for `monotonic` or
 * `maxRatePerHour`, the newest only for `flatline`, none for range and a sigma on the value), and the baselines.
 * A slot's state is a run of numbers in its device's buffer (a Float64Array, one per device):
 *
 *     [n, run, t × cap, v × cap, (n, mean, m2) if sigma over all hours, (n, mean, m2) × 24 if sigmaBy hour]
 *
 * n: recent values held (oldest first); run: how many times in a row the newest value repeated; a baseline with
 * n = 0 is none yet.
 */
interface SlotSpec {
  cap: number;
  /** Offsets of the baselines from the slot's start (-1: none). */
  all: number;
  hours: number;
  /** Numbers in the buffer (0 for a measurement no rule selects). */
  size: number;
}

/** A device's measurements in buffer order, with each one's place; shared by every device with the same names. */
interface Layout {
  names: string[];
  specs: SlotSpec[];
  off: Int32Array;
  size: number;
  index: Map<string, number>;
  /** The orders of names seen with this layout (the last few): each reading is matched to one by identity. */
  shapes: Shape[];
}

/** A reading's names in their order, mapped onto a layout: what the hot path reads per measurement. */
interface Shape {
  layout: Layout;
  names: string[];
  /** The unit each name had when the shape was made (a reading with another unit looks its rules up). */
  units: (string | undefined)[];
  rules: CompiledRule[][];
  spec: SlotSpec[];
  off: Int32Array;
  /** The fingerprint's seeds of each name and unit. */
  nameSeed: Int32Array;
  unitSeed: Int32Array;
}

interface Device {
  layout: Layout;
  /** The shape of its last reading. */
  shape: Shape | undefined;
  buf: Float64Array;
  /** Something was committed since the start or the last reset. */
  fed: boolean;
  /** When the node last heard from it (node clock). */
  heard: number;
  silent: boolean;
  /** When a clock-drift alert last went out. */
  driftAlert: number;
  counts: Counts;
}

/** A slot as saved: [values, run, own times (0: the device's), baseline over all hours (0: none), 24 hour baselines flat (n, or n, mean, m2)]; 0 for nothing kept. */
type SlotRecord = 0 | [number[], number?, (Deltas | 0)?, (Baseline | 0)?, number[]?];

/** A device as saved (version 3): [heard, [passed, flagged, rejected, duplicates], layout, shared times, slots, silent, drift alert]. */
type DeviceRecord = [number, [number, number, number, number], number, Deltas | 0, SlotRecord[], (0 | 1)?, number?];

/** The version-2 device record (still read). */
interface DeviceV2 {
  h: number;
  s?: 1;
  d?: number;
  c: Counts;
  t?: Deltas;
  m: Record<string, { t?: number[] | Deltas; v: number[]; r: number; a?: Baseline; hr?: (Baseline | null)[] }>;
}

/**
 * The saved state. Version 3 (packed): a device is an array (DeviceRecord) whose slots follow one of the
 * document's `layouts` (the measurement names, shared by the devices read with the same names); a slot keeps only
 * what its rules read (no recent values for a range check); times are Deltas (epoch seconds, the first whole, then
 * the steps, runs of equal steps as [step, count]), saved once per device when its slots share them; baselines'
 * mean and m2 keep 10 significant digits; the dedup fingerprints are 4 bytes each in base64url. Versions 1 and 2
 * (objects per measurement) are still read.
 */
export type ValidatorState =
  | { version: 3; devices: Record<string, DeviceRecord>; dedup: DedupState; totals: Counts; rules: Record<string, number>; layouts: string[][] }
  | { version: 1 | 2; devices: Record<string, DeviceV2>; dedup: DedupState; totals: Counts; rules: Record<string, number> };

const HOUR = 3_600_000;
const newCounts = (): Counts => ({ passed: 0, flagged: 0, rejected: 0, duplicates: 0 });
const NO_RULES: CompiledRule[] = [];
const MAX_SHAPES = 8;

interface Hit {
  name: string;
  flag: string;
  /** The reason, built only when it is asked for (most hits are never read). */
  readonly reason: string;
  action: RuleAction | "info";
}

/** A measurement judged against the state, before anything is committed. */
interface Judged {
  name: string;
  m: Measurement;
  x: number;
  /** Where its slot starts in the device's buffer, and what it holds. */
  at: number;
  spec: SlotSpec;
  hits: Hit[];
  step: number | undefined;
  reset: boolean;
  inOrder: boolean;
  /** The newest value before this one (for a counter-reset alert). */
  last: number;
  rules: CompiledRule[];
}

const NO_SPEC: SlotSpec = { cap: 0, all: -1, hours: -1, size: 0 };
const newJudged = (): Judged => ({ name: "", m: { value: null }, x: 0, at: 0, spec: NO_SPEC, hits: [], step: undefined, reset: false, inOrder: true, last: NaN, rules: NO_RULES });

/** Add a hit, one of a kind per measurement (several rules may say the same): the first one stays. */
function hit(hits: Hit[], name: string, flag: string, action: RuleAction | "info", reason: () => string): void {
  for (const h of hits) if (h.flag === flag) return;
  hits.push({
    name,
    flag,
    action,
    get reason() {
      return reason();
    },
  });
}

const label = (r: CompiledRule) => `rule ${r.index + 1} (${r.measurement ?? "*"})`;

export class Validator {
  private readonly devices = new Map<string, Device>();
  readonly dedup: DedupStore;
  private readonly totals = newCounts();
  /** Hits per rule or flag: schema, drift, duplicate, range, spike, ... */
  private readonly ruleCounts: Record<string, number> = {};
  /** The rules of a measurement, by name, then by unit ("" for none). */
  private readonly ruleCache = new Map<string, Map<string, CompiledRule[]>>();
  private ruleCacheSize = 0;
  /** What each name's rules keep (SlotSpec), and the layouts, by their names joined with NUL. */
  private readonly specCache = new Map<string, SlotSpec>();
  private readonly layouts = new Map<string, Layout>();
  private readonly historySize: number;
  private readonly needsHour: boolean;
  private readonly pool: Judged[] = [];
  /** The names of the reading being judged (Object.keys of its measurements, once), and its measurements in that order. */
  private readonly shape = { names: [] as string[], ms: [] as unknown[] };
  private hourCache = { key: NaN, hour: 0 };

  constructor(readonly opts: ValidatorOptions) {
    this.dedup = new DedupStore(opts.dedupHours * HOUR, opts.dedupMaxKeys);
    this.historySize = Math.max(2, opts.historySize ?? 8);
    this.needsHour = opts.rules.some((r) => r.sigma !== undefined && r.sigmaBy === "hour");
  }

  /**
   * Validate a payload (one reading or an array of them) received at `referenceMs` (msg.receivedAt, else now);
   * `now` is the node's clock. Passed readings are the same objects, changed in place (flags, quality, a corrected
   * timestamp), in their order.
   */
  validate(payload: unknown, referenceMs: number, now: number): Outcome {
    const out: Outcome = { passed: [], rejected: [], alerts: [], duplicates: 0, flagged: 0 };
    if (Array.isArray(payload)) for (const r of payload) this.one(r, referenceMs, now, out);
    else this.one(payload, referenceMs, now, out);
    return out;
  }

  private count(rule: string): void {
    this.ruleCounts[rule] = (this.ruleCounts[rule] ?? 0) + 1;
  }

  private device(id: string, now: number): Device {
    let d = this.devices.get(id);
    if (!d) {
      const layout = this.layoutOf([]);
      d = { layout, shape: undefined, buf: new Float64Array(0), fed: false, heard: now, silent: false, driftAlert: -Infinity, counts: newCounts() };
      this.devices.set(id, d);
    }
    return d;
  }

  private reject(out: Outcome, reading: unknown, rule: string, reason: string, dev?: Device): void {
    const r = reading as Partial<CanonicalReading> | null;
    const isObj = typeof r === "object" && r !== null;
    out.rejected.push({
      reading,
      rule,
      reason,
      deviceId: isObj && typeof r.deviceId === "string" ? r.deviceId : undefined,
      timestamp: isObj && typeof r.timestamp === "string" ? r.timestamp : undefined,
    });
    this.count(rule);
    this.totals.rejected++;
    if (dev) dev.counts.rejected++;
  }

  private one(x: unknown, referenceMs: number, now: number, out: Outcome): void {
    // The schema written out by hand (shared with validateReading); what it leaves to ajv, and every error message, is ajv's.
    const names0 = this.shape;
    let ts = readingTime(x, names0);
    if (ts !== ts) {
      const check = validateReading(x);
      if (!check.ok) {
        const id = typeof x === "object" && x !== null && typeof (x as { deviceId?: unknown }).deviceId === "string" ? ((x as { deviceId: string }).deviceId) : undefined;
        this.reject(out, x, "schema", check.errors.join("; "), id ? this.device(id, now) : undefined);
        return;
      }
      ts = Date.parse(check.reading.timestamp);
      names0.names = Object.keys(check.reading.measurements);
      for (let i = 0; i < names0.names.length; i++) names0.ms[i] = check.reading.measurements[names0.names[i]];
    }
    const names = names0.names;
    const ms = names0.ms as Measurement[];
    const reading = x as CanonicalReading;
    const measurements = reading.measurements;
    const dev = this.device(reading.deviceId, now);
    // Heard from: any reading that is one, whatever it is judged.
    dev.heard = now;
    if (dev.silent) {
      dev.silent = false;
      out.alerts.push({ alert: "back", deviceId: reading.deviceId, timestamp: reading.timestamp });
    }
    // The reading's names on the device's layout: the same order as last time is one identity check per name.
    let shape = dev.shape;
    if (shape === undefined || !sameNames(shape.names, names)) shape = this.shapeOf(dev, names, measurements);

    // Duplicates: the key is the device and the ORIGINAL timestamp (a replay of a corrected reading keeps it).
    const original = typeof reading.source?.originalTimestamp === "string" ? reading.source.originalTimestamp : reading.timestamp;
    const keyTs = original === reading.timestamp ? ts : Date.parse(original);
    let fp = 0;
    if (this.dedup.enabled) {
      let sum = 0;
      for (let i = 0; i < names.length; i++) {
        const m = ms[i];
        sum = (sum + measurementHash(shape.nameSeed[i], m.value, m.unit === shape.units[i] ? shape.unitSeed[i] : unitSeed(m.unit))) | 0;
      }
      fp = sum >>> 0;
      const v = this.dedup.check(reading.deviceId, keyTs, fp);
      if (v === "duplicate") {
        out.duplicates++;
        this.totals.duplicates++;
        dev.counts.duplicates++;
        this.count("duplicate");
        return;
      }
      if (v === "conflict") {
        this.reject(out, reading, "duplicate-conflict", `a reading of ${reading.deviceId} at ${original} was already accepted with different values`, dev);
        return;
      }
    }

    // Clock drift against the reference time.
    let readingFlag: string | undefined; // time-corrected or drift
    let corrected: string | undefined;
    // (The verdict is only made, an object, when the drift is beyond the accepted.)
    const drift = Math.abs((ts - referenceMs) / 1000) <= this.opts.drift.acceptSeconds ? undefined : checkDrift(ts, referenceMs, this.opts.drift);
    if (drift !== undefined && drift.kind !== "accept") {
      const secs = Math.round(drift.driftSeconds * 1000) / 1000;
      const how = drift.driftSeconds > 0 ? "ahead of" : "behind";
      const reason = `timestamp ${reading.timestamp} is ${Math.abs(secs)} s ${how} the reference time ${isoUtc(referenceMs)}`;
      if (drift.kind === "reject") {
        if (drift.band === "beyond" && referenceMs - dev.driftAlert >= HOUR) {
          dev.driftAlert = referenceMs;
          out.alerts.push({ alert: "clock-drift", deviceId: reading.deviceId, driftSeconds: secs, timestamp: reading.timestamp, reference: isoUtc(referenceMs) });
        }
        this.reject(out, reading, "drift", `${reason} (more than ${drift.band === "beyond" ? this.opts.drift.rejectSeconds : this.opts.drift.acceptSeconds} s)`, dev);
        return;
      }
      // Correcting needs a source to keep the original in; a reading without one is flagged instead.
      if (drift.kind === "correct" && reading.source) {
        corrected = isoUtc(referenceMs);
        readingFlag = "time-corrected";
        this.count("time-corrected");
      } else {
        readingFlag = "drift";
        this.count("drift");
      }
    }
    if (corrected !== undefined) ts = referenceMs;

    // Measurement rules, judged against the state before anything is committed.
    // (The judgements are pooled objects, reused from reading to reading: this runs per measurement.)
    const judged = this.pool;
    let n = 0;
    let quality: Quality = reading.quality;
    const hour = this.needsHour ? this.hourOf(ts) : 0;
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      const m = ms[i];
      if (m.quality !== undefined) quality = worseQuality(quality, m.quality);
      const value = m.value;
      if (typeof value !== "number" || !Number.isFinite(value)) continue;
      const rules = m.unit === shape.units[i] ? shape.rules[i] : this.rules(name, m.unit);
      if (rules.length === 0) continue;
      const j = (judged[n] ??= newJudged());
      this.judge(dev.buf, shape.off[i], shape.spec[i], name, m, value, ts, rules, hour, j);
      if (j.hits.length !== 0) {
        for (const h of j.hits) {
          if (h.action !== "reject") continue;
          this.reject(out, reading, h.name, `${name}: ${h.reason}`, dev);
          return;
        }
      }
      n++;
    }

    // Passed: apply the flags and the correction, commit the state.
    if (corrected !== undefined) {
      reading.source = { ...reading.source!, originalTimestamp: reading.timestamp };
      reading.timestamp = corrected;
    }
    let flagged = false;
    if (readingFlag !== undefined) {
      addFlag(reading, readingFlag);
      if (FLAG_QUALITY[readingFlag] !== "GOOD") flagged = true;
    }
    if (reading.flags) for (const f of reading.flags) quality = worseQuality(quality, FLAG_QUALITY[f] ?? "GOOD");
    for (let k = 0; k < n; k++) {
      const j = judged[k];
      if (j.hits.length === 0) continue;
      for (const h of j.hits) {
        addFlag(j.m, h.flag);
        const q = FLAG_QUALITY[h.flag] ?? "SUSPECT";
        if (q !== "GOOD") {
          j.m.quality = worseQuality(j.m.quality ?? "GOOD", q);
          quality = worseQuality(quality, q);
          flagged = true;
        }
        this.count(h.flag);
        if (h.flag === "counter-reset" && j.inOrder) out.alerts.push({ alert: "counter-reset", deviceId: reading.deviceId, measurement: j.name, previous: j.last, value: j.x, timestamp: reading.timestamp });
      }
    }
    reading.quality = quality;
    if (n > 0) {
      dev.fed = true;
      for (let k = 0; k < n; k++) this.commit(dev.buf, judged[k], ts, hour, quality);
    }
    if (this.dedup.enabled) this.dedup.add(reading.deviceId, keyTs, fp, now);
    out.passed.push(reading);
    this.totals.passed++;
    dev.counts.passed++;
    if (flagged) {
      out.flagged++;
      this.totals.flagged++;
      dev.counts.flagged++;
    }
  }

  private rules(name: string, unit: string | undefined): CompiledRule[] {
    let byUnit = this.ruleCache.get(name);
    if (!byUnit) {
      if (this.ruleCacheSize > 10_000) {
        this.ruleCache.clear();
        this.ruleCacheSize = 0;
      }
      byUnit = new Map();
      this.ruleCache.set(name, byUnit);
    }
    const u = unit ?? "";
    let r = byUnit.get(u);
    if (!r) {
      r = rulesFor(this.opts.rules, name, unit);
      byUnit.set(u, r);
      this.ruleCacheSize++;
    }
    return r;
  }

  /** What a name's rules keep (whatever the unit: every unit's rules find their state in the one slot). */
  private specOf(name: string): SlotSpec {
    let s = this.specCache.get(name);
    if (s) return s;
    const rules = this.opts.rules.filter((r) => r.match.test(name));
    if (rules.length === 0) s = NO_SPEC;
    else {
      const cap = rules.some((r) => r.monotonic || r.maxRatePerHour !== undefined) ? this.historySize : rules.some((r) => r.flatline !== undefined) ? 1 : 0;
      let size = 2 + 2 * cap;
      let all = -1;
      let hours = -1;
      if (rules.some((r) => r.sigma !== undefined && r.sigmaBy !== "hour")) {
        all = size;
        size += 3;
      }
      if (rules.some((r) => r.sigma !== undefined && r.sigmaBy === "hour")) {
        hours = size;
        size += 72;
      }
      s = { cap, all, hours, size };
    }
    if (this.specCache.size > 10_000) this.specCache.clear();
    this.specCache.set(name, s);
    return s;
  }

  /** The layout of these names (one object for every device read with them). */
  private layoutOf(names: string[]): Layout {
    const key = names.join("\u0000");
    let l = this.layouts.get(key);
    if (l) return l;
    const specs = names.map((n) => this.specOf(n));
    const off = new Int32Array(names.length);
    let size = 0;
    for (let i = 0; i < names.length; i++) {
      off[i] = size;
      size += specs[i].size;
    }
    l = { names, specs, off, size, index: new Map(names.map((n, i) => [n, i])), shapes: [] };
    // Devices keep their layouts; this is only the table that lets them share one.
    if (this.layouts.size > 10_000) this.layouts.clear();
    this.layouts.set(key, l);
    return l;
  }

  /** The device's shape for this order of names: one it has seen, or a new one (its layout grows by the new names). */
  private shapeOf(dev: Device, names: string[], measurements: Record<string, Measurement>): Shape {
    let layout = dev.layout;
    for (const s of layout.shapes) {
      if (sameNames(s.names, names)) {
        dev.shape = s;
        return s;
      }
    }
    const missing = names.filter((n) => !layout.index.has(n));
    if (missing.length > 0) {
      layout = this.layoutOf([...layout.names, ...missing]);
      // The slots keep their order and size: the old buffer is the new one's start.
      const buf = new Float64Array(layout.size);
      buf.set(dev.buf);
      dev.buf = buf;
      dev.layout = layout;
      for (const s of layout.shapes) {
        if (sameNames(s.names, names)) {
          dev.shape = s;
          return s;
        }
      }
    }
    const k = names.length;
    const shape: Shape = {
      layout,
      names: names.slice(),
      units: new Array(k),
      rules: new Array(k),
      spec: new Array(k),
      off: new Int32Array(k),
      nameSeed: new Int32Array(k),
      unitSeed: new Int32Array(k),
    };
    for (let i = 0; i < k; i++) {
      const slot = layout.index.get(names[i])!;
      const unit = measurements[names[i]].unit;
      shape.units[i] = unit;
      shape.rules[i] = this.rules(names[i], unit);
      shape.spec[i] = layout.specs[slot];
      shape.off[i] = layout.off[slot];
      shape.nameSeed[i] = nameSeed(names[i]);
      shape.unitSeed[i] = unitSeed(unit);
    }
    if (layout.shapes.length >= MAX_SHAPES) layout.shapes.shift();
    layout.shapes.push(shape);
    dev.shape = shape;
    return shape;
  }

  /** The hour of day in the configured zone (zone offsets are multiples of 15 minutes: cached per quarter hour). */
  private hourOf(ms: number): number {
    const key = Math.floor(ms / 900_000);
    if (this.hourCache.key !== key) this.hourCache = { key, hour: DateTime.fromMillis(ms, { zone: this.opts.timeZone }).hour };
    return this.hourCache.hour;
  }

  private judge(b: Float64Array, at: number, spec: SlotSpec, name: string, m: Measurement, x: number, ts: number, rules: CompiledRule[], hour: number, j: Judged): void {
    const hits = j.hits;
    if (hits.length !== 0) hits.length = 0;
    const cap = spec.cap;
    const held = cap > 0 ? b[at] : 0;
    const T = at + 2;
    const V = T + cap;
    // Neighbours in time: a reading older than the newest is checked against the readings around it.
    let prev = -1;
    let next = -1;
    if (held > 0) {
      let i = held - 1;
      while (i >= 0 && b[T + i] >= ts) i--;
      prev = i;
      let k = i + 1;
      while (k < held && b[T + k] === ts) k++;
      next = k < held ? k : -1;
    }
    const inOrder = next < 0;
    const pv = prev >= 0 ? b[V + prev] : undefined;
    const pt = prev >= 0 ? b[T + prev] : undefined;
    let step: number | undefined;
    let reset = false;
    for (let ri = 0; ri < rules.length; ri++) {
      const r = rules[ri];
      if ((r.min !== undefined && x < r.min) || (r.max !== undefined && x > r.max)) {
        hit(hits, "range", "range", r.action ?? "reject", () => `${x} is outside ${r.min ?? "-∞"}..${r.max ?? "∞"} (${label(r)})`);
      }
      if (r.monotonic) {
        if (pv !== undefined) {
          if (x >= pv) step = x - pv;
          else if (r.rollover !== undefined && pv > 0.9 * r.rollover && x < 0.1 * r.rollover) {
            step = r.rollover - pv + x;
            const top = r.rollover;
            hit(hits, "rollover", "rollover", "info", () => `${pv} → ${x} wrapped at ${top}`);
          } else if (inOrder && x < 0.1 * pv) {
            reset = true;
            hit(hits, "counter-reset", "counter-reset", "info", () => `${pv} → ${x}: a meter change`);
          } else {
            hit(hits, "counter-decrease", "counter-decrease", r.action ?? "flag", () => `${x} is below the previous ${pv} (${label(r)})`);
          }
        }
        if (next >= 0) {
          const nv = b[V + next];
          const wraps = r.rollover !== undefined && x > 0.9 * r.rollover && nv < 0.1 * r.rollover;
          if (nv < x && !wraps) hit(hits, "counter-decrease", "counter-decrease", r.action ?? "flag", () => `${x} is above the later ${nv} (${label(r)})`);
        }
      }
      const dtH = pt !== undefined ? (ts - pt) / HOUR : 0;
      if (r.maxRatePerHour !== undefined && pv !== undefined && dtH > 0 && !reset) {
        const rise = r.monotonic ? step : x - pv;
        const max = r.maxRatePerHour;
        if (rise !== undefined && rise / dtH > max) hit(hits, "rate", "rate", r.action ?? "flag", () => `rose ${round(rise / dtH)}/h, more than ${max}/h (${label(r)})`);
      }
      if (r.sigma !== undefined) {
        const sample = r.monotonic ? (step !== undefined && dtH > 0 ? step / dtH : undefined) : x;
        const bo = r.sigmaBy === "hour" ? (spec.hours >= 0 ? at + spec.hours + 3 * hour : -1) : spec.all >= 0 ? at + spec.all : -1;
        const sp = sample === undefined || bo < 0 || b[bo] < r.sigmaWarmup ? undefined : spikeOf(b[bo], b[bo + 1], b[bo + 2], sample, r.sigma, r.sigmaWarmup, r.sigmaFloor);
        if (sp) hit(hits, "spike", "spike", r.action ?? "flag", () => `${round(sample!)} is ${round(sp.z)} σ from the mean ${round(sp.mean)} (σ ${round(sp.sd)}; ${label(r)})`);
      }
      if (r.flatline !== undefined && inOrder && held > 0) {
        const run = b[V + held - 1] === x ? b[at + 1] + 1 : 1;
        if (run >= r.flatline) hit(hits, "flatline", "flatline", r.action ?? "flag", () => `the same value ${x} ${run} times in a row (${label(r)})`);
      }
    }
    j.name = name;
    j.m = m;
    j.x = x;
    j.at = at;
    j.spec = spec;
    j.step = step;
    j.reset = reset;
    j.inOrder = inOrder;
    j.last = held > 0 ? b[V + held - 1] : NaN;
    j.rules = rules;
  }

  private commit(b: Float64Array, j: Judged, ts: number, hour: number, readingQuality: Quality): void {
    const { x, m, at, spec } = j;
    const cap = spec.cap;
    const T = at + 2;
    const V = T + cap;
    let held = cap > 0 ? b[at] : 0;
    const last = held > 0 ? b[V + held - 1] : undefined;
    const pt = held > 0 ? b[T + held - 1] : undefined;
    if (j.reset) {
      // A meter change: the new register is the baseline.
      held = 0;
      b[at + 1] = 0;
    }
    // Baselines learn from GOOD values only (never from flagged ones).
    const good = (m.quality ?? "GOOD") === "GOOD" && readingQuality === "GOOD" && !(m.flags && m.flags.length);
    if (good && (spec.all >= 0 || spec.hours >= 0)) {
      let fedAll = false;
      let fedHour = false;
      for (const r of j.rules) {
        if (r.sigma === undefined) continue;
        let sample: number | undefined = x;
        if (r.monotonic) {
          const prevT = j.inOrder ? pt : undefined;
          sample = j.step !== undefined && prevT !== undefined && ts > prevT ? j.step / ((ts - prevT) / HOUR) : undefined;
        }
        if (sample === undefined) continue;
        if (r.sigmaBy === "hour") {
          if (fedHour) continue;
          fedHour = true;
          addValueAt(b, at + spec.hours + 3 * hour, sample);
        } else {
          if (fedAll) continue;
          fedAll = true;
          addValueAt(b, at + spec.all, sample);
        }
      }
    }
    if (cap === 0) return;
    if (j.inOrder) {
      b[at + 1] = !j.reset && last === x ? b[at + 1] + 1 : 1;
      if (held === cap) {
        // The oldest goes.
        for (let i = 1; i < cap; i++) {
          b[T + i - 1] = b[T + i];
          b[V + i - 1] = b[V + i];
        }
        held--;
      }
      b[T + held] = ts;
      b[V + held] = x;
      held++;
    } else {
      let i = held;
      while (i > 0 && b[T + i - 1] > ts) i--;
      if (i > 0 && b[T + i - 1] === ts) b[V + i - 1] = x;
      else if (held < cap) {
        for (let k = held; k > i; k--) {
          b[T + k] = b[T + k - 1];
          b[V + k] = b[V + k - 1];
        }
        b[T + i] = ts;
        b[V + i] = x;
        held++;
      } else if (i > 0) {
        // Full: the oldest goes, the ones before the new one move down.
        for (let k = 1; k < i; k++) {
          b[T + k - 1] = b[T + k];
          b[V + k - 1] = b[V + k];
        }
        b[T + i - 1] = ts;
        b[V + i - 1] = x;
      }
      // (Full and older than every value kept: it is the one that goes.)
    }
    b[at] = held;
  }

  /** Alerts for devices not heard from in `silenceSeconds` (each once, until it is heard again). */
  checkSilence(now: number): Alert[] {
    const limit = this.opts.silenceSeconds * 1000;
    if (limit <= 0) return [];
    const alerts: Alert[] = [];
    for (const [id, d] of this.devices) {
      if (!d.silent && now - d.heard > limit) {
        d.silent = true;
        alerts.push({ alert: "silent", deviceId: id, lastHeard: isoUtc(d.heard), silentSeconds: Math.round((now - d.heard) / 1000) });
      }
    }
    return alerts;
  }

  /** Forget one device's baselines and recent values (or every device's). Dedup keys are kept. */
  reset(deviceId?: string): number {
    const forget = (d: Device) => {
      const had = d.fed ? 1 : 0;
      d.buf.fill(0);
      d.fed = false;
      return had;
    };
    if (deviceId === undefined) {
      let n = 0;
      for (const d of this.devices.values()) n += forget(d);
      return n;
    }
    const d = this.devices.get(deviceId);
    if (!d) return 0;
    forget(d);
    return 1;
  }

  /** A baseline as [n, mean, m2] (the hour's when `hour` is given), or undefined: for tests and diagnosis. */
  baseline(deviceId: string, measurement: string, hour?: number): Baseline | undefined {
    const d = this.devices.get(deviceId);
    const slot = d?.layout.index.get(measurement);
    if (!d || slot === undefined) return undefined;
    const spec = d.layout.specs[slot];
    const o = hour === undefined ? spec.all : spec.hours >= 0 && hour >= 0 && hour < 24 ? spec.hours + 3 * hour : -1;
    if (o < 0) return undefined;
    const at = d.layout.off[slot] + o;
    return d.buf[at] > 0 ? [d.buf[at], d.buf[at + 1], d.buf[at + 2]] : undefined;
  }

  /** Counts per rule and per device, for `msg.command = "stats"`. */
  stats(): Record<string, unknown> {
    const devices: Record<string, Counts & { silent?: boolean }> = {};
    for (const [id, d] of this.devices) devices[id] = { ...d.counts, ...(d.silent ? { silent: true } : {}) };
    return {
      ...this.totals,
      rules: { ...this.ruleCounts },
      devices,
      deviceCount: this.devices.size,
      dedup: { keys: this.dedup.size, expired: this.dedup.expired, capped: this.dedup.capped, maxKeys: this.dedup.maxKeys, windowHours: this.opts.dedupHours },
    };
  }

  get counts(): Readonly<Counts> {
    return this.totals;
  }

  /** Forget dedup keys older than the window. */
  expire(now: number): void {
    this.dedup.expire(now);
  }

  /** The state as one document (version 3). */
  toJSON(): ValidatorState {
    const layouts = new Map<Layout, number>();
    const devices: Record<string, DeviceRecord> = {};
    for (const [id, d] of this.devices) devices[id] = deviceRecord(d, layouts);
    return { version: 3, devices, dedup: this.dedup.toJSON(), totals: { ...this.totals }, rules: { ...this.ruleCounts }, layouts: [...layouts.keys()].map((l) => l.names) };
  }

  /**
   * The same document as toJSON, as JSON text in parts of about `devicesPerPart` devices, for a save that must not
   * block the event loop (StateFile's `parts`): each part is made when it is asked for, so the caller may yield
   * between parts while readings keep changing the state. Each device is saved whole as it is at that moment; the
   * counts and layouts come last.
   */
  *jsonParts(devicesPerPart = 100): Generator<string> {
    const layouts = new Map<Layout, number>();
    let text = '{"version":3,"devices":{';
    let first = true;
    let k = 0;
    for (const [id, d] of this.devices) {
      text += `${first ? "" : ","}${JSON.stringify(id)}:${JSON.stringify(deviceRecord(d, layouts))}`;
      first = false;
      if (++k % devicesPerPart === 0) {
        yield text;
        text = "";
      }
    }
    text += '},"dedup":{"fp":4,"devices":{';
    first = true;
    // Keys take more room than the rest of a device: a part of dedup is a few times fewer devices.
    const keysPerPart = Math.max(1, Math.ceil(devicesPerPart / 2));
    k = 0;
    for (const [id, rec] of this.dedup.records()) {
      text += `${first ? "" : ","}${JSON.stringify(id)}:${JSON.stringify(rec)}`;
      first = false;
      if (++k % keysPerPart === 0) {
        yield text;
        text = "";
      }
    }
    text += `}},"totals":${JSON.stringify(this.totals)},"rules":${JSON.stringify(this.ruleCounts)},"layouts":${JSON.stringify([...layouts.keys()].map((l) => l.names))}}`;
    yield text;
  }

  /** Restore a state saved by toJSON (or an earlier version). Unknown or damaged parts are skipped, never believed. */
  load(state: ValidatorState | undefined, now: number): void {
    if (!state || typeof state !== "object") return;
    if (state.version === 3) this.loadV3(state, now);
    else if (state.version === 1 || state.version === 2) this.loadV2(state, now);
    else return;
    this.dedup.load(state.dedup, now);
    if (state.totals) Object.assign(this.totals, state.totals);
    if (state.rules) Object.assign(this.ruleCounts, state.rules);
  }

  private loadV3(state: Extract<ValidatorState, { version: 3 }>, now: number): void {
    const layouts = Array.isArray(state.layouts) ? state.layouts : [];
    for (const [id, r] of Object.entries(state.devices ?? {})) {
      if (!Array.isArray(r)) continue;
      const [h, c, li, shared, slots, silent, driftAlert] = r;
      const dev = this.device(id, typeof h === "number" ? h : now);
      if (Array.isArray(c)) Object.assign(dev.counts, { passed: num(c[0]), flagged: num(c[1]), rejected: num(c[2]), duplicates: num(c[3]) });
      dev.silent = silent === 1;
      if (typeof driftAlert === "number") dev.driftAlert = driftAlert;
      const names = typeof li === "number" ? layouts[li] : undefined;
      if (!Array.isArray(names) || !Array.isArray(slots) || !names.every((n) => typeof n === "string")) continue;
      const sharedT = Array.isArray(shared) ? deltasToTimes(shared) : [];
      this.restore(dev, names, (name, i) => {
        const s = slots[i];
        if (!Array.isArray(s)) return undefined;
        const [v, run, own, all, hours] = s;
        // Without its own times, a slot has the newest of the device's.
        const t = Array.isArray(own) ? deltasToTimes(own) : Array.isArray(v) && v.length <= sharedT.length ? sharedT.slice(sharedT.length - v.length) : undefined;
        return { t, v, run, all: Array.isArray(all) ? all : undefined, hours: Array.isArray(hours) ? unflattenHours(hours) : undefined };
      });
    }
  }

  private loadV2(state: Extract<ValidatorState, { version: 1 | 2 }>, now: number): void {
    for (const [id, d] of Object.entries(state.devices ?? {})) {
      if (!d || typeof d !== "object") continue;
      const dev = this.device(id, typeof d.h === "number" ? d.h : now);
      dev.silent = d.s === 1;
      if (typeof d.d === "number") dev.driftAlert = d.d;
      if (d.c) Object.assign(dev.counts, d.c);
      if (!d.m || typeof d.m !== "object") continue;
      const shared = state.version === 2 && Array.isArray(d.t) ? deltasToTimes(d.t) : undefined;
      this.restore(dev, Object.keys(d.m), (name) => {
        const s = d.m[name];
        if (!s || typeof s !== "object") return undefined;
        const t = state.version === 1 ? s.t : Array.isArray(s.t) ? deltasToTimes(s.t) : shared;
        return { t: Array.isArray(t) ? (t as number[]) : undefined, v: s.v, run: s.r, all: s.a, hours: Array.isArray(s.hr) ? s.hr : undefined };
      });
    }
  }

  /** Put saved slots (by name) into a device's buffer, as much of each as its rules keep now. */
  private restore(dev: Device, names: string[], slot: (name: string, i: number) => { t?: number[]; v: unknown; run: unknown; all?: unknown; hours?: unknown[] } | undefined): void {
    const layout = this.layoutOf(names.slice());
    const b = new Float64Array(layout.size);
    let fed = false;
    for (let i = 0; i < names.length; i++) {
      const spec = layout.specs[i];
      if (spec.size === 0) continue;
      const s = slot(names[i], i);
      if (!s) continue;
      const at = layout.off[i];
      const { t, v } = s;
      if (spec.cap > 0 && Array.isArray(v) && Array.isArray(t) && t.length === v.length && v.length > 0 && v.every(isNum) && t.every(isNum)) {
        const from = Math.max(0, v.length - spec.cap);
        for (let k = from; k < v.length; k++) {
          b[at + 2 + k - from] = t[k];
          b[at + 2 + spec.cap + k - from] = v[k] as number;
        }
        b[at] = v.length - from;
        b[at + 1] = isNum(s.run) ? s.run : 0;
        fed = true;
      }
      if (spec.all >= 0 && isBaseline(s.all)) {
        b.set(s.all, at + spec.all);
        fed = true;
      }
      if (spec.hours >= 0 && Array.isArray(s.hours)) {
        for (let h = 0; h < 24 && h < s.hours.length; h++) {
          const x = s.hours[h];
          if (isBaseline(x)) {
            b.set(x, at + spec.hours + 3 * h);
            fed = true;
          }
        }
      }
    }
    dev.layout = layout;
    dev.shape = undefined;
    dev.buf = b;
    dev.fed = fed;
  }
}

/** A device as saved; `layouts` numbers the layouts in the order they are met. */
function deviceRecord(d: Device, layouts: Map<Layout, number>): DeviceRecord {
  const layout = d.layout;
  let li = layouts.get(layout);
  if (li === undefined) layouts.set(layout, (li = layouts.size));
  const b = d.buf;
  const slots: SlotRecord[] = new Array<SlotRecord>(layout.names.length);
  // The times the device's slots share (they are read together): those of the slot holding the most, saved once;
  // a slot whose times are the newest of them saves none.
  let most = -1;
  for (let i = 0; i < slots.length; i++) {
    const spec = layout.specs[i];
    if (spec.cap > 0 && b[layout.off[i]] > (most < 0 ? 0 : b[layout.off[most]])) most = i;
  }
  const shared = most < 0 ? undefined : b.subarray(layout.off[most] + 2, layout.off[most] + 2 + b[layout.off[most]]);
  for (let i = 0; i < slots.length; i++) {
    const spec = layout.specs[i];
    const at = layout.off[i];
    if (spec.size === 0) {
      slots[i] = 0;
      continue;
    }
    const held = spec.cap > 0 ? b[at] : 0;
    const rec: [number[], number?, (Deltas | 0)?, (Baseline | 0)?, number[]?] = [Array.from(b.subarray(at + 2 + spec.cap, at + 2 + spec.cap + held))];
    if (held > 0) {
      rec[1] = b[at + 1];
      const t = b.subarray(at + 2, at + 2 + held);
      if (!sameNumbers(t, shared!.subarray(shared!.length - held))) rec[2] = timesToDeltas(Array.from(t));
    }
    if (spec.all >= 0 && b[at + spec.all] > 0) {
      rec[1] ??= 0;
      rec[2] ??= 0;
      rec[3] = shortBaseline(b, at + spec.all);
    }
    if (spec.hours >= 0) {
      const flat: number[] = [];
      let any = false;
      for (let h = 0; h < 24; h++) {
        const o = at + spec.hours + 3 * h;
        if (b[o] > 0) {
          flat.push(b[o], digits10(b[o + 1]), digits10(b[o + 2]));
          any = true;
        } else flat.push(0);
      }
      if (any) {
        rec[1] ??= 0;
        rec[2] ??= 0;
        rec[3] ??= 0;
        rec[4] = flat;
      }
    }
    slots[i] = held === 0 && rec.length === 1 ? 0 : rec;
  }
  const sharedDeltas: Deltas | 0 = shared ? timesToDeltas(Array.from(shared)) : 0;
  const r: DeviceRecord = [d.heard, [d.counts.passed, d.counts.flagged, d.counts.rejected, d.counts.duplicates], li, sharedDeltas, slots];
  if (d.silent || Number.isFinite(d.driftAlert)) r[5] = d.silent ? 1 : 0;
  if (Number.isFinite(d.driftAlert)) r[6] = d.driftAlert;
  return r;
}

/** Saved hours (n, mean, m2 for an hour with values; 0 for one without) → 24 baselines or nulls. */
function unflattenHours(flat: unknown[]): (Baseline | null)[] {
  const out: (Baseline | null)[] = [];
  for (let i = 0; i < flat.length && out.length < 24; ) {
    const n = flat[i];
    if (n === 0) {
      out.push(null);
      i++;
    } else {
      const b = [n, flat[i + 1], flat[i + 2]];
      out.push(isBaseline(b) ? b : null);
      i += 3;
    }
  }
  return out;
}

const isNum = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
const num = (x: unknown): number => (isNum(x) ? x : 0);
const isBaseline = (b: unknown): b is Baseline => Array.isArray(b) && b.length === 3 && isNum(b[0]) && b[0] > 0 && isNum(b[1]) && isNum(b[2]);

/** Same names in the same order (names from Object.keys are interned: mostly one comparison of references each). */
function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function addFlag(o: { flags?: string[] }, flag: string): void {
  if (!o.flags) o.flags = [flag];
  else if (!o.flags.includes(flag)) o.flags.push(flag);
}

function sameNumbers(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A baseline to save: n exact, mean and m2 to 10 significant digits (a relative change below 1e-9). */
function shortBaseline(b: Float64Array, at: number): Baseline {
  return [b[at], digits10(b[at + 1]), digits10(b[at + 2])];
}

/** x to 10 significant digits (toPrecision is ten times slower, and this runs for every baseline of every device). */
function digits10(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const p = 9 - Math.floor(Math.log10(Math.abs(x)));
  if (p <= 0 || p > 300) return x;
  const f = POW10[p] ?? 10 ** p;
  return Math.round(x * f) / f;
}
const POW10 = Array.from({ length: 40 }, (_, i) => 10 ** i);

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
