/**
 * The short per-endpoint history the diagnosis needs, kept in memory and saved as one document (a StateFile): pure
 * data and pure updates, with the time of each observation as an argument (no clock inside).
 *
 * - reboots, inferred (Object 3 has no reboot counter): a Register after an earlier one (but not right after the
 *   registration expired: a device that lost its link for longer than its lifetime registers again without
 *   rebooting), the `restarted` event (a Register over a live registration), or Current Time (/3/0/13) jumping back
 *   by more than `clockJumpSeconds`;
 * - Memory Free (/3/0/10) and Battery Level (/3/0/9) samples, with the time they were read and, when the input
 *   carried Current Time (/3/0/13), the device's time (a device's values move in its own time: a simulator runs
 *   faster than the wall clock, a gateway may read in bursts or replay);
 * - the firmware version (/3/0/3), when it changed and what it was before;
 * - the error codes (/3/0/11) present, since when, and which were present before the last reboot;
 * - the last value of every resource of objects 3, 4 and 5 that the tree reads (so that an event alone can be
 *   diagnosed, and a restart of Node-RED keeps them).
 */
import { isRec } from "../shared/util";

export interface Sample {
  /** When it was read (the input's `at`, else the wall clock): what the windows and reboots are compared with. */
  at: number;
  v: number;
  /** The device's Current Time (/3/0/13) read with it, when the input carried one: what trends are timed by. */
  dev?: number;
}

export interface EndpointHistory {
  /** Last input about this endpoint (ms). */
  seen: number;
  /** The last registration event: registered/updated/restarted → "live"; "deregistered"; "expired". */
  reg?: "live" | "deregistered" | "expired";
  /** Registrations seen (ms), newest last. */
  registrations: number[];
  /** Inferred reboots (ms), ascending, and how each was inferred. */
  reboots: { at: number; how: "register" | "restarted" | "clock" }[];
  /** The device's Current Time at the last snapshot, and when that snapshot was taken. */
  clock?: { device: number; at: number };
  memory: Sample[];
  battery: Sample[];
  firmware?: { version: string; since?: number; previous?: string };
  /** Non-zero error codes present now, and since when. */
  faults: { code: number; since: number }[];
  /** Error codes present before the last reboot, waiting for the first snapshot after it. */
  faultsBeforeReboot?: number[];
  /** Error codes present before a reboot and still present after it. */
  persisted: number[];
  /** The last value of each resource read (flat path → value, e.g. "/4/0/2" → -120, "/3/0/6" → { "0": 1 }). */
  values: Record<string, unknown>;
  /** When each object's values were last read. */
  readAt: Record<string, number>;
}

export interface HistoryState {
  format: 1;
  endpoints: Record<string, EndpointHistory>;
}

/** The resources the tree reads. Object 3 Device, 4 Connectivity Monitoring, 5 Firmware Update (OMA registry). */
export const WATCHED: Readonly<Record<string, readonly number[]>> = Object.freeze({
  "3": [3, 6, 7, 9, 10, 11, 13, 20, 21],
  "4": [0, 1, 2, 3, 11, 13],
  "5": [3, 5, 7],
});

/** Samples kept per series: enough for the current and the previous sawtooth tooth at a 15-minute rate. */
export const MAX_SAMPLES = 200;
/** Reboots kept per endpoint (besides those within the windows). */
export const MAX_REBOOTS = 100;
/** Registrations kept per endpoint. */
const MAX_REGISTRATIONS = 50;

export function emptyHistory(at: number): EndpointHistory {
  return { seen: at, registrations: [], reboots: [], memory: [], battery: [], faults: [], persisted: [], values: {}, readAt: {} };
}

