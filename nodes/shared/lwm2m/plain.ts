/** text/plain (0) and CBOR (60): one resource (or resource instance) value, LwM2M 1.1 Core §7.4.1 and §7.4.6. */
import { decodeFirstSync } from "cbor";
import { Lwm2mCodecError } from "./errors";
import type { LwM2MPath } from "./path";
import { resourceDef } from "./objects";
import { describe, inferType, intIn, intOut, objlnkIn, opaqueIn, timeIn, timeOut } from "./values";
import type { ObjectModel, ResourceType } from "./types";

function single(path: LwM2MPath, what: string): void {
  if (path.depth < 3) throw new Lwm2mCodecError("bad-path", `${what} carries one resource value, not ${path.text}`);
}
function typeAt(path: LwM2MPath, model: ObjectModel): ResourceType | undefined {
  return resourceDef(path.objectId!, path.resourceId!, model)?.type;
}

/** text/plain: by the model's type (Integer beyond 2^53 as a decimal string, Time as ISO, Opaque as base64). */
export function decodeText(payload: Buffer, path: LwM2MPath, model: ObjectModel): unknown {
  single(path, "text/plain (0)");
  const s = payload.toString("utf8");
  const type = typeAt(path, model);
  const where = `text/plain ${path.text}`;
  switch (type) {
    case "Integer":
    case "Unsigned Integer":
    case "Time": {
      if (!/^-?\d+$/.test(s.trim())) {
        if (type === "Time" && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(s.trim())) return timeOut(Number(s));
        throw new Lwm2mCodecError("malformed", `${where} is ${type} but holds ${describe(s)}`);
      }
      const b = BigInt(s.trim());
      return type === "Time" ? timeOut(b) : intOut(b);
    }
    case "Float": {
      const n = Number(s.trim());
      if (s.trim() === "" || Number.isNaN(n)) throw new Lwm2mCodecError("malformed", `${where} is Float but holds ${describe(s)}`);
      return n;
    }
    case "Boolean":
      if (s === "1" || s === "true") return true;
      if (s === "0" || s === "false") return false;
      throw new Lwm2mCodecError("malformed", `${where} is Boolean but holds ${describe(s)} ("0" or "1")`);
    case "Objlnk":
      objlnkIn(s, where);
      return s.trim();
    case "Opaque":
      if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s.trim())) throw new Lwm2mCodecError("malformed", `${where} is Opaque: text/plain carries it as base64, not ${describe(s)}`);
      return Buffer.from(s.trim(), "base64");
    default:
      return s;
  }
}

/** text/plain encoding of one value (Time as epoch seconds, Boolean "0"/"1", Opaque base64). */
export function encodeText(value: unknown, path: LwM2MPath, model: ObjectModel): Buffer {
  single(path, "text/plain (0)");
  const def = typeAt(path, model);
  const type = def && def !== "none" ? def : inferType(value);
  const where = path.text;
  if (value !== null && typeof value === "object" && !Buffer.isBuffer(value) && !(value instanceof Date) && !(value instanceof Uint8Array) && type !== "Objlnk") {
    throw new Lwm2mCodecError("bad-value", `${where}: text/plain carries one value; use TLV or SenML for a multiple resource`);
  }
  switch (type) {
    case "Integer":
    case "Unsigned Integer":
      return Buffer.from(intIn(value, where, type === "Unsigned Integer").toString());
    case "Time":
      return Buffer.from(timeIn(value, where).toString());
    case "Float":
      if (typeof value !== "number") throw new Lwm2mCodecError("bad-value", `${where}: Float needs a number, not ${describe(value)}`);
      return Buffer.from(String(value));
    case "Boolean":
      return Buffer.from(value ? "1" : "0");
    case "Objlnk":
      return Buffer.from(objlnkIn(value, where).join(":"));
    case "Opaque":
      return Buffer.from(opaqueIn(value, where).toString("base64"));
    default:
      if (typeof value !== "string") throw new Lwm2mCodecError("bad-value", `${where}: ${type} needs a string, not ${describe(value)}`);
      return Buffer.from(value, "utf8");
  }
}

/** CBOR (60): a single CBOR data item (tag 1 or a number for Time; a byte string for Opaque; tag 4 decimal fractions read). */
export function decodeCbor(payload: Buffer, path: LwM2MPath, model: ObjectModel): unknown {
  single(path, "CBOR (60)");
  let v: unknown;
  try {
    v = decodeFirstSync(payload);
  } catch (err) {
    throw new Lwm2mCodecError("malformed", `CBOR ${path.text}: ${(err as Error).message}`);
  }
  const type = typeAt(path, model);
  if (v instanceof Date) return type === "Time" || type === undefined ? v.toISOString() : Math.floor(v.getTime() / 1000);
  if (v && typeof v === "object" && (v as { tag?: number }).tag === 4) {
    const a = (v as { value: unknown[] }).value;
    v = Number(a[1]) * 10 ** Number(a[0]);
  }
  if (Buffer.isBuffer(v)) return Buffer.from(v);
  if (typeof v === "bigint") return type === "Time" ? timeOut(v) : intOut(v);
  if (typeof v === "number") {
    if (type === "Time") return timeOut(v);
    return Number.isInteger(v) && type !== "Float" ? intOut(v) : v;
  }
  if (typeof v === "string" && type === "Opaque") return Buffer.from(v, "base64");
  if (typeof v === "string" || typeof v === "boolean") return v;
  throw new Lwm2mCodecError("malformed", `CBOR ${path.text}: ${describe(v)} is not a resource value`);
}
