/**
 * SenML JSON (110) and SenML CBOR (112) as LwM2M 1.1 Core §7.4.4/§7.4.5 use them (RFC 8428 records; names are
 * paths; bn/n concatenate; "vlo" for Objlnk), and the LwM2M 1.0 JSON format (11543, §6.4.4).
 */
import { decodeFirstSync } from "cbor";
import { Lwm2mCodecError } from "./errors";
import { flatten, parsePath, type LwM2MPath } from "./path";
import { resourceDef } from "./objects";
import { describe, inferType, intIn, intOut, objlnkIn, opaqueIn, timeIn, timeOut } from "./values";
import type { LwM2MEntry, ObjectModel, ResourceType } from "./types";

/** A SenML record, labels resolved (CBOR integer labels mapped to their JSON names). */
interface Rec {
  bn?: string;
  bt?: number;
  n?: string;
  t?: number;
  v?: unknown;
  vs?: string;
  vb?: boolean;
  vd?: Buffer;
  vlo?: string;
}
const CBOR_LABELS: Record<number, keyof Rec | "bu" | "bver" | "bv" | "u" | "s" | "ut"> = {
  [-1]: "bver", [-2]: "bn", [-3]: "bt", [-4]: "bu", [-5]: "bv", 0: "n", 1: "u", 2: "v", 3: "vs", 4: "vb", 5: "s", 6: "t", 7: "ut", 8: "vd",
};
const BIG = "\u0000big:";

/** JSON.parse that keeps integer literals beyond 2^53 exact (as tagged strings, turned into decimal strings later). */
function parseJsonExact(text: string): unknown {
  if (/\d{16}/.test(text)) {
    let out = "";
    let i = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        let j = i + 1;
        while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
        out += text.slice(i, j + 1);
        i = j + 1;
      } else if (c === "-" || (c >= "0" && c <= "9")) {
        const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400))!;
        const tok = m ? m[0] : c;
        out += !m[1] && !m[2] && !Number.isSafeInteger(Number(tok)) ? JSON.stringify(BIG + tok) : tok;
        i += tok.length;
      } else {
        out += c;
        i++;
      }
    }
    text = out;
  }
  return JSON.parse(text);
}

function numberOf(v: unknown, where: string): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string" && v.startsWith(BIG)) return Number(v.slice(BIG.length));
  if (v && typeof v === "object" && (v as { tag?: number }).tag === 4) return decimalFraction(v as { value: unknown }, where);
  throw new Lwm2mCodecError("malformed", `${where} is not a number: ${describe(v)}`);
}

/** CBOR tag 4 (RFC 8949 §3.4.4): [exponent, mantissa] = mantissa × 10^exponent. */
function decimalFraction(t: { value: unknown }, where: string): number {
  const a = t.value;
  if (!Array.isArray(a) || a.length !== 2) throw new Lwm2mCodecError("malformed", `${where}: a tag-4 decimal fraction is [exponent, mantissa]`);
  const e = Number(a[0]);
  const m = a[1];
  if (typeof m === "bigint" && e < 0) {
    // exact to the millisecond: mantissa / 10^-e
    const scale = 10n ** BigInt(-e);
    return Number(m / scale) + Number(m % scale) / Number(scale);
  }
  return Number(m) * 10 ** e;
}

