/**
 * OMA TLV (application/vnd.oma.lwm2m+tlv, 11542; legacy 1542): LwM2M 1.1 Core §7.4.3.
 * Type byte: bits 7-6 the identifier type (00 object instance, 01 resource instance, 10 multiple resource,
 * 11 resource with value); bit 5 a 16-bit identifier; bits 4-3 the length field's size (0: in bits 2-0,
 * 1: 8 bits, 2: 16 bits, 3: 24 bits).
 */
import { Lwm2mCodecError } from "./errors";
import { flatten, type LwM2MPath } from "./path";
import { resourceDef } from "./objects";
import { inferType, intIn, intOut, objlnkIn, opaqueIn, printableUtf8, timeIn, timeOut, describe } from "./values";
import type { ObjectModel, ResourceDef, ResourceType } from "./types";

export const TLV_OBJECT_INSTANCE = 0;
export const TLV_RESOURCE_INSTANCE = 1;
export const TLV_MULTIPLE_RESOURCE = 2;
export const TLV_RESOURCE_VALUE = 3;
const KIND = ["object instance", "resource instance", "multiple resource", "resource"];

export interface Tlv {
  type: 0 | 1 | 2 | 3;
  id: number;
  /** raw value (types 1 and 3) */
  value?: Buffer;
  /** children (types 0 and 2) */
  children?: Tlv[];
}

/** Split a TLV byte string into its tree. @throws Lwm2mCodecError("malformed") with the byte offset */
export function parseTlv(buf: Buffer, start = 0, end = buf.length): Tlv[] {
  const out: Tlv[] = [];
  let i = start;
  while (i < end) {
    const at = i;
    const t = buf[i++];
    const type = (t >> 6) as Tlv["type"];
    const idLen = t & 0x20 ? 2 : 1;
    const lenType = (t >> 3) & 3;
    if (i + idLen + lenType > end) throw new Lwm2mCodecError("malformed", `TLV: the header at byte ${at} is cut short`);
    const id = idLen === 2 ? buf.readUInt16BE(i) : buf[i];
    i += idLen;
    let len = t & 7;
    if (lenType > 0) {
      len = buf.readUIntBE(i, lenType);
      i += lenType;
    }
    if (i + len > end) throw new Lwm2mCodecError("malformed", `TLV: the ${KIND[type]} ${id} at byte ${at} claims ${len} bytes, only ${end - i} remain`);
    if (type === TLV_OBJECT_INSTANCE || type === TLV_MULTIPLE_RESOURCE) {
      const children = parseTlv(buf, i, i + len);
      const want = type === TLV_OBJECT_INSTANCE ? [TLV_MULTIPLE_RESOURCE, TLV_RESOURCE_VALUE] : [TLV_RESOURCE_INSTANCE];
      for (const c of children) {
        if (!want.includes(c.type)) throw new Lwm2mCodecError("malformed", `TLV: a ${KIND[c.type]} inside the ${KIND[type]} ${id} at byte ${at}`);
      }
      out.push({ type, id, children });
    } else {
      out.push({ type, id, value: buf.subarray(i, i + len) });
    }
    i += len;
  }
  return out;
}

/** Decode one TLV value by its resource type (untyped: printable UTF-8 → string, 1/2/4/8 bytes → integer, else Buffer). */
export function tlvValue(b: Buffer, type: ResourceType | undefined, where: string): unknown {
  switch (type) {
    case "String":
    case "Corelnk":
      return b.toString("utf8");
    case "Integer":
    case "Time": {
      if (![1, 2, 4, 8].includes(b.length)) throw new Lwm2mCodecError("malformed", `TLV: ${where} is ${type} but ${b.length} bytes long (1, 2, 4 or 8)`);
      const v = b.length === 8 ? b.readBigInt64BE(0) : b.readIntBE(0, b.length);
      return type === "Time" ? timeOut(v) : intOut(v);
    }
    case "Unsigned Integer": {
      if (![1, 2, 4, 8].includes(b.length)) throw new Lwm2mCodecError("malformed", `TLV: ${where} is Unsigned Integer but ${b.length} bytes long`);
      return intOut(b.length === 8 ? b.readBigUInt64BE(0) : b.readUIntBE(0, b.length));
    }
    case "Float":
      if (b.length === 4) return b.readFloatBE(0);
      if (b.length === 8) return b.readDoubleBE(0);
      throw new Lwm2mCodecError("malformed", `TLV: ${where} is Float but ${b.length} bytes long (4 or 8)`);
    case "Boolean":
      if (b.length !== 1 || b[0] > 1) throw new Lwm2mCodecError("malformed", `TLV: ${where} is Boolean but holds ${b.toString("hex")} (00 or 01)`);
      return b[0] === 1;
    case "Objlnk":
      if (b.length !== 4) throw new Lwm2mCodecError("malformed", `TLV: ${where} is Objlnk but ${b.length} bytes long (4)`);
      return `${b.readUInt16BE(0)}:${b.readUInt16BE(2)}`;
    case "Opaque":
    case "none":
      return Buffer.from(b);
    default: {
      const s = printableUtf8(b);
      if (s !== undefined && b.length > 0) return s;
      if ([1, 2, 4, 8].includes(b.length)) return intOut(b.length === 8 ? b.readBigInt64BE(0) : b.readIntBE(0, b.length));
      return Buffer.from(b);
    }
  }
}

