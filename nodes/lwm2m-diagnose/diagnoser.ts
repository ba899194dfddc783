/**
 * The diagnoser: per-endpoint histories (history.ts) and the tree (tree.ts) behind one call per input. Pure: the
 * time of an input is its `at`, or the `now` given; no timers, no files (the node saves `snapshot()`).
 *
 * Inputs (msg.payload):
 * - a snapshot `{ endpoint, at?, objects: { "3": { "0": { ... } }, "4": { ... }, "5": { ... } } }`, the shape
 *   lwm2m-request's reads give (resource ids as keys, multi-instance resources as `{ "0": v, ... }`, Time as UTC ISO);
 * - an lwm2m-in event `{ event, endpoint, at, ... }`: registered, updated, restarted, deregistered, expired change
 *   the registration history; notify and send carry values (`path` + `value`, or `objects`, or `values` by path).
 */
import { InputError } from "../shared/errors";
import { isRec } from "../shared/util";
import { applyEvent, applyValues, emptyHistory, flattenPath, flattenSnapshot, type EndpointHistory, type HistoryState } from "./history";
import { diagnose, type Diagnosis, type Rules } from "./tree";

export const EVENTS = ["registered", "updated", "restarted", "deregistered", "expired", "notify", "send"] as const;

/** An input's time: epoch ms, or an ISO 8601 string with a zone. */
export function parseAt(v: unknown, now: number): number {
  if (v === undefined || v === null || v === "") return now;
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (v instanceof Date && Number.isFinite(v.getTime())) return v.getTime();
  if (typeof v === "string" && /(Z|[+-]\d\d:?\d\d)$/i.test(v.trim())) {
    const t = Date.parse(v);
    if (Number.isFinite(t)) return t;
  }
  throw new InputError(`msg.payload.at ${JSON.stringify(v)} is not a time: use epoch milliseconds or ISO 8601 with Z or an offset`, "bad time");
}

export class Diagnoser {
  private readonly endpoints = new Map<string, EndpointHistory>();

  constructor(readonly rules: Rules) {}

  get size(): number {
    return this.endpoints.size;
  }

  history(endpoint: string): EndpointHistory | undefined {
    return this.endpoints.get(endpoint);
  }

  /**
   * One input: update the endpoint's history, then walk the tree. Throws an InputError naming what is wrong with
   * a payload that is neither a snapshot nor an lwm2m-in event.
   */
  input(payload: unknown, now: number, endpointHint?: string): Diagnosis {
    if (!isRec(payload)) throw new InputError(`msg.payload must be a snapshot { endpoint, objects } or an lwm2m-in event { event, endpoint }, not ${payload === null ? "null" : Array.isArray(payload) ? "an array" : typeof payload}`, "bad payload");
    const endpoint = typeof payload.endpoint === "string" && payload.endpoint.trim() ? payload.endpoint.trim() : endpointHint;
    if (!endpoint) throw new InputError("msg.payload.endpoint (or msg.endpoint) is missing: the diagnosis keeps a history per endpoint", "no endpoint");
    const at = parseAt(payload.at, now);
    const event = payload.event;
    if (event !== undefined) {
      if (typeof event !== "string" || !(EVENTS as readonly string[]).includes(event))
        throw new InputError(`msg.payload.event ${JSON.stringify(event)} is not an lwm2m-in event: use ${EVENTS.join(", ")}`, "bad event");
      const h = this.touch(endpoint, at);
      applyEvent(h, event, at);
      if (event === "notify" || event === "send") this.values(h, payload, at);
      return diagnose(endpoint, h, at, this.rules);
    }
    if (!isRec(payload.objects))
      throw new InputError("msg.payload has neither objects (a snapshot: { endpoint, objects: { \"3\": { \"0\": { ... } } } }) nor event (an lwm2m-in event)", "bad payload");
    const { values, whole } = flattenSnapshot(payload.objects);
    if (!whole.length) throw new InputError("msg.payload.objects holds none of objects 3 (Device), 4 (Connectivity Monitoring) or 5 (Firmware Update)", "no objects");
    const h = this.touch(endpoint, at);
    applyValues(h, values, whole, at, this.rules);
    return diagnose(endpoint, h, at, this.rules);
  }

  /** Diagnose an endpoint from its history alone (a `diagnose` command). */
  diagnose(endpoint: string, now: number): Diagnosis | undefined {
    const h = this.endpoints.get(endpoint);
    return h ? diagnose(endpoint, h, now, this.rules) : undefined;
  }

  /** Forget one endpoint (true when it was known). */
  forget(endpoint: string): boolean {
    return this.endpoints.delete(endpoint);
  }

  snapshot(): HistoryState {
    return { format: 1, endpoints: Object.fromEntries(this.endpoints) };
  }

  /** Take a saved state back (false when it is not one this version wrote). */
  restore(state: unknown): boolean {
    if (!isRec(state) || state.format !== 1 || !isRec(state.endpoints)) return false;
    this.endpoints.clear();
    const list = Object.entries(state.endpoints)
      .filter((e): e is [string, EndpointHistory] => isRec(e[1]) && Array.isArray(e[1].reboots) && Array.isArray(e[1].memory) && isRec(e[1].values))
      .map(([k, h]) => [k, { ...emptyHistory(0), ...h }] as [string, EndpointHistory])
      .sort((a, b) => a[1].seen - b[1].seen);
    for (const [k, h] of list) this.endpoints.set(k, h);
    this.evict();
    return true;
  }

  private values(h: EndpointHistory, payload: Record<string, unknown>, at: number): void {
    if (isRec(payload.objects)) {
      const { values, whole } = flattenSnapshot(payload.objects);
      applyValues(h, values, whole, at, this.rules);
    }
    if ((payload.path === "/dp" || payload.path === "/") && isRec(payload.value)) {
      // a Send (LwM2M 1.1) as lwm2m-in gives it: the values nested by object; only what it carries is updated
      applyValues(h, flattenSnapshot(payload.value).values, [], at, this.rules);
    } else if (typeof payload.path === "string" && payload.value !== undefined) {
      const { values, whole } = flattenPath(payload.path, payload.value);
      applyValues(h, values, whole, at, this.rules);
    }
    if (isRec(payload.values)) {
      // a Send: values by path ("/3/0/9": 12, ...)
      const flat: Record<string, unknown> = {};
      for (const [p, v] of Object.entries(payload.values)) Object.assign(flat, flattenPath(p, v).values);
      applyValues(h, flat, [], at, this.rules);
    }
  }

  /** The endpoint's history, most recently used last (the oldest are forgotten beyond maxEndpoints). */
  private touch(endpoint: string, at: number): EndpointHistory {
    let h = this.endpoints.get(endpoint);
    if (h) this.endpoints.delete(endpoint);
    else h = emptyHistory(at);
    this.endpoints.set(endpoint, h);
    this.evict();
    return h;
  }

  private evict(): void {
    while (this.endpoints.size > this.rules.maxEndpoints) {
      const oldest = this.endpoints.keys().next().value as string;
      this.endpoints.delete(oldest);
    }
  }
}
