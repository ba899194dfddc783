/**
 * Duplicate detection by the seeds' idempotency key, device ID + original timestamp (000 "No message
 * deduplication"; 002 "composite keys (meter_id + timestamp) as deduplication keys"), with a fingerprint of the
 * values so that a duplicate carrying different values (billing must know) is told from an exact one.
 *
 * Memory is bounded two ways: keys expire once their timestamp is older than the window (48 h by default,
 * store-forward's age cap), and a hard cap on the number of keys evicts the oldest key when it bites, counted in
 * `capped`. Per device the keys are two sorted arrays of numbers (time, fingerprint): ~16 bytes a key, so 10,000
 * meters at 15-minute readings over 48 h (1.92 M keys) fit in tens of megabytes, not the gigabyte strings would take.
 * Saved, a key is about 6 bytes of JSON (see DedupState).
 */
interface DeviceKeys {
  /** Timestamps (epoch ms), ascending, from `head` on (the front is expired lazily). */
  ts: number[];
  fp: number[];
  head: number;
}

export type DedupVerdict = "new" | "duplicate" | "conflict";

/**
 * What the dedup store keeps across restarts: per device, its keys' times as Deltas (epoch seconds, the first one
 * whole and each next one as the step from the one before, a run of equal steps as [step, count]), and their
 * fingerprints as one text: with `fp: 4`, the 4 bytes of each (big-endian) in base64url, 5.33 characters a key;
 * without it (the second format), 6 characters a key (32 bits in 6 × 6). (The first format, two arrays of epoch ms
 * and fingerprints, is still read.)
 */
export interface DedupState {
  devices: Record<string, DedupRecord>;
  /** 4: fingerprint texts are base64url of 4 bytes a key. */
  fp?: 4;
}

/** One device's keys as saved. */
export type DedupRecord = [Deltas, string] | [number[], number[]];

export class DedupStore {
  private readonly devices = new Map<string, DeviceKeys>();
  private count = 0;
  /** Keys evicted by the hard cap before they expired. */
  capped = 0;
  /** Keys expired by time. */
  expired = 0;

  constructor(
    /** The window (ms); keys with a timestamp older than now - window are forgotten. 0 turns dedup off. */
    readonly windowMs: number,
    /** The most keys kept in all. */
    readonly maxKeys: number,
  ) {}

  get size(): number {
    return this.count;
  }

  get enabled(): boolean {
    return this.windowMs > 0;
  }

  /** Is (device, ts) new, an exact duplicate (same fingerprint), or a conflicting one? */
  check(deviceId: string, ts: number, fp: number): DedupVerdict {
    const d = this.devices.get(deviceId);
    if (!d) return "new";
    const i = find(d, ts);
    if (i < 0) return "new";
    return d.fp[i] === fp || d.fp[i] === ANY ? "duplicate" : "conflict";
  }

  /** Remember (device, ts), unless it is already outside the window at `now`. */
  add(deviceId: string, ts: number, fp: number, now: number): void {
    if (!this.enabled || ts < now - this.windowMs) return;
    let d = this.devices.get(deviceId);
    if (!d) {
      d = { ts: [], fp: [], head: 0 };
      this.devices.set(deviceId, d);
    }
    this.expireDevice(d, now - this.windowMs);
    if (this.count >= this.maxKeys) this.evictOne(d);
    const n = d.ts.length;
    if (n === d.head || ts > d.ts[n - 1]) {
      d.ts.push(ts);
      d.fp.push(fp);
    } else {
      const i = lowerBound(d, ts);
      if (d.ts[i] === ts) {
        d.fp[i] = fp;
        return;
      }
      d.ts.splice(i, 0, ts);
      d.fp.splice(i, 0, fp);
    }
    this.count++;
  }

  /** Forget every key older than the window at `now`; devices left without keys are dropped. */
  expire(now: number): void {
    const cutoff = now - this.windowMs;
    for (const [id, d] of this.devices) {
      this.expireDevice(d, cutoff);
      if (d.head >= d.ts.length) this.devices.delete(id);
    }
  }

  toJSON(): DedupState {
    const devices: DedupState["devices"] = {};
    for (const [id, rec] of this.records()) devices[id] = rec;
    return { devices, fp: 4 };
  }

  /**
   * Each device's keys as saved (toJSON's `devices`, one device at a time, for a document encoded in parts).
   * Devices added or dropped while this runs are seen or not, as a Map's iterator sees them.
   */
  *records(): Generator<[string, DedupRecord]> {
    for (const [id, d] of this.devices) {
      if (d.head >= d.ts.length) continue;
      yield [id, [timesToDeltas(d.ts, d.head), fingerprintsToBase64(d.fp, d.head)]];
    }
  }