function resourceValue(r: Tlv, oid: number, iid: number, model: ObjectModel): unknown {
  const def = resourceDef(oid, r.id, model);
  const where = `/${oid}/${iid}/${r.id}`;
  if (r.type === TLV_MULTIPLE_RESOURCE) {
    const out: Record<string, unknown> = {};
    for (const c of r.children!) {
      if (c.id in out) throw new Lwm2mCodecError("malformed", `TLV: ${where}/${c.id} appears twice`);
      out[c.id] = tlvValue(c.value!, def?.type, `${where}/${c.id}`);
    }
    return out;
  }
  return tlvValue(r.value!, def?.type, where);
}

function instanceValue(children: Tlv[], oid: number, iid: number, model: ObjectModel): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of children) {
    if (r.type !== TLV_RESOURCE_VALUE && r.type !== TLV_MULTIPLE_RESOURCE) {
      throw new Lwm2mCodecError("malformed", `TLV: a ${KIND[r.type]} where /${oid}/${iid} has resources`);
    }
    if (r.id in out) throw new Lwm2mCodecError("malformed", `TLV: /${oid}/${iid}/${r.id} appears twice`);
    out[r.id] = resourceValue(r, oid, iid, model);
  }
  return out;
}

/** Decode TLV read at `path` into the package's decoded shape (see index.ts). */
export function decodeTlv(payload: Buffer, path: LwM2MPath, model: ObjectModel): unknown {
  const tlvs = parseTlv(payload);
  const oid = path.objectId;
  if (oid === undefined) throw new Lwm2mCodecError("bad-path", "TLV carries no object ids: read an object (/3), an instance, a resource or a resource instance");
  if (path.depth === 1) {
    // Object instances; a bare list of resources (no instance TLV) is instance 0.
    if (tlvs.length && tlvs.every((t) => t.type !== TLV_OBJECT_INSTANCE)) return { "0": instanceValue(tlvs, oid, 0, model) };
    const out: Record<string, unknown> = {};
    for (const t of tlvs) {
      if (t.type !== TLV_OBJECT_INSTANCE) throw new Lwm2mCodecError("malformed", `TLV: a ${KIND[t.type]} ${t.id} beside object instances in /${oid}`);
      if (t.id in out) throw new Lwm2mCodecError("malformed", `TLV: /${oid}/${t.id} appears twice`);
      out[t.id] = instanceValue(t.children!, oid, t.id, model);
    }
    return out;
  }
  const iid = path.instanceId!;
  // An instance, resource or resource instance may come wrapped in its object instance TLV (the spec's §7.4.3 example B).
  let list = tlvs;
  if (list.length === 1 && list[0].type === TLV_OBJECT_INSTANCE) {
    if (list[0].id !== iid) throw new Lwm2mCodecError("malformed", `TLV: the payload holds /${oid}/${list[0].id}, not the requested /${oid}/${iid}`);
    list = list[0].children!;
  }
  if (path.depth === 2) return instanceValue(list, oid, iid, model);
  const rid = path.resourceId!;
  const def = resourceDef(oid, rid, model);
  const where = `/${oid}/${iid}/${rid}`;
  if (path.depth === 3) {
    // Multi-instance resources arrive bare (resource instances) or wrapped (one multiple-resource TLV).
    if (list.length === 1 && list[0].type === TLV_MULTIPLE_RESOURCE) {
      if (list[0].id !== rid) throw new Lwm2mCodecError("malformed", `TLV: the payload holds /${oid}/${iid}/${list[0].id}, not ${where}`);
      return resourceValue(list[0], oid, iid, model);
    }
    if (list.length === 1 && list[0].type === TLV_RESOURCE_VALUE && !def?.multiple) {
      if (list[0].id !== rid) throw new Lwm2mCodecError("malformed", `TLV: the payload holds /${oid}/${iid}/${list[0].id}, not ${where}`);
      return tlvValue(list[0].value!, def?.type, where);
    }
    if (list.every((t) => t.type === TLV_RESOURCE_INSTANCE) && (list.length > 0 || def?.multiple)) {
      return resourceValue({ type: TLV_MULTIPLE_RESOURCE, id: rid, children: list }, oid, iid, model);
    }
    if (list.length === 0) throw new Lwm2mCodecError("malformed", `TLV: the payload is empty for the single resource ${where}`);
    throw new Lwm2mCodecError("malformed", `TLV: expected ${where}, got ${list.map((t) => `${KIND[t.type]} ${t.id}`).join(", ")}`);
  }
  const riid = path.resourceInstanceId!;
  if (list.length === 1 && (list[0].type === TLV_MULTIPLE_RESOURCE || list[0].type === TLV_RESOURCE_VALUE) && list[0].children) list = list[0].children;
  if (list.length !== 1 || list[0].type !== TLV_RESOURCE_INSTANCE || list[0].id !== riid) {
    throw new Lwm2mCodecError("malformed", `TLV: expected the resource instance ${where}/${riid}`);
  }
  return tlvValue(list[0].value!, def?.type, `${where}/${riid}`);
}