/** A number from a decoded value (integers beyond 2^53 come as decimal strings). */
export function num(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string" && /^\s*[+-]?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

/** A multi-instance resource as { instance: value }, whether it came wrapped, bare or as an array. */
export function instances(v: unknown): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (Array.isArray(v)) return Object.fromEntries(v.map((x, i) => [String(i), x]));
  if (isRec(v) && !Buffer.isBuffer(v)) return v;
  return { "0": v };
}

/** Epoch ms of a decoded Time (UTC ISO string), or of epoch seconds/ms as a number. */
export function timeOf(v: unknown): number | undefined {
  if (typeof v === "string") {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : undefined;
  }
  if (typeof v === "number" && Number.isFinite(v)) return v < 1e11 ? v * 1000 : v;
  if (v instanceof Date) return v.getTime();
  return undefined;
}

/** Non-zero error codes in /3/0/11's value (wrapped, bare or an array). */
export function errorCodes(v: unknown): number[] {
  const out: number[] = [];
  for (const x of Object.values(instances(v))) {
    const n = num(x);
    if (n !== undefined && n !== 0 && !out.includes(n)) out.push(n);
  }
  return out.sort((a, b) => a - b);
}

/**
 * The resources of one object instance in a snapshot's `objects`: `{ "3": { "0": { ...resources } } }` (a read of
 * /3) or `{ "3": { ...resources } }` (a read of /3/0). An instance map is recognised by instance "0" being an
 * object that is not a multi-instance resource's value (a Buffer).
 */
export function instanceOf(objects: Record<string, unknown>, objectId: string): Record<string, unknown> | undefined {
  const o = objects[objectId] ?? objects[`/${objectId}`] ?? objects[`/${objectId}/0`];
  if (!isRec(o)) return undefined;
  const first = o["0"];
  const keys = Object.keys(o);
  if (isRec(first) && !Buffer.isBuffer(first) && keys.every((k) => isRec(o[k]))) return first; // nested instances: instance 0
  return o;
}

export interface Limits {
  clockJumpSeconds: number;
}

function pushSorted<T extends { at: number }>(list: T[], item: T, max: number): void {
  let i = list.length;
  while (i > 0 && list[i - 1].at > item.at) i--;
  list.splice(i, 0, item);
  if (list.length > max) list.splice(0, list.length - max);
}

/** Record a reboot at `at`: the faults present now wait for the first snapshot after it. */
export function addReboot(h: EndpointHistory, at: number, how: "register" | "restarted" | "clock"): void {
  // one reboot, however many ways it shows (a `restarted` event and the clock jumping back at the next read)
  const last = h.reboots[h.reboots.length - 1];
  if (last && how === "clock" && h.clock && last.at >= h.clock.at) return;
  pushSorted(h.reboots, { at, how }, MAX_REBOOTS);
  h.faultsBeforeReboot = h.faults.map((f) => f.code);
}

/** A registration event from lwm2m-in (or the server). Returns whether it counted as a reboot. */
export function applyEvent(h: EndpointHistory, event: string, at: number): boolean {
  h.seen = Math.max(h.seen, at);
  let reboot = false;
  switch (event) {
    case "registered":
      // the first Register we see is not a reboot we can date; a Register right after expiry is a lost link
      if (h.registrations.length > 0 && h.reg !== "expired") reboot = true;
      h.registrations.push(at);
      h.reg = "live";
      break;
    case "restarted":
      reboot = true;
      h.registrations.push(at);
      h.reg = "live";
      break;
    case "updated":
      h.reg = "live";
      break;
    case "deregistered":
      h.reg = "deregistered";
      break;
    case "expired":
      h.reg = "expired";
      break;
    default:
      break;
  }
  if (h.registrations.length > MAX_REGISTRATIONS) h.registrations.splice(0, h.registrations.length - MAX_REGISTRATIONS);
  if (reboot) addReboot(h, at, event === "restarted" ? "restarted" : "register");
  return reboot;
}

/**
 * Values read from the device (a snapshot's objects, or a notification's path and value) at `at`. Objects read
 * whole replace what was known of them; single resources update theirs.
 */
