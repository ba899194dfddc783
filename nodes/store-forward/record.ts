/**
 * What store-forward stores of a message, and how it comes back.
 *
 * A record is the message without `_msgid` and `_sf`, as UTF-8 JSON, in one of two shapes:
 * - `{...}`: the message as JSON. This is every record without a Buffer in it, and every record written
 *   before this format (those may hold a Buffer as `{"type":"Buffer","data":[...]}`, which comes back as a
 *   Buffer).
 * - `B[paths,{...}]`: a message holding Buffers (or Uint8Arrays): each is stored as a base64 string and
 *   `paths` lists where they are, so they come back as Buffers, exactly, at any depth.
 *
 * Values JSON keeps as they are (strings, finite numbers, booleans, null, arrays, plain objects) come back
 * equal. A Date (or any object with toJSON) comes back as what toJSON gives (an ISO string), NaN and
 * Infinity as null, an Error as a plain `{name, message, ...}`. What cannot be stored at all is refused with
 * a RecordError naming the property: functions, symbols, BigInt, Map, Set, typed arrays other than
 * Uint8Array, and circular structures.
 *
 * encodeRecord is on the hot path (every stored message): one walk over the message, then one
 * JSON.stringify without a replacer in the usual case (no Buffer, no Error).
 */

export type Msg = Record<string, unknown>;

/** A message that cannot be stored; the message names the property and what is wrong with it. */
export class RecordError extends Error {
  override readonly name = "RecordError";
  constructor(
    message: string,
    /** Where, as a path from msg: ["payload", "values", 3]. */
    readonly path: (string | number)[],
  ) {
    super(message);
  }
}

export interface EncodedRecord {
  data: Buffer;
  /** The message as stored (without _msgid and _sf): a shallow copy, sharing its values with the input. */
  copy: Msg;
  /** decodeRecord(data) gives back a deep equal of `copy` (no Date, NaN, Error, undefined, class instance). */
  exact: boolean;
}

const BUFFER_FORMAT = 0x42; // "B"
/** Beyond this depth the walk checks for cycles; beyond MAX_DEPTH it refuses. */
const CYCLE_CHECK_DEPTH = 24;
const MAX_DEPTH = 1000;
const LEGACY_BUFFER = Buffer.from('"type":"Buffer"');

interface Walk {
  path: (string | number)[];
  ancestors: object[];
  buffers: (string | number)[][] | undefined;
  /** A replacer is needed: a Buffer or an Error is in the message. */
  replace: boolean;
  exact: boolean;
}