// ---- encoding ----

function smallestSigned(v: bigint): Buffer {
  for (const n of [1, 2, 4]) {
    const lim = 1n << BigInt(n * 8 - 1);
    if (v >= -lim && v < lim) {
      const b = Buffer.alloc(n);
      b.writeIntBE(Number(v), 0, n);
      return b;
    }
  }
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(v);
  return b;
}
function smallestUnsigned(v: bigint): Buffer {
  for (const n of [1, 2, 4]) {
    if (v < 1n << BigInt(n * 8)) {
      const b = Buffer.alloc(n);
      b.writeUIntBE(Number(v), 0, n);
      return b;
    }
  }
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(v);
  return b;
}

/** Encode one value as TLV bytes by type: integers (and Time) in the smallest of 1, 2, 4, 8 bytes; floats in 4 bytes when exact, else 8. */
export function tlvValueBytes(v: unknown, type: ResourceType | undefined, where: string): Buffer {
  const t = type && type !== "none" ? type : inferType(v);
  switch (t) {
    case "String":
    case "Corelnk":
      if (typeof v !== "string") throw new Lwm2mCodecError("bad-value", `${where}: ${t} needs a string, not ${describe(v)}`);
      return Buffer.from(v, "utf8");
    case "Integer":
      return smallestSigned(intIn(v, where));
    case "Unsigned Integer":
      return smallestUnsigned(intIn(v, where, true));
    case "Time":
      return smallestSigned(timeIn(v, where));
    case "Float": {
      const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
      if (typeof n !== "number" || Number.isNaN(n) && typeof v !== "number") throw new Lwm2mCodecError("bad-value", `${where}: Float needs a number, not ${describe(v)}`);
      if (Math.fround(n) === n || Number.isNaN(n)) {
        const b = Buffer.alloc(4);
        b.writeFloatBE(n);
        return b;
      }
      const b = Buffer.alloc(8);
      b.writeDoubleBE(n);
      return b;
    }
    case "Boolean":
      if (typeof v !== "boolean" && v !== 0 && v !== 1) throw new Lwm2mCodecError("bad-value", `${where}: Boolean needs true or false, not ${describe(v)}`);
      return Buffer.from([v ? 1 : 0]);
    case "Objlnk": {
      const [o, i] = objlnkIn(v, where);
      const b = Buffer.alloc(4);
      b.writeUInt16BE(o, 0);
      b.writeUInt16BE(i, 2);
      return b;
    }
    case "Opaque":
      return opaqueIn(v, where);
    default:
      throw new Lwm2mCodecError("bad-value", `${where}: cannot encode type ${t}`);
  }
}

