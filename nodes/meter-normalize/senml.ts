/**
 * SenML JSON packs (RFC 8428): base name, base time, base unit, base value and base sum are resolved
 * as section 4.6 says, and the resolved records are grouped into one reading per device and time.
 *
 * - name = bn + n; the device is the base name (a trailing ":" or "/" is cut), the measurement
 *   is n. Without a base name, the measurement is the whole name and the device comes from elsewhere.
 * - time = bt + t, in seconds; a resolved time below 2^28 (and no time at all) is relative to now
 *   (section 4.5.3); "now" is msg.timestamp when the message has one. A time outside the years 0000 to 9999
 *   (what a canonical timestamp can carry) is an error naming the record and the value.
 * - value: v + bv (number), vs (string), vb (boolean), vd (data, kept as its base64 string), s + bs.
 * - unit = u, else bu. A unit that is not a SenML symbol is converted when the units module knows it
 *   ("degF" to "Cel"); otherwise the value is kept, without a unit and with quality SUSPECT.
 * - fields this module does not know are ignored, except that one whose name ends in "_" must be
 *   understood (section 4.4): a pack holding one is an error.
 */
import { InputError } from "../shared/errors";
import { checkTimeRange, MAX_MS, MIN_MS } from "../shared/time";
import { isSenmlUnit, toSenml } from "../shared/units";
import type { Measurement } from "../shared/canonical-reading";
import { tidy } from "../shared/number";
import { isRec, type Rec } from "../shared/util";

export interface SenmlGroup {
  /** Resolved base name without its separator, or undefined. */
  device?: string;
  /** Epoch milliseconds: absolute, or relative to `nowMs` (no time at all means now). */
  timeMs: number;
  measurements: Record<string, Measurement>;
}

const SENML_KEYS = new Set(["bn", "bt", "bu", "bv", "bs", "bver", "n", "u", "v", "vs", "vb", "vd", "s", "t", "ut"]);
const NAME = /^[A-Za-z0-9][A-Za-z0-9:./_-]*$/;
/** A field name ending in "_" (RFC 8428 section 4.4: must be understood). */
const mustUnderstand = (k: string) => k.charCodeAt(k.length - 1) === 95;
const RELATIVE_LIMIT = 2 ** 28;

/**
 * True if `payload` looks like a SenML JSON pack: an array of objects that each hold a SenML field (or a
 * must-understand field, ending in "_"). Other fields are allowed: RFC 8428 says to ignore them.
 */
export function isSenmlPack(payload: unknown): payload is Rec[] {
  if (!Array.isArray(payload) || payload.length === 0) return false;
  return payload.every(
    (r) => isRec(r) &&
      Object.keys(r).some((k) => SENML_KEYS.has(k) || mustUnderstand(k)),
  );
}

function num(r: Rec, key: string, i: number): number | undefined {
  const v = r[key];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new InputError(`SenML record ${i}: "${key}" must be a number`, "bad senml");
  return v;
}