function where(path: (string | number)[]): string {
  let s = "msg";
  for (const p of path) s += typeof p === "number" ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`;
  return s;
}

function refuse(w: Walk, what: string, hint: string): never {
  throw new RecordError(`${where(w.path)} is ${what}: it cannot be stored (${hint})`, w.path.slice());
}

function walk(v: unknown, w: Walk, depth: number): void {
  switch (typeof v) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(v)) w.exact = false;
      return;
    case "undefined":
      w.exact = false;
      return;
    case "function":
      return refuse(w, "a function", "store data, not code");
    case "symbol":
      return refuse(w, "a symbol", "use a string");
    case "bigint":
      return refuse(w, "a BigInt", "use a string or a number");
  }
  if (v === null) return;
  const o = v as object;
  if (depth > CYCLE_CHECK_DEPTH) {
    const j = w.ancestors.lastIndexOf(o);
    if (j >= 0) {
      // Name the first place where the cycle closes: msg.loop, not msg.loop.loop.loop...
      const period = w.ancestors.length - j;
      const at = (n: number) => (n < w.ancestors.length ? w.ancestors[n] : o);
      let n = period;
      while (at(n) !== w.ancestors[n - period]) n++;
      w.path.length = n;
      refuse(w, "a circular reference", "the message refers to itself");
    }
    if (depth > MAX_DEPTH) refuse(w, `nested more than ${MAX_DEPTH} levels deep`, "flatten it");
  }
  if (Array.isArray(o)) {
    w.ancestors.push(o);
    for (let i = 0; i < o.length; i++) {
      w.path.push(i);
      walk(o[i], w, depth + 1);
      w.path.pop();
    }
    w.ancestors.pop();
    return;
  }
  if (ArrayBuffer.isView(o)) {
    if (!(o instanceof Uint8Array)) refuse(w, `a ${o.constructor?.name ?? "typed array"}`, "use an array or a Buffer");
    (w.buffers ??= []).push(w.path.slice());
    w.replace = true;
    return;
  }
  const proto = Object.getPrototypeOf(o) as object | null;
  if (proto !== Object.prototype && proto !== null) {
    if (typeof (o as { toJSON?: unknown }).toJSON === "function") {
      // A Date, a decimal number: stored as what its toJSON gives.
      w.exact = false;
      return;
    }
    if (o instanceof Map || o instanceof Set || o instanceof WeakMap || o instanceof WeakSet) refuse(w, `a ${o.constructor.name}`, "use an object or an array");
    if (o instanceof Promise) refuse(w, "a Promise", "store its result");
    if (o instanceof ArrayBuffer || o instanceof SharedArrayBuffer) refuse(w, "an ArrayBuffer", "use a Buffer");
    if (o instanceof Error) w.replace = true;
    // Any other class instance is stored as its own enumerable properties, as JSON does.
    w.exact = false;
  }
  w.ancestors.push(o);
  const rec = o as Record<string, unknown>;
  for (const k of Object.keys(rec)) {
    // Strings, booleans and numbers are settled here, without a call or a path step (most of a message).
    const v = rec[k];
    const t = typeof v;
    if (t === "string" || t === "boolean") continue;
    if (t === "number") {
      if (!Number.isFinite(v)) w.exact = false;
      continue;
    }
    w.path.push(k);
    walk(v, w, depth + 1);
    w.path.pop();
  }
  w.ancestors.pop();
}

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("base64");
  if (raw instanceof Error) return Object.assign({ name: raw.name, message: raw.message }, raw);
  return value;
}

/** encodeRecord, with the stored copy of the message and whether decoding gives it back exactly. */
export function encodeRecordDetailed(msg: Msg): EncodedRecord {
  const w: Walk = { path: [], ancestors: [msg], buffers: undefined, replace: false, exact: true };
  const copy: Msg = {};
  for (const k of Object.keys(msg)) {
    if (k === "_msgid" || k === "_sf") continue;
    const v = msg[k];
    w.path.push(k);
    walk(v, w, 1);
    w.path.pop();
    copy[k] = v;
  }
  let text: string;
  if (w.buffers) text = "B" + JSON.stringify([w.buffers, copy], replacer);
  else text = w.replace ? JSON.stringify(copy, replacer) : JSON.stringify(copy);
  return { data: Buffer.from(text), copy, exact: w.exact };
}

/**
 * The bytes stored for a message (without _msgid and _sf). Throws a RecordError naming the property when
 * something in it cannot be stored.
 */
export function encodeRecord(msg: Msg): Buffer {
  return encodeRecordDetailed(msg).data;
}

function setAt(root: unknown, path: (string | number)[], f: (v: unknown) => unknown): void {
  let o = root as Record<string | number, unknown>;
  for (let i = 0; i < path.length - 1; i++) {
    o = o[path[i]] as Record<string | number, unknown>;
    if (typeof o !== "object" || o === null) return;
  }
  const last = path[path.length - 1];
  o[last] = f(o[last]);
}

const isByteArray = (d: unknown): d is number[] => Array.isArray(d) && d.every((x) => Number.isInteger(x) && x >= 0 && x <= 255);

/** Records written before the Buffer format hold Buffers as {"type":"Buffer","data":[...]}. */
function reviveLegacy(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = reviveLegacy(v[i]);
    return v;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 2 && o.type === "Buffer" && isByteArray(o.data)) return Buffer.from(o.data);
  for (const k of keys) o[k] = reviveLegacy(o[k]);
  return o;
}

/** The message a record holds. Throws if the bytes are not a record (never for what encodeRecord wrote). */
export function decodeRecord(data: Buffer): Msg {
  let msg: unknown;
  let paths: unknown;
  try {
    if (data[0] === BUFFER_FORMAT) [paths, msg] = JSON.parse(data.toString("utf8", 1)) as [unknown, unknown];
    else msg = JSON.parse(data.toString("utf8"));
  } catch (err) {
    throw new Error(`stored record is not a message: ${(err as Error).message}`, { cause: err });
  }
  if (typeof msg !== "object" || msg === null || Array.isArray(msg)) throw new Error("stored record is not a message: not a JSON object");
  if (Array.isArray(paths)) {
    for (const p of paths as (string | number)[][]) setAt(msg, p, (s) => (typeof s === "string" ? Buffer.from(s, "base64") : s));
  } else if (data.includes(LEGACY_BUFFER)) reviveLegacy(msg);
  return msg as Msg;
}
