/**
 * The validate engine (VEE at the gateway): schema, clock drift, duplicates, per-measurement rules (range,
 * monotonic with rollover and meter change, rate, sigma, flatline), silence. Pure: no Node-RED, no timers, no
 * files; the caller gives the time. Its state (per device and measurement: recent values, baselines, flatline
 * runs; the dedup keys; the counts) is a plain document (toJSON/load) that the node writes through a StateFile.
 *
 * A payload is one reading or an array of them; each reading is judged, then (if it passed) committed to the state
 * before the next, so a duplicate in the same array as its original is caught.
 */
import { DateTime } from "luxon";
import { type CanonicalReading, type Measurement, type Quality, validateReading, worseQuality } from "../shared/canonical-reading";
import { isoUtc } from "../shared/time";
import { DedupStore, deltasToTimes, fingerprint, timesToDeltas, type DedupState, type Deltas } from "./dedup";
import { checkDrift, type DriftPolicy } from "./drift";
import { fastReadingTime } from "./fast-check";
import { rulesFor, type CompiledRule, type RuleAction } from "./rules";
import { addValue, newBaseline, spike, type Baseline } from "./welford";

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

/** Per device and measurement. */
interface Series {
  /** Recent times (epoch ms, ascending) and values. */
  t: number[];
  v: number[];
  /** How many times in a row the newest value repeated. */
  run: number;
  /** Welford baselines: over all hours, and per hour of day (0-23). */
  all?: Baseline;
  hours?: (Baseline | null)[];
}

interface Device {
  series: Map<string, Series>;
  /** When the node last heard from it (node clock). */
  heard: number;
  silent: boolean;
  /** When a clock-drift alert last went out. */
  driftAlert: number;
  counts: Counts;
}

/**
 * The saved state. Version 2 (smaller): a series' times `t` are Deltas (epoch seconds, the first whole, then the
 * steps, runs of equal steps as [step, count]: see timesToDeltas); the times the device's series share (they are
 * read together) are saved once, as the device's `t`, and a series without its own `t` has those; the baselines'
 * mean and m2 keep 10 significant digits. Version 1 (epoch ms per series) is still read.
 */
export interface ValidatorState {
  version: 1 | 2;
  devices: Record<string, { h: number; s?: 1; d?: number; c: Counts; t?: Deltas; m: Record<string, { t?: number[] | Deltas; v: number[]; r: number; a?: Baseline; hr?: (Baseline | null)[] }> }>;
  dedup: DedupState;
  totals: Counts;
  rules: Record<string, number>;
}

const HOUR = 3_600_000;
const newCounts = (): Counts => ({ passed: 0, flagged: 0, rejected: 0, duplicates: 0 });

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
  s: Series | undefined;
  hits: Hit[];
  step?: number;
  reset: boolean;
  inOrder: boolean;
  rules: CompiledRule[];
}