/** Serialize a TLV tree. */
export function writeTlv(tlvs: Tlv[]): Buffer {
  const parts: Buffer[] = [];
  for (const t of tlvs) {
    const body = t.children ? writeTlv(t.children) : t.value!;
    const len = body.length;
    if (len > 0xffffff) throw new Lwm2mCodecError("bad-value", `TLV: a value of ${len} bytes exceeds the 24-bit length`);
    const id16 = t.id > 0xff;
    const lenType = len < 8 ? 0 : len <= 0xff ? 1 : len <= 0xffff ? 2 : 3;
    const head = Buffer.alloc(1 + (id16 ? 2 : 1) + lenType);
    head[0] = (t.type << 6) | (id16 ? 0x20 : 0) | (lenType << 3) | (lenType === 0 ? len : 0);
    if (id16) head.writeUInt16BE(t.id, 1);
    else head[1] = t.id;
    if (lenType) head.writeUIntBE(len, 1 + (id16 ? 2 : 1), lenType);
    parts.push(head, body);
  }
  return Buffer.concat(parts);
}

function resourceTlvs(value: Record<string, unknown> | unknown, oid: number, iid: number, rid: number, model: ObjectModel): Tlv {
  const def: ResourceDef | undefined = resourceDef(oid, rid, model);
  const where = `/${oid}/${iid}/${rid}`;
  const isMap = value !== null && typeof value === "object" && !Buffer.isBuffer(value) && !(value instanceof Date) && !(value instanceof Uint8Array) && !("objectId" in (value as object));
  if (def?.multiple || (def === undefined && isMap)) {
    if (!isMap) throw new Lwm2mCodecError("bad-value", `${where} has multiple instances: give { "<instance>": value, ... }, not ${describe(value)}`);
    const children = flatten(value, `${where}`).map((e): Tlv => {
      const riid = Number(e.path.split("/")[4]);
      return { type: TLV_RESOURCE_INSTANCE, id: riid, value: tlvValueBytes(e.value, def?.type, e.path) };
    });
    return { type: TLV_MULTIPLE_RESOURCE, id: rid, children };
  }
  if (isMap) throw new Lwm2mCodecError("bad-value", `${where} is a single resource: give its value, not an object`);
  return { type: TLV_RESOURCE_VALUE, id: rid, value: tlvValueBytes(value, def?.type, where) };
}

function instanceTlvs(value: unknown, oid: number, iid: number, model: ObjectModel): Tlv[] {
  if (value === null || typeof value !== "object" || Array.isArray(value) || Buffer.isBuffer(value)) {
    throw new Lwm2mCodecError("bad-value", `/${oid}/${iid} is an object instance: give { "<resource>": value, ... }, not ${describe(value)}`);
  }
  const ids = Object.keys(value).sort((a, b) => Number(a) - Number(b));
  return ids.map((k) => {
    if (!/^\d{1,5}$/.test(k) || Number(k) > 65535) throw new Lwm2mCodecError("bad-value", `/${oid}/${iid}: "${k}" is not a resource id`);
    return resourceTlvs((value as Record<string, unknown>)[k], oid, iid, Number(k), model);
  });
}

/**
 * Encode `value` for `path` as TLV, the way Leshan does: /3 → object instance TLVs; /3/0 → resource TLVs;
 * /3/0/6 (multiple) → one multiple-resource TLV; /3/0/0 → one resource TLV; /3/0/6/1 → one resource instance TLV.
 */
export function encodeTlv(value: unknown, path: LwM2MPath, model: ObjectModel): Buffer {
  const oid = path.objectId;
  if (oid === undefined || Array.isArray(value)) throw new Lwm2mCodecError("bad-path", "TLV encodes one object, instance or resource: composite writes need SenML (110 or 112)");
  if (path.depth === 1) {
    if (value === null || typeof value !== "object" || Buffer.isBuffer(value)) throw new Lwm2mCodecError("bad-value", `/${oid} needs { "<instance>": { ... } }`);
    const ids = Object.keys(value).sort((a, b) => Number(a) - Number(b));
    return writeTlv(ids.map((k) => ({ type: TLV_OBJECT_INSTANCE, id: Number(k), children: instanceTlvs((value as Record<string, unknown>)[k], oid, Number(k), model) })));
  }
  const iid = path.instanceId!;
  if (path.depth === 2) return writeTlv(instanceTlvs(value, oid, iid, model));
  const rid = path.resourceId!;
  if (path.depth === 3) return writeTlv([resourceTlvs(value, oid, iid, rid, model)]);
  const def = resourceDef(oid, rid, model);
  return writeTlv([{ type: TLV_RESOURCE_INSTANCE, id: path.resourceInstanceId!, value: tlvValueBytes(value, def?.type, path.text) }]);
}