function recordsFromJson(payload: Buffer): Rec[] {
  const text = payload.toString("utf8").trim();
  if (text === "") return [];
  let data: unknown;
  try {
    data = parseJsonExact(text);
  } catch (err) {
    throw new Lwm2mCodecError("malformed", `SenML JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(data)) throw new Lwm2mCodecError("malformed", "SenML JSON: the payload is not an array of records");
  return data.map((r, k) => {
    if (!r || typeof r !== "object" || Array.isArray(r)) throw new Lwm2mCodecError("malformed", `SenML JSON: record ${k} is not an object`);
    const o = r as Record<string, unknown>;
    const rec: Rec = {};
    if (o.bn !== undefined) rec.bn = String(o.bn);
    if (o.bt !== undefined) rec.bt = numberOf(o.bt, `SenML record ${k} bt`);
    if (o.n !== undefined) rec.n = String(o.n);
    if (o.t !== undefined) rec.t = numberOf(o.t, `SenML record ${k} t`);
    if (o.v !== undefined) rec.v = o.v;
    if (o.vs !== undefined) rec.vs = String(o.vs);
    if (o.vb !== undefined) rec.vb = Boolean(o.vb);
    if (o.vd !== undefined) {
      if (typeof o.vd !== "string" || !/^[A-Za-z0-9_+/-]*={0,2}$/.test(o.vd)) throw new Lwm2mCodecError("malformed", `SenML JSON: record ${k} vd is not base64`);
      rec.vd = Buffer.from(o.vd, "base64");
    }
    if (o.vlo !== undefined) rec.vlo = String(o.vlo);
    return rec;
  });
}

function recordsFromCbor(payload: Buffer): Rec[] {
  if (payload.length === 0) return [];
  let data: unknown;
  try {
    data = decodeFirstSync(payload, { preferMap: true } as never);
  } catch (err) {
    throw new Lwm2mCodecError("malformed", `SenML CBOR: ${(err as Error).message}`);
  }
  if (!Array.isArray(data)) throw new Lwm2mCodecError("malformed", "SenML CBOR: the payload is not an array of records");
  return data.map((r, k) => {
    const entries: Array<[unknown, unknown]> = r instanceof Map ? [...r.entries()] : r && typeof r === "object" ? Object.entries(r) : [];
    if (!(r instanceof Map) && (!r || typeof r !== "object")) throw new Lwm2mCodecError("malformed", `SenML CBOR: record ${k} is not a map`);
    const rec: Rec = {};
    for (const [key, val] of entries) {
      const name = typeof key === "number" ? CBOR_LABELS[key] : typeof key === "string" ? key : undefined;
      const where = `SenML record ${k} ${String(name ?? key)}`;
      switch (name) {
        case "bn": case "n": case "vs": case "vlo":
          if (typeof val !== "string") throw new Lwm2mCodecError("malformed", `${where} is not a text string`);
          rec[name] = val;
          break;
        case "bt": case "t":
          rec[name] = numberOf(val, where);
          break;
        case "v":
          rec.v = val;
          break;
        case "vb":
          rec.vb = Boolean(val);
          break;
        case "vd":
          if (!Buffer.isBuffer(val)) throw new Lwm2mCodecError("malformed", `${where} is not a byte string`);
          rec.vd = val;
          break;
        default:
          break; // units, sums, versions: not used by LwM2M
      }
    }
    return rec;
  });
}

/** A number record value by the resource's type. */
function numericValue(v: unknown, type: ResourceType | undefined, where: string): unknown {
  if (typeof v === "string" && v.startsWith(BIG)) {
    const digits = v.slice(BIG.length);
    return type === "Time" ? timeOut(digits) : type === "Float" ? Number(digits) : digits;
  }
  if (v && typeof v === "object" && (v as { tag?: number }).tag === 4) v = decimalFraction(v as { value: unknown }, where);
  if (typeof v === "bigint") return type === "Time" ? timeOut(v) : type === "Float" ? Number(v) : intOut(v);
  if (typeof v !== "number") throw new Lwm2mCodecError("malformed", `${where}: "v" is not a number: ${describe(v)}`);
  if (type === "Time") return timeOut(v);
  if ((type === "Integer" || type === "Unsigned Integer") && Number.isInteger(v)) return intOut(v);
  return v;
}

function toEntries(recs: Rec[], model: ObjectModel, what: string): LwM2MEntry[] {
  const out: LwM2MEntry[] = [];
  let bn = "";
  let bt = 0;
  let timed = false;
  const now = Date.now() / 1000;
  recs.forEach((r, k) => {
    if (r.bn !== undefined) bn = r.bn;
    if (r.bt !== undefined) {
      bt = r.bt;
      timed = true;
    }
    const name = bn + (r.n ?? "");
    let p: LwM2MPath;
    try {
      p = parsePath(name);
    } catch (err) {
      throw new Lwm2mCodecError("malformed", `${what}: record ${k} names "${name}": ${(err as Error).message}`);
    }
    const where = `${what} ${p.text}`;
    const def = p.depth >= 3 ? resourceDef(p.objectId!, p.resourceId!, model) : undefined;
    let value: unknown;
    if (r.v !== undefined) value = numericValue(r.v, def?.type, where);
    else if (r.vs !== undefined) value = def?.type === "Opaque" ? Buffer.from(r.vs, "base64") : r.vs;
    else if (r.vb !== undefined) value = r.vb;
    else if (r.vd !== undefined) value = Buffer.from(r.vd);
    else if (r.vlo !== undefined) {
      objlnkIn(r.vlo, where);
      value = r.vlo;
    }
    const e: LwM2MEntry = { path: p.text, value };
    if (timed || r.t !== undefined) {
      let t = bt + (r.t ?? 0);
      if (t < 2 ** 28) t += now; // RFC 8428 §4.5.3: a small time is relative to now
      e.time = new Date(Math.round(t * 1000)).toISOString();
    }
    out.push(e);
  });
  return out;
}

/** SenML JSON (110) → entries, in record order. Big integers come out as decimal strings. */
export function decodeSenmlJson(payload: Buffer, model: ObjectModel): LwM2MEntry[] {
  return toEntries(recordsFromJson(payload), model, "SenML JSON");
}

/** SenML CBOR (112) → entries: tag-4 decimal fractions and half floats are read (the cbor package). */
export function decodeSenmlCbor(payload: Buffer, model: ObjectModel): LwM2MEntry[] {
  return toEntries(recordsFromCbor(payload), model, "SenML CBOR");
}

/** LwM2M 1.0 JSON (11543 / 1543): { bn, bt, e: [{ n, v | sv | bv | ov, t }] }. */
export function decodeLwm2mJson(payload: Buffer, path: LwM2MPath, model: ObjectModel): LwM2MEntry[] {
  let data: unknown;
  try {
    data = parseJsonExact(payload.toString("utf8"));
  } catch (err) {
    throw new Lwm2mCodecError("malformed", `LwM2M JSON: ${(err as Error).message}`);
  }
  if (!data || typeof data !== "object" || !Array.isArray((data as { e?: unknown }).e)) {
    throw new Lwm2mCodecError("malformed", 'LwM2M JSON: the payload has no "e" array');
  }
  const d = data as { bn?: unknown; bt?: unknown; e: Array<Record<string, unknown>> };
  let bn = d.bn === undefined ? "" : String(d.bn);
  if (bn !== "" && !bn.startsWith("/")) bn = "/" + bn;
  const recs: Rec[] = d.e.map((e, k) => {
    if (!e || typeof e !== "object") throw new Lwm2mCodecError("malformed", `LwM2M JSON: entry ${k} is not an object`);
    const r: Rec = {};
    const n = e.n === undefined ? "" : String(e.n);
    r.n = bn === "" && n !== "" && !n.startsWith("/") ? "/" + n : n;
    if (e.t !== undefined) r.t = numberOf(e.t, `LwM2M JSON entry ${k} t`);
    if (e.v !== undefined) r.v = e.v;
    else if (e.sv !== undefined) r.vs = String(e.sv);
    else if (e.bv !== undefined) r.vb = Boolean(e.bv);
    else if (e.ov !== undefined) r.vlo = String(e.ov);
    else throw new Lwm2mCodecError("malformed", `LwM2M JSON: entry ${k} (${bn}${n}) has no value`);
    return r;
  });
  if (recs.length) {
    recs[0].bn = bn === "" ? "" : bn;
    if (d.bt !== undefined) recs[0].bt = numberOf(d.bt, "LwM2M JSON bt");
  }
  if (!recs.length) return [];
  const entries = toEntries(recs, model, "LwM2M JSON");
  void path;
  return entries;
}

// ---- encoding ----

interface OutRec {
  bn?: string;
  bt?: number;
  n?: string;
  key?: "v" | "vs" | "vb" | "vd" | "vlo";
  value?: unknown; // number | bigint | string | boolean | Buffer
}

function valueRecord(v: unknown, path: string, model: ObjectModel): Pick<OutRec, "key" | "value"> {
  const p = parsePath(path);
  const def = p.depth >= 3 ? resourceDef(p.objectId!, p.resourceId!, model) : undefined;
  const type = def?.type && def.type !== "none" ? def.type : inferType(v);
  switch (type) {
    case "String":
    case "Corelnk":
      if (typeof v !== "string") throw new Lwm2mCodecError("bad-value", `${path}: ${type} needs a string, not ${describe(v)}`);
      return { key: "vs", value: v };
    case "Integer":
    case "Unsigned Integer": {
      const b = intIn(v, path, type === "Unsigned Integer");
      return { key: "v", value: Number.isSafeInteger(Number(b)) ? Number(b) : b };
    }
    case "Time": {
      const b = timeIn(v, path);
      return { key: "v", value: Number.isSafeInteger(Number(b)) ? Number(b) : b };
    }
    case "Float": {
      const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
      if (typeof n !== "number" || !Number.isFinite(n)) throw new Lwm2mCodecError("bad-value", `${path}: Float needs a finite number, not ${describe(v)}`);
      return { key: "v", value: { float: n } };
    }
    case "Boolean":
      if (typeof v !== "boolean") throw new Lwm2mCodecError("bad-value", `${path}: Boolean needs true or false, not ${describe(v)}`);
      return { key: "vb", value: v };
    case "Opaque":
      return { key: "vd", value: opaqueIn(v, path) };
    case "Objlnk": {
      const [o, i] = objlnkIn(v, path);
      return { key: "vlo", value: `${o}:${i}` };
    }
    default:
      throw new Lwm2mCodecError("bad-value", `${path}: cannot encode type ${type}`);
  }
}

/**
 * The records Leshan writes: a leaf at `path` → [{ bn: path, value }]; a container → first record
 * { bn: path + "/", n: relative, value }, then { n, value }. A composite (array of { path, value?, time? }) writes
 * each item that way in turn; an item without a value writes { n: path } (a Read-Composite body).
 */
function toRecords(value: unknown, path: LwM2MPath, model: ObjectModel): OutRec[] {
  const items: Array<{ path: string; value?: unknown; time?: unknown; nameOnly?: boolean }> = Array.isArray(value)
    ? value.map((it, k) => {
        if (!it || typeof it !== "object" || typeof (it as { path?: unknown }).path !== "string") {
          throw new Lwm2mCodecError("bad-value", `composite item ${k} is not { path, value? }`);
        }
        const o = it as { path: string; value?: unknown; time?: unknown };
        return { path: o.path, value: o.value, time: o.time, nameOnly: !("value" in o) || o.value === undefined };
      })
    : [{ path: path.text, value }];
  const out: OutRec[] = [];
  for (const it of items) {
    const p = parsePath(it.path);
    if (it.nameOnly) {
      out.push({ n: p.text });
      continue;
    }
    const leaves = flatten(it.value, p);
    const bt = it.time === undefined ? undefined : Number(timeIn(it.time, p.text));
    if (leaves.length === 1 && leaves[0].path === p.text) {
      out.push({ bn: p.text, ...(bt !== undefined ? { bt } : {}), ...valueRecord(leaves[0].value, p.text, model) });
      continue;
    }
    const base = p.text === "/" ? "/" : p.text + "/";
    leaves.forEach((leaf, k) => {
      const rel = leaf.path.slice(base.length);
      const rec: OutRec = { n: rel, ...valueRecord(leaf.value, leaf.path, model) };
      out.push(k === 0 ? { bn: base, ...(bt !== undefined ? { bt } : {}), ...rec } : rec);
    });
  }
  return out;
}

/** Encode SenML JSON (110): Leshan's record layout; opaque as base64url without padding. */
export function encodeSenmlJson(value: unknown, path: LwM2MPath, model: ObjectModel): Buffer {
  const recs = toRecords(value, path, model).map((r) => {
    const parts: string[] = [];
    if (r.bn !== undefined) parts.push(`"bn":${JSON.stringify(r.bn)}`);
    if (r.bt !== undefined) parts.push(`"bt":${r.bt}`);
    if (r.n !== undefined) parts.push(`"n":${JSON.stringify(r.n)}`);
    if (r.key) {
      const v = r.value;
      let text: string;
      if (Buffer.isBuffer(v)) text = JSON.stringify(v.toString("base64url"));
      else if (typeof v === "bigint") text = v.toString();
      else if (v && typeof v === "object" && "float" in v) text = JSON.stringify((v as { float: number }).float);
      else text = JSON.stringify(v);
      parts.push(`"${r.key}":${text}`);
    }
    return `{${parts.join(",")}}`;
  });
  return Buffer.from(`[${recs.join(",")}]`, "utf8");
}

// A small deterministic CBOR writer (RFC 8949 preferred serialization for integers, doubles for Float),
// so that the bytes match Leshan's and Wakaama's.
function head(major: number, n: number | bigint): Buffer {
  const v = BigInt(n);
  if (v < 24n) return Buffer.from([(major << 5) | Number(v)]);
  if (v < 0x100n) return Buffer.from([(major << 5) | 24, Number(v)]);
  if (v < 0x10000n) {
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(Number(v), 1);
    return b;
  }
  if (v < 0x100000000n) {
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(Number(v), 1);
    return b;
  }
  const b = Buffer.alloc(9);
  b[0] = (major << 5) | 27;
  b.writeBigUInt64BE(v, 1);
  return b;
}
function cborInt(n: number | bigint): Buffer {
  const v = BigInt(n);
  return v >= 0n ? head(0, v) : head(1, -1n - v);
}
function cborText(s: string): Buffer {
  const b = Buffer.from(s, "utf8");
  return Buffer.concat([head(3, b.length), b]);
}
function cborValue(v: unknown): Buffer {
  if (typeof v === "boolean") return Buffer.from([v ? 0xf5 : 0xf4]);
  if (typeof v === "string") return cborText(v);
  if (typeof v === "bigint") return cborInt(v);
  if (typeof v === "number") {
    if (Number.isInteger(v)) return cborInt(v);
    const b = Buffer.alloc(9);
    b[0] = 0xfb;
    b.writeDoubleBE(v, 1);
    return b;
  }
  if (Buffer.isBuffer(v)) return Buffer.concat([head(2, v.length), v]);
  if (v && typeof v === "object" && "float" in v) {
    const b = Buffer.alloc(9);
    b[0] = 0xfb;
    b.writeDoubleBE((v as { float: number }).float, 1);
    return b;
  }
  throw new Lwm2mCodecError("bad-value", `cannot write ${describe(v)} as CBOR`);
}
const CBOR_KEY: Record<string, number> = { bn: -2, bt: -3, n: 0, v: 2, vs: 3, vb: 4, vd: 8 };

/** Encode SenML CBOR (112): integer labels (bn -2, bt -3, n 0, v 2, vs 3, vb 4, vd 8, "vlo"), in that order. */
export function encodeSenmlCbor(value: unknown, path: LwM2MPath, model: ObjectModel): Buffer {
  const recs = toRecords(value, path, model);
  const parts: Buffer[] = [head(4, recs.length)];
  for (const r of recs) {
    const kv: Buffer[] = [];
    if (r.bn !== undefined) kv.push(cborInt(-2), cborText(r.bn));
    if (r.bt !== undefined) kv.push(cborInt(-3), cborValue(r.bt));
    if (r.n !== undefined) kv.push(cborInt(0), cborText(r.n));
    if (r.key) kv.push(r.key === "vlo" ? cborText("vlo") : cborInt(CBOR_KEY[r.key]), cborValue(r.value));
    parts.push(head(5, kv.length / 2), ...kv);
  }
  return Buffer.concat(parts);
}