function str(r: Rec, key: string, i: number): string | undefined {
  const v = r[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new InputError(`SenML record ${i}: "${key}" must be a string`, "bad senml");
  return v;
}

/** A value with its unit as a SenML symbol: converted when the unit is known, else SUSPECT and without the unit. */
function withUnit(value: Measurement["value"], unit: string | undefined): Measurement {
  if (unit === undefined) return { value };
  if (isSenmlUnit(unit)) return { value, unit };
  const u = toSenml(unit);
  if (!u) return { value, quality: "SUSPECT" };
  return { value: typeof value === "number" ? tidy(u.convert(value)) : value, unit: u.unit };
}

/** Resolve a SenML pack into readings, one per (device, time). */
export function resolveSenml(pack: Rec[], nowMs: number): SenmlGroup[] {
  let bn = "";
  let bt = 0;
  let bu: string | undefined;
  let bv = 0;
  let bs = 0;
  // Groups by device, then by time: numbers as keys, no key string built per record.
  const byDevice = new Map<string | undefined, Map<number, SenmlGroup>>();
  const groups: SenmlGroup[] = [];
  let times: Map<number, SenmlGroup> | undefined;
  // Names and base names repeat through a pack: each is checked once.
  let checkedName: string | undefined;
  let deviceOf = "";
  let device: string | undefined;
  let sorted = true;
  let lastTime = -Infinity;
  for (let i = 0; i < pack.length; i++) {
    const r = pack[i];
    for (const k in r)
      if (mustUnderstand(k) && !SENML_KEYS.has(k) && Object.prototype.hasOwnProperty.call(r, k))
        throw new InputError(`SenML record ${i}: field "${k}" must be understood (RFC 8428 section 4.4) and this node does not know it`, "bad senml");
    if (r.bver !== undefined && (typeof r.bver !== "number" || r.bver > 10))
      throw new InputError(`SenML record ${i}: base version ${JSON.stringify(r.bver)} is not supported`, "bad senml");
    bn = str(r, "bn", i) ?? bn;
    bt = num(r, "bt", i) ?? bt;
    bu = str(r, "bu", i) ?? bu;
    bv = num(r, "bv", i) ?? bv;
    bs = num(r, "bs", i) ?? bs;
    const n = str(r, "n", i) ?? "";
    const hasValue = r.v !== undefined || r.vs !== undefined || r.vb !== undefined || r.vd !== undefined || r.s !== undefined;
    if (!hasValue) {
      if (n !== "") throw new InputError(`SenML record ${i} ("${bn}${n}") has no value (v, vs, vb, vd or s)`, "bad senml");
      continue; // a record that only sets base fields
    }
    const name = bn + n;
    if (name !== checkedName) {
      if (name === "") throw new InputError(`SenML record ${i} has no name (n or bn)`, "bad senml");
      if (!NAME.test(name)) throw new InputError(`SenML record ${i}: name "${name}" has characters RFC 8428 does not allow`, "bad senml");
      checkedName = name;
    }
    let value: Measurement["value"];
    if (r.v !== undefined) value = (num(r, "v", i) as number) + bv;
    else if (r.vs !== undefined) value = str(r, "vs", i) as string;
    else if (r.vb !== undefined) {
      if (typeof r.vb !== "boolean") throw new InputError(`SenML record ${i}: "vb" must be true or false`, "bad senml");
      value = r.vb;
    } else if (r.vd !== undefined) value = str(r, "vd", i) as string;
    else value = (num(r, "s", i) as number) + bs;
    const t = num(r, "t", i) ?? 0;
    const resolved = bt + t;
    const relative = resolved < RELATIVE_LIMIT;
    const timeMs = relative ? nowMs + Math.round(resolved * 1000) : Math.round(resolved * 1000);
    if (!(timeMs >= MIN_MS && timeMs <= MAX_MS))
      checkTimeRange(timeMs, `SenML record ${i}: time`, `${resolved} s (bt ${bt} + t ${t}${relative ? ", below 2^28 so relative to now" : ""})`);
    if (bn !== deviceOf || times === undefined) {
      device = bn === "" ? undefined : bn.replace(/[:/]$/, "");
      deviceOf = bn;
      times = byDevice.get(device);
      if (!times) byDevice.set(device, (times = new Map()));
    }
    const measurement = bn === "" ? n : n === "" ? (device as string) : n;
    if (measurement === "__proto__") throw new InputError(`SenML record ${i}: "__proto__" cannot be a measurement name`, "bad senml");
    let g = times.get(timeMs);
    if (!g) {
      g = { device, timeMs, measurements: {} };
      times.set(timeMs, g);
      groups.push(g);
      if (timeMs < lastTime) sorted = false;
      lastTime = timeMs;
    }
    const unit = str(r, "u", i) ?? bu;
    g.measurements[measurement] = withUnit(value, unit);
  }
  if (groups.length === 0) throw new InputError("SenML pack holds no record with a value", "bad senml");
  return sorted ? groups : groups.sort((a, b) => a.timeMs - b.timeMs);
}
