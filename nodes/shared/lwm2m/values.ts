import { Lwm2mCodecError } from "./errors";
import type { ResourceType } from "./types";

/** Integers within ±(2^53 - 1) as numbers, beyond as decimal strings (never rounded). */
export function intOut(v: bigint | number): number | string {
  if (typeof v === "number") return Number.isSafeInteger(v) ? v : Number.isInteger(v) ? BigInt(v).toString() : v;
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** Epoch seconds (number, bigint or decimal string) → UTC ISO with milliseconds; out of Date's range → the number. */
export function timeOut(seconds: number | bigint | string): string | number {
  const s = Number(seconds);
  const d = new Date(Math.round(s * 1000));
  return Number.isFinite(s) && !Number.isNaN(d.getTime()) ? d.toISOString() : intOut(typeof seconds === "string" ? BigInt(seconds) : seconds);
}

/** A Time value (ISO string, Date, epoch seconds, or a numeric string) → whole epoch seconds. */
export function timeIn(v: unknown, where: string): bigint {
  if (v instanceof Date) return BigInt(Math.floor(v.getTime() / 1000));
  if (typeof v === "number" && Number.isFinite(v)) return BigInt(Math.floor(v));
  if (typeof v === "bigint") return v;
  if (typeof v === "string") {
    if (/^-?\d+$/.test(v.trim())) return BigInt(v.trim());
    const ms = Date.parse(v);
    if (!Number.isNaN(ms)) return BigInt(Math.floor(ms / 1000));
  }
  throw new Lwm2mCodecError("bad-value", `${where}: a Time is an ISO date, a Date or epoch seconds, not ${describe(v)}`);
}

/** An integer value (number, bigint, decimal string) → bigint. */
export function intIn(v: unknown, where: string, unsigned = false): bigint {
  let b: bigint | undefined;
  if (typeof v === "bigint") b = v;
  else if (typeof v === "number" && Number.isInteger(v)) b = BigInt(v);
  else if (typeof v === "string" && /^-?\d+$/.test(v.trim())) b = BigInt(v.trim());
  else if (typeof v === "boolean") b = v ? 1n : 0n;
  if (b === undefined) throw new Lwm2mCodecError("bad-value", `${where}: expected an integer, got ${describe(v)}`);
  const min = unsigned ? 0n : -(1n << 63n);
  const max = unsigned ? (1n << 64n) - 1n : (1n << 63n) - 1n;
  if (b < min || b > max) throw new Lwm2mCodecError("bad-value", `${where}: ${b} is outside the ${unsigned ? "unsigned " : ""}64-bit range`);
  return b;
}

/** An Objlnk value ("66:0" or { objectId, instanceId }) → [objectId, instanceId]. */
export function objlnkIn(v: unknown, where: string): [number, number] {
  let o: number | undefined, i: number | undefined;
  if (typeof v === "string") {
    const m = /^(\d{1,5}):(\d{1,5})$/.exec(v.trim());
    if (m) [o, i] = [Number(m[1]), Number(m[2])];
  } else if (v && typeof v === "object" && "objectId" in v && "instanceId" in v) {
    o = Number((v as { objectId: unknown }).objectId);
    i = Number((v as { instanceId: unknown }).instanceId);
  }
  if (o === undefined || i === undefined || !(o >= 0 && o <= 65535 && i >= 0 && i <= 65535 && Number.isInteger(o) && Number.isInteger(i))) {
    throw new Lwm2mCodecError("bad-value", `${where}: an Objlnk is "object:instance" (e.g. "66:0"), not ${describe(v)}`);
  }
  return [o, i];
}

/** An Opaque value (Buffer, Uint8Array, or base64 string) → Buffer. */
export function opaqueIn(v: unknown, where: string): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (typeof v === "string" && /^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) return Buffer.from(v, "base64");
  throw new Lwm2mCodecError("bad-value", `${where}: Opaque needs a Buffer (or base64 string), not ${describe(v)}`);
}

/** What a JS value is, for a message. */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Buffer.isBuffer(v)) return `a Buffer of ${v.length} bytes`;
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
  if (typeof v === "object") return Array.isArray(v) ? "an array" : "an object";
  return `${typeof v} ${String(v)}`;
}

/** The type the JS value itself suggests, when the model has no definition. */
export function inferType(v: unknown): ResourceType {
  if (typeof v === "boolean") return "Boolean";
  if (typeof v === "bigint") return "Integer";
  if (typeof v === "number") return Number.isInteger(v) ? "Integer" : "Float";
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return "Opaque";
  if (v instanceof Date) return "Time";
  if (v && typeof v === "object" && "objectId" in v && "instanceId" in v) return "Objlnk";
  return "String";
}

/** Is this text printable UTF-8 (what an untyped TLV value is taken for a string)? */
export function printableUtf8(b: Buffer): string | undefined {
  if (b.length === 0) return "";
  const s = b.toString("utf8");
  if (s.includes("\uFFFD") || !Buffer.from(s, "utf8").equals(b)) return undefined;
  // eslint-disable-next-line no-control-regex
  return /^[^\x00-\x08\x0e-\x1f\x7f]*$/.test(s) ? s : undefined;
}