const newJudged = (): Judged => ({ name: "", m: { value: null }, x: 0, s: undefined, hits: [], step: undefined, reset: false, inOrder: true, rules: [] });

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
  private readonly historySize: number;
  private readonly needsHour: boolean;
  private readonly pool: Judged[] = [];
  /** The names of the reading being judged (Object.keys of its measurements, once). */
  private readonly shape = { names: [] as string[] };
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
      d = { series: new Map(), heard: now, silent: false, driftAlert: -Infinity, counts: newCounts() };
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
    // The common shape is checked by hand; anything else (and every error message) is ajv's.
    const shape = this.shape;
    let ts = fastReadingTime(x, shape);
    if (ts !== ts) {
      const check = validateReading(x);
      if (!check.ok) {
        const id = typeof x === "object" && x !== null && typeof (x as { deviceId?: unknown }).deviceId === "string" ? ((x as { deviceId: string }).deviceId) : undefined;
        this.reject(out, x, "schema", check.errors.join("; "), id ? this.device(id, now) : undefined);
        return;
      }
      ts = Date.parse(check.reading.timestamp);
      shape.names = Object.keys(check.reading.measurements);
    }
    const names = shape.names;
    const reading = x as CanonicalReading;
    const dev = this.device(reading.deviceId, now);
    // Heard from: any reading that is one, whatever it is judged.
    dev.heard = now;
    if (dev.silent) {
      dev.silent = false;
      out.alerts.push({ alert: "back", deviceId: reading.deviceId, timestamp: reading.timestamp });
    }

    // Duplicates: the key is the device and the ORIGINAL timestamp (a replay of a corrected reading keeps it).
    const original = typeof reading.source?.originalTimestamp === "string" ? reading.source.originalTimestamp : reading.timestamp;
    const keyTs = original === reading.timestamp ? ts : Date.parse(original);
    let fp = 0;
    if (this.dedup.enabled) {
      fp = fingerprint(reading.measurements, names);
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
    const drift = checkDrift(ts, referenceMs, this.opts.drift);
    let readingFlag: string | undefined; // time-corrected or drift
    let corrected: string | undefined;
    if (drift.kind !== "accept") {
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
    const hour = this.needsHour ? this.hourOf(ts) : 0;
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      const m = reading.measurements[name];
      if (typeof m.value !== "number" || !Number.isFinite(m.value)) continue;
      const rules = this.rules(name, m.unit);
      if (rules.length === 0) continue;
      const j = (judged[n] ??= newJudged());
      this.judge(dev, name, m, ts, rules, hour, j);
      for (const h of j.hits) {
        if (h.action !== "reject") continue;
        this.reject(out, reading, h.name, `${name}: ${h.reason}`, dev);
        return;
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
    for (let k = 0; k < n; k++) {
      const j = judged[k];
      for (const h of j.hits) {
        addFlag(j.m, h.flag);
        const q = FLAG_QUALITY[h.flag] ?? "SUSPECT";
        if (q !== "GOOD") {
          j.m.quality = worseQuality(j.m.quality ?? "GOOD", q);
          flagged = true;
        }
        this.count(h.flag);
        if (h.flag === "counter-reset" && j.inOrder)
          out.alerts.push({ alert: "counter-reset", deviceId: reading.deviceId, measurement: j.name, previous: j.s!.v[j.s!.v.length - 1], value: j.x, timestamp: reading.timestamp });
      }
    }
    reading.quality = worstOf(reading, names);
    for (let k = 0; k < n; k++) this.commit(dev, judged[k], ts, hour, reading.quality);
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

  /** The hour of day in the configured zone (zone offsets are multiples of 15 minutes: cached per quarter hour). */
  private hourOf(ms: number): number {
    const key = Math.floor(ms / 900_000);
    if (this.hourCache.key !== key) this.hourCache = { key, hour: DateTime.fromMillis(ms, { zone: this.opts.timeZone }).hour };
    return this.hourCache.hour;
  }

  private judge(dev: Device, name: string, m: Measurement, ts: number, rules: CompiledRule[], hour: number, j: Judged): void {
    const x = m.value as number;
    const s = dev.series.get(name);
    const hits = j.hits;
    if (hits.length !== 0) hits.length = 0;
    // Neighbours in time: a reading older than the newest is checked against the readings around it.
    let prev = -1;
    let next = -1;
    if (s) {
      let i = s.t.length - 1;
      while (i >= 0 && s.t[i] >= ts) i--;
      prev = i;
      let k = i + 1;
      while (k < s.t.length && s.t[k] === ts) k++;
      next = k < s.t.length ? k : -1;
    }
    const inOrder = next < 0;
    const pv = prev >= 0 ? s!.v[prev] : undefined;
    const pt = prev >= 0 ? s!.t[prev] : undefined;
    let step: number | undefined;
    let reset = false;
    for (const r of rules) {
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
          const nv = s!.v[next];
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
        const b = r.sigmaBy === "hour" ? s?.hours?.[hour] ?? undefined : s?.all;
        const sp = sample === undefined || !b || b[0] < r.sigmaWarmup ? undefined : spike(b, sample, { sigma: r.sigma, warmup: r.sigmaWarmup, floor: r.sigmaFloor });
        if (sp) hit(hits, "spike", "spike", r.action ?? "flag", () => `${round(sample!)} is ${round(sp.z)} σ from the mean ${round(sp.mean)} (σ ${round(sp.sd)}; ${label(r)})`);
      }
      if (r.flatline !== undefined && inOrder && s && s.v.length > 0) {
        const run = s.v[s.v.length - 1] === x ? s.run + 1 : 1;
        if (run >= r.flatline) hit(hits, "flatline", "flatline", r.action ?? "flag", () => `the same value ${x} ${run} times in a row (${label(r)})`);
      }
    }
    j.name = name;
    j.m = m;
    j.x = x;
    j.s = s;
    j.step = step;
    j.reset = reset;
    j.inOrder = inOrder;
    j.rules = rules;
  }

  private commit(dev: Device, j: Judged, ts: number, hour: number, readingQuality: Quality): void {
    const { x, m } = j;
    let s = j.s;
    if (!s) {
      s = { t: [], v: [], run: 0 };
      dev.series.set(j.name, s);
    }
    const last = s.v.length ? s.v[s.v.length - 1] : undefined;
    const pt = s.t.length ? s.t[s.t.length - 1] : undefined;
    if (j.reset) {
      // A meter change: the new register is the baseline.
      s.t = [];
      s.v = [];
      s.run = 0;
    }
    // Baselines learn from GOOD values only (never from flagged ones).
    const good = (m.quality ?? "GOOD") === "GOOD" && readingQuality === "GOOD" && !(m.flags && m.flags.length);
    if (good) {
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
          s.hours ??= new Array<Baseline | null>(24).fill(null);
          addValue((s.hours[hour] ??= newBaseline()), sample);
        } else {
          if (fedAll) continue;
          fedAll = true;
          addValue((s.all ??= newBaseline()), sample);
        }
      }
    }
    if (j.inOrder) {
      s.run = !j.reset && last === x ? s.run + 1 : 1;
      s.t.push(ts);
      s.v.push(x);
    } else {
      let i = s.t.length;
      while (i > 0 && s.t[i - 1] > ts) i--;
      if (i > 0 && s.t[i - 1] === ts) s.v[i - 1] = x;
      else {
        s.t.splice(i, 0, ts);
        s.v.splice(i, 0, x);
      }
    }
    if (s.t.length > this.historySize) {
      s.t.shift();
      s.v.shift();
    }
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
    if (deviceId === undefined) {
      let n = 0;
      for (const d of this.devices.values()) {
        n += d.series.size ? 1 : 0;
        d.series.clear();
      }
      return n;
    }
    const d = this.devices.get(deviceId);
    if (!d) return 0;
    d.series.clear();
    return 1;
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

  toJSON(): ValidatorState {
    const devices: ValidatorState["devices"] = {};
    for (const [id, d] of this.devices) {
      const m: ValidatorState["devices"][string]["m"] = {};
      let shared: number[] | undefined;
      for (const [name, s] of d.series) {
        shared ??= s.t;
        const e: ValidatorState["devices"][string]["m"][string] = { v: s.v, r: s.run };
        if (!sameNumbers(s.t, shared)) e.t = timesToDeltas(s.t);
        if (s.all) e.a = shortBaseline(s.all);
        if (s.hours) {
          const hr = new Array<Baseline | null>(s.hours.length);
          for (let i = 0; i < hr.length; i++) {
            const b = s.hours[i];
            hr[i] = b ? shortBaseline(b) : null;
          }
          e.hr = hr;
        }
        m[name] = e;
      }
      const e: ValidatorState["devices"][string] = { h: d.heard, c: d.counts, m };
      if (d.silent) e.s = 1;
      if (Number.isFinite(d.driftAlert)) e.d = d.driftAlert;
      if (shared) e.t = timesToDeltas(shared);
      devices[id] = e;
    }
    return { version: 2, devices, dedup: this.dedup.toJSON(), totals: Object.assign({}, this.totals), rules: Object.assign({}, this.ruleCounts) };
  }

  /** Restore a state saved by toJSON. Unknown or damaged parts are skipped, never believed. */
  load(state: ValidatorState | undefined, now: number): void {
    if (!state || (state.version !== 1 && state.version !== 2)) return;
    for (const [id, d] of Object.entries(state.devices ?? {})) {
      if (!d || typeof d !== "object") continue;
      const dev = this.device(id, typeof d.h === "number" ? d.h : now);
      dev.silent = d.s === 1;
      if (typeof d.d === "number") dev.driftAlert = d.d;
      if (d.c) Object.assign(dev.counts, d.c);
      const shared = state.version === 2 && Array.isArray(d.t) ? deltasToTimes(d.t) : undefined;
      for (const [name, s] of Object.entries(d.m ?? {})) {
        if (!s || !Array.isArray(s.v)) continue;
        const t: unknown = state.version === 1 ? s.t : Array.isArray(s.t) ? deltasToTimes(s.t) : shared?.slice();
        if (!Array.isArray(t)) continue;
        if (t.length !== s.v.length || t.some((x) => typeof x !== "number" || !Number.isFinite(x)) || s.v.some((x) => typeof x !== "number")) continue;
        dev.series.set(name, { t: t as number[], v: s.v, run: typeof s.r === "number" ? s.r : 0, ...(Array.isArray(s.a) ? { all: s.a } : {}), ...(Array.isArray(s.hr) ? { hours: s.hr } : {}) });
      }
    }
    this.dedup.load(state.dedup, now);
    if (state.totals) Object.assign(this.totals, state.totals);
    if (state.rules) Object.assign(this.ruleCounts, state.rules);
  }
}

function addFlag(o: { flags?: string[] }, flag: string): void {
  if (!o.flags) o.flags = [flag];
  else if (!o.flags.includes(flag)) o.flags.push(flag);
}

/** The worst of the reading's own quality, its measurements' and its flags'. */
function worstOf(r: CanonicalReading, names: readonly string[]): Quality {
  let q: Quality = r.quality;
  for (let i = 0; i < names.length; i++) {
    const mq = r.measurements[names[i]].quality;
    if (mq) q = worseQuality(q, mq);
  }
  if (r.flags) for (const f of r.flags) q = worseQuality(q, FLAG_QUALITY[f] ?? "GOOD");
  return q;
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A baseline to save: n exact, mean and m2 to 10 significant digits (a relative change below 1e-9). */
function shortBaseline(b: Baseline): Baseline {
  return [b[0], digits10(b[1]), digits10(b[2])];
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