export function applyValues(h: EndpointHistory, values: Record<string, unknown>, wholeObjects: readonly string[], at: number, limits: Limits): void {
  h.seen = Math.max(h.seen, at);
  for (const o of wholeObjects) {
    for (const p of Object.keys(h.values)) if (p.startsWith(`/${o}/`)) delete h.values[p];
    h.readAt[o] = at;
  }
  for (const [p, v] of Object.entries(values)) h.values[p] = v;

  // Current Time jumping back: the device restarted (its clock began again). Two reads in the same millisecond (a
  // burst, a replay) are still in order; a read older than the last one is a late arrival, not a restart.
  const device = "/3/0/13" in values ? timeOf(values["/3/0/13"]) : undefined;
  if (device !== undefined) {
    if (h.clock && at >= h.clock.at && device < h.clock.device - limits.clockJumpSeconds * 1000) addReboot(h, at, "clock");
    if (!h.clock || at >= h.clock.at) h.clock = { device, at };
  }
  const sample = (v: number): Sample => (device === undefined ? { at, v } : { at, v, dev: device });
  if ("/3/0/3" in values && typeof values["/3/0/3"] === "string" && values["/3/0/3"] !== "") {
    const version = values["/3/0/3"];
    if (!h.firmware) h.firmware = { version };
    else if (h.firmware.version !== version) h.firmware = { version, since: at, previous: h.firmware.version };
  }
  if ("/3/0/10" in values) {
    const v = num(values["/3/0/10"]);
    if (v !== undefined) pushSorted(h.memory, sample(v), MAX_SAMPLES);
  }
  if ("/3/0/9" in values) {
    const v = num(values["/3/0/9"]);
    if (v !== undefined) pushSorted(h.battery, sample(v), MAX_SAMPLES);
  }
  if ("/3/0/11" in values) {
    const codes = errorCodes(values["/3/0/11"]);
    h.faults = codes.map((code) => h.faults.find((f) => f.code === code) ?? { code, since: at });
    if (h.faultsBeforeReboot) {
      // the first error log after a reboot: what was there before and is still there persisted
      h.persisted = h.faultsBeforeReboot.filter((c) => codes.includes(c));
      h.faultsBeforeReboot = undefined;
    } else h.persisted = h.persisted.filter((c) => codes.includes(c));
  }
}

/**
 * The watched resources of a snapshot's `objects` as flat paths, and the objects it read whole. Unknown objects
 * and resources are ignored.
 */
export function flattenSnapshot(objects: Record<string, unknown>): { values: Record<string, unknown>; whole: string[] } {
  const values: Record<string, unknown> = {};
  const whole: string[] = [];
  for (const [o, ids] of Object.entries(WATCHED)) {
    const inst = instanceOf(objects, o);
    if (!inst) continue;
    whole.push(o);
    for (const id of ids) if (inst[String(id)] !== undefined) values[`/${o}/0/${id}`] = inst[String(id)];
  }
  return { values, whole };
}

/** A notification's path and value as flat watched paths ("/3/0/10" → 800; "/3/0" → its resources). */
export function flattenPath(path: string, value: unknown): { values: Record<string, unknown>; whole: string[] } {
  const m = /^\/?(\d+)(?:\/(\d+)(?:\/(\d+))?)?\/?$/.exec(path.trim());
  if (!m) return { values: {}, whole: [] };
  const [, o, i, r] = m;
  if (!WATCHED[o]) return { values: {}, whole: [] };
  if (r !== undefined) {
    if (i !== "0" || !WATCHED[o].includes(Number(r))) return { values: {}, whole: [] };
    return { values: { [`/${o}/0/${r}`]: value }, whole: [] };
  }
  if (!isRec(value) || (i !== undefined && i !== "0")) return { values: {}, whole: [] };
  return flattenSnapshot({ [o]: i === undefined ? value : { "0": value } });
}
