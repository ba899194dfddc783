/**
 * Small helpers every node needs, written once.
 */

export type Rec = Record<string, unknown>;

/** A plain object (not null, not an array). */
export function isRec(v: unknown): v is Rec {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The value at a dot path ("payload.meter.kwh") or a path of keys (["payload", "a.b"]); undefined when any
 * step is missing or not an object. Own properties only, so "__proto__" or "constructor" never reach a prototype.
 */
export function getPath(obj: unknown, path: string | readonly string[]): unknown {
  const keys = typeof path === "string" ? path.split(".") : path;
  let o = obj;
  for (const k of keys) {
    if (typeof o !== "object" || o === null || !Object.prototype.hasOwnProperty.call(o, k)) return undefined;
    o = (o as Rec)[k];
  }
  return o;
}

/** Trimmed text, or undefined for a missing or blank value. */
export function text(v: unknown): string | undefined {
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
}