  /** Restore keys saved by toJSON (those already expired at `now` are left out). */
  load(state: DedupState | undefined, now: number): void {
    if (!state || typeof state.devices !== "object" || state.devices === null) return;
    const packed = state.fp === 4;
    for (const [id, pair] of Object.entries(state.devices)) {
      if (!Array.isArray(pair) || !Array.isArray(pair[0])) continue;
      let ts: number[];
      let fp: number[];
      if (typeof pair[1] === "string") {
        ts = deltasToTimes(pair[0] as unknown[]);
        fp = packed ? base64ToFingerprints(pair[1]) : textToFingerprints(pair[1]);
      } else if (Array.isArray(pair[1])) {
        // The first format: epoch ms, and CRC-32 fingerprints that the present fingerprint cannot be compared
        // with: a reading with such a key is taken as an exact duplicate (dropped and counted, never rejected).
        ts = pair[0] as number[];
        fp = pair[1].map((x) => (typeof x === "number" ? ANY : NaN));
      } else continue;
      for (let i = 0; i < ts.length && i < fp.length; i++) if (typeof ts[i] === "number" && Number.isFinite(ts[i]) && typeof fp[i] === "number" && Number.isFinite(fp[i])) this.add(id, ts[i], fp[i], now);
    }
  }

  private expireDevice(d: DeviceKeys, cutoff: number): void {
    let h = d.head;
    while (h < d.ts.length && d.ts[h] < cutoff) h++;
    if (h === d.head) return;
    this.expired += h - d.head;
    this.count -= h - d.head;
    d.head = h;
    // Compact once the dead front is at least half the arrays.
    if (h > 64 && h * 2 >= d.ts.length) {
      d.ts = d.ts.slice(h);
      d.fp = d.fp.slice(h);
      d.head = 0;
    }
  }

  /** The cap bites: drop the oldest key of `prefer` (the device being added to), else of the longest-known device. */
  private evictOne(prefer: DeviceKeys): void {
    let d: DeviceKeys | undefined = prefer.head < prefer.ts.length ? prefer : undefined;
    if (!d) {
      for (const [id, other] of this.devices) {
        if (other.head < other.ts.length) {
          d = other;
          break;
        }
        this.devices.delete(id);
      }
    }
    if (!d) return;
    d.head++;
    this.count--;
    this.capped++;
  }
}

/** Saved times: epoch seconds, the first whole, then each step from the one before; `[step, n]` is n equal steps. */
export type Deltas = (number | [number, number])[];

/**
 * Ascending epoch-ms times from `from` on → Deltas. Seconds keep the milliseconds as a fraction (exact after
 * Math.round(x * 1000) on the way back). Meters read on a period, so 192 keys of 15-minute readings are
 * `[1770000000, [900, 191]]`.
 */
export function timesToDeltas(ts: readonly number[], from = 0): Deltas {
  const out: Deltas = [];
  let prev = 0;
  for (let i = from; i < ts.length; ) {
    const step = ts[i] - prev;
    let k = i + 1;
    if (i > from) while (k < ts.length && ts[k] - ts[k - 1] === step) k++;
    out.push(k - i >= 3 ? [step / 1000, k - i] : step / 1000);
    if (k - i < 3) k = i + 1;
    prev = ts[k - 1];
    i = k;
  }
  return out;
}

/** The reverse of timesToDeltas; anything that is not a finite number makes the rest NaN (skipped by the caller). */
export function deltasToTimes(d: readonly unknown[]): number[] {
  const out: number[] = [];
  let t = 0;
  for (const x of d) {
    if (typeof x === "number" && Number.isFinite(x)) out.push((t += Math.round(x * 1000)));
    else if (Array.isArray(x) && typeof x[0] === "number" && Number.isFinite(x[0]) && Number.isInteger(x[1]) && x[1] > 0 && x[1] <= 1e7) {
      const step = Math.round(x[0] * 1000);
      for (let k = 0; k < x[1]; k++) out.push((t += step));
    } else {
      out.push(NaN);
      t = NaN;
    }
  }
  return out;
}

