import { Lwm2mCodecError } from "./errors";
import type { LwM2MEntry } from "./types";

/** A parsed LwM2M path: "/" (depth 0), "/3" (1), "/3/0" (2), "/3/0/6" (3), "/3/0/6/1" (4). Ids are 0..65535. */
export interface LwM2MPath {
  text: string;
  depth: 0 | 1 | 2 | 3 | 4;
  objectId?: number;
  instanceId?: number;
  resourceId?: number;
  resourceInstanceId?: number;
  /** alias of resourceId, for brevity */
  resource?: number;
  ids: number[];
}

/** Parse "/3/0/6/1" (leading slash optional, trailing slash ignored). @throws Lwm2mCodecError("bad-path") */
export function parsePath(path: string | LwM2MPath): LwM2MPath {
  if (typeof path === "object" && path !== null) return path;
  if (typeof path !== "string") throw new Lwm2mCodecError("bad-path", `an LwM2M path is a string like "/3/0", not ${typeof path}`);
  const parts = path.split("/").filter((s, i, a) => !(s === "" && (i === 0 || i === a.length - 1)));
  if (parts.length > 4) throw new Lwm2mCodecError("bad-path", `LwM2M path "${path}" is deeper than /object/instance/resource/resource-instance`);
  const ids = parts.map((s) => {
    if (!/^\d{1,5}$/.test(s) || Number(s) > 65535) {
      throw new Lwm2mCodecError("bad-path", `LwM2M path "${path}": "${s}" is not an id from 0 to 65535`);
    }
    return Number(s);
  });
  return {
    text: "/" + ids.join("/"),
    depth: ids.length as LwM2MPath["depth"],
    objectId: ids[0],
    instanceId: ids[1],
    resourceId: ids[2],
    resource: ids[2],
    resourceInstanceId: ids[3],
    ids,
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Buffer.isBuffer(v) || v instanceof Date || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Nest flat entries under `base`: entries at `base` itself give their value; deeper ones nest by id
 * ("/3/0/6/1" under "/3/0" → { "6": { "1": v } }). Entries outside `base` are refused.
 */
export function nest(entries: LwM2MEntry[], base: LwM2MPath | string): unknown {
  const b = parsePath(base);
  let root: Record<string, unknown> | undefined;
  // A time series (SenML records at several times for one path) gives the latest value of each path.
  if (entries.some((e) => e.time !== undefined)) {
    const latest = new Map<string, LwM2MEntry>();
    for (const e of entries) {
      const k = parsePath(e.path).text;
      const prev = latest.get(k);
      if (!prev || (e.time ?? "") >= (prev.time ?? "")) latest.set(k, e);
    }
    entries = [...latest.values()];
  }
  const seen = new Set<string>();
  for (const e of entries) {
    const key = parsePath(e.path).text;
    if (seen.has(key)) throw new Lwm2mCodecError("malformed", `the payload holds ${key} twice`);
    seen.add(key);
    const p = parsePath(e.path);
    if (p.depth < b.depth || b.ids.some((id, i) => p.ids[i] !== id)) {
      throw new Lwm2mCodecError("malformed", `the payload holds ${p.text}, outside the requested ${b.text}`);
    }
    if (p.depth === b.depth) {
      if (entries.length !== 1) throw new Lwm2mCodecError("malformed", `the payload holds ${p.text} more than once, or with its children`);
      return e.value;
    }
    root ??= {};
    let node = root;
    for (let i = b.depth; i < p.depth - 1; i++) {
      const k = String(p.ids[i]);
      const next = node[k];
      if (next === undefined) node = node[k] = {};
      else if (isPlainObject(next)) node = next;
      else throw new Lwm2mCodecError("malformed", `the payload holds both a value and children at ${p.ids.slice(0, i + 1).join("/")}`);
    }
    node[String(p.ids[p.depth - 1])] = e.value;
  }
  return root ?? {};
}

/**
 * The inverse of nest(): the leaves of `value` under `base` as entries, in key order. A plain object above depth 4
 * is a container; anything else (string, number, boolean, bigint, Buffer, Date, null) is a value; an Objlnk given
 * as `{ objectId, instanceId }` is a value too.
 */
export function flatten(value: unknown, base: LwM2MPath | string): LwM2MEntry[] {
  const b = parsePath(base);
  const out: LwM2MEntry[] = [];
  const walk = (v: unknown, ids: number[]): void => {
    if (ids.length < 4 && isPlainObject(v) && !("objectId" in v && "instanceId" in v)) {
      const keys = Object.keys(v).sort((x, y) => Number(x) - Number(y));
      for (const k of keys) {
        if (!/^\d{1,5}$/.test(k) || Number(k) > 65535) {
          throw new Lwm2mCodecError("bad-value", `key "${k}" under /${ids.join("/")} is not an LwM2M id (0..65535)`);
        }
        walk(v[k], [...ids, Number(k)]);
      }
      return;
    }
    out.push({ path: "/" + ids.join("/"), value: v });
  };
  walk(value, b.ids);
  return out;
}