/** A key restored from the first format: any fingerprint matches it. */
const ANY = -1;

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64_INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** 32-bit fingerprints → their 4 bytes each, big-endian, in base64url (16 characters for 3 keys). */
function fingerprintsToBase64(fp: readonly number[], from: number): string {
  const out = Buffer.allocUnsafe((fp.length - from) * 4);
  let o = 0;
  for (let i = from; i < fp.length; i++, o += 4) out.writeUInt32BE(fp[i] === ANY ? 0xffffffff : fp[i] >>> 0, o);
  return out.toString("base64url");
}

/** The reverse; a text that is not whole keys gives none (the device's keys are skipped). */
function base64ToFingerprints(s: string): number[] {
  const buf = Buffer.from(s, "base64url");
  if (buf.length % 4 !== 0 || buf.toString("base64url") !== s) return [];
  const out = new Array<number>(buf.length / 4);
  for (let k = 0; k < out.length; k++) {
    const x = buf.readUInt32BE(k * 4);
    out[k] = x === 0xffffffff ? ANY : x;
  }
  return out;
}

/** The second format's fingerprints, 6 characters each (32 bits in 6 × 6, the top one carrying 2), still read; a damaged group gives NaN (that key is skipped). */
function textToFingerprints(s: string): number[] {
  const out = new Array<number>(Math.floor(s.length / 6));
  for (let k = 0; k < out.length; k++) {
    let x = 0;
    for (let j = 0; j < 6; j++) {
      const c = s.charCodeAt(k * 6 + j);
      const v = c < 128 ? B64_INDEX[c] : -1;
      if (v < 0 || (j === 0 && v > 3)) {
        x = NaN;
        break;
      }
      x = x * 64 + v;
    }
    out[k] = x === 0xffffffff ? ANY : x;
  }
  return out;
}

function lowerBound(d: DeviceKeys, ts: number): number {
  let lo = d.head;
  let hi = d.ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (d.ts[mid] < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function find(d: DeviceKeys, ts: number): number {
  const n = d.ts.length;
  if (n === d.head || ts > d.ts[n - 1] || ts < d.ts[d.head]) return -1;
  const i = lowerBound(d, ts);
  return i < n && d.ts[i] === ts ? i : -1;
}

/**
 * The fingerprint of a reading's values: for each measurement a 32-bit hash of its name, value and unit, summed
 * (mod 2^32) over the measurements, so the order of the names does not matter and nothing is sorted or built as a
 * string. Numbers are hashed by their IEEE 754 bits (0 and -0 alike, every NaN alike), strings by their UTF-16 code
 * units, with a tag per type (1 and "1" differ). Quality and flags are left out: a replay that an earlier validate
 * flagged is still the same reading. Names and units repeat from reading to reading: their hashes are cached.
 */
export function fingerprint(measurements: Record<string, { value: unknown; unit?: string }>, names: readonly string[] = Object.keys(measurements)): number {
  let sum = 0;
  for (let i = 0; i < names.length; i++) {
    const m = measurements[names[i]];
    sum = (sum + measurementHash(nameSeed(names[i]), m.value, unitSeed(m.unit))) | 0;
  }
  return sum >>> 0;
}

/** A measurement name's part of the fingerprint (the same for every reading: a caller may keep it). */
export function nameSeed(name: string): number {
  return mix(textHash(name) ^ 0x9e3779b9);
}

/** A unit's part of the fingerprint (the same for every reading: a caller may keep it). */
export function unitSeed(unit: string | undefined): number {
  return unit === undefined ? 0x5bd1e995 : textHash(unit);
}

/** One measurement's term of the fingerprint (their sum mod 2^32, as an unsigned number, is the fingerprint). */
export function measurementHash(nameSeed: number, value: unknown, unitSeed: number): number {
  return mix(mix(nameSeed ^ valueHash(value)) ^ unitSeed);
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function valueHash(v: unknown): number {
  switch (typeof v) {
    case "number":
      if (v === 0) return 0x2545f491; // 0 and -0
      if (v !== v) return 0x61c88647; // NaN
      f64[0] = v;
      return mix(u32[0] ^ mix(u32[1] ^ 0x27d4eb2f));
    case "string":
      return mix(fnv(v) ^ 0x165667b1);
    case "boolean":
      return v ? 0x85ebca6b : 0xc2b2ae35;
    default:
      return 0x1b873593; // null (and anything the schema refused)
  }
}

const cache = new Map<string, number>();

function textHash(s: string): number {
  let h = cache.get(s);
  if (h === undefined) {
    h = fnv(s);
    if (cache.size >= 4096) cache.clear();
    cache.set(s, h);
  }
  return h;
}

/** FNV-1a over UTF-16 code units. */
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/** murmur3's finaliser: every input bit moves every output bit. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}
