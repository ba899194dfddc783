/** lwm2m-request's config, and what a message may override. */
import { parseFields } from "../shared/fields";
import { CONTENT_FORMAT } from "../shared/lwm2m";
import { FIELDS, OPS, type Op } from "./fields";

export interface RequestConfig {
  server: string;
  op: Op;
  path: string;
  endpoint: string;
  /** Accept for reads (undefined: the device chooses), Content-Format for writes. */
  accept?: number;
  writeFormat: number;
  timeoutMs?: number;
  queueWaitMs: number;
  stateTimeoutMs: number;
}

const FORMATS: Record<string, number | undefined> = {
  auto: undefined,
  tlv: CONTENT_FORMAT.TLV,
  "senml-json": CONTENT_FORMAT.SENML_JSON,
  "senml-cbor": CONTENT_FORMAT.SENML_CBOR,
  text: CONTENT_FORMAT.TEXT,
};

export function parseRequestConfig(def: Record<string, unknown>): RequestConfig {
  const f = parseFields<{ op: Op; path: string; endpoint: string; format: string; timeoutSeconds: number; queueWaitSeconds: number; stateTimeoutSeconds: number }>(FIELDS, def);
  const accept = FORMATS[f.format];
  return {
    server: typeof def.server === "string" ? def.server : "",
    op: f.op,
    path: f.path,
    endpoint: f.endpoint,
    accept,
    writeFormat: accept ?? CONTENT_FORMAT.TLV,
    timeoutMs: f.timeoutSeconds > 0 ? f.timeoutSeconds * 1000 : undefined,
    queueWaitMs: f.queueWaitSeconds * 1000,
    stateTimeoutMs: f.stateTimeoutSeconds * 1000,
  };
}

/** msg.op, msg.path, msg.endpoint over the config; an Error naming the property when one is bad. */
export function resolveTarget(cfg: RequestConfig, msg: Record<string, unknown>): { op: Op; path: string; endpoint: string } {
  const op = msg.op === undefined ? cfg.op : msg.op;
  if (typeof op !== "string" || !(OPS as readonly string[]).includes(op)) throw new Error(`msg.op "${String(op)}" is not an operation: use one of ${OPS.join(", ")}`);
  const path = msg.path === undefined ? cfg.path : msg.path;
  if (typeof path !== "string" || !/^\/(\d{1,5}(\/\d{1,5}){0,3})?$/.test(path)) throw new Error(`msg.path "${String(path)}" is not an LwM2M path such as /3/0 or /3/0/9`);
  // msg.endpoint, else the config, else a device command's payload.deviceId (rollout-stage's output shape), so a
  // campaign can be wired straight in.
  const p = msg.payload as Record<string, unknown> | null | undefined;
  const fromPayload = p && typeof p === "object" && typeof p.deviceId === "string" ? p.deviceId : "";
  const endpoint = msg.endpoint !== undefined && msg.endpoint !== "" ? msg.endpoint : cfg.endpoint || fromPayload;
  if (typeof endpoint !== "string" || endpoint === "") throw new Error("no endpoint: set the node's Endpoint, msg.endpoint or msg.payload.deviceId to the device's endpoint name");
  return { op: op as Op, path, endpoint };
}

/** The reason phrase of a CoAP response code (RFC 7252 §12.1.2), for error messages. */
export const CODE_TEXT: Record<string, string> = {
  "4.00": "Bad Request",
  "4.01": "Unauthorized",
  "4.02": "Bad Option",
  "4.03": "Forbidden",
  "4.04": "Not Found",
  "4.05": "Method Not Allowed",
  "4.06": "Not Acceptable",
  "4.08": "Request Entity Incomplete",
  "4.12": "Precondition Failed",
  "4.13": "Request Entity Too Large",
  "4.15": "Unsupported Content-Format",
  "5.00": "Internal Server Error",
  "5.01": "Not Implemented",
  "5.02": "Bad Gateway",
  "5.03": "Service Unavailable",
  "5.04": "Gateway Timeout",
};

/** write-attributes: `{ pmin: 10, pmax: 60, gt: 25 }` → "pmin=10&pmax=60&gt=25" (LwM2M 1.1 Core §5.1.2). */
export function attributesQuery(payload: unknown): string {
  if (!payload || typeof payload !== "object" || Array.isArray(payload)) throw new Error("write-attributes needs msg.payload as an object such as { pmin: 10, pmax: 60 }");
  const allowed = ["pmin", "pmax", "gt", "lt", "st", "epmin", "epmax", "edrx", "con", "hqmax"];
  const parts: string[] = [];
  for (const [k, v] of Object.entries(payload)) {
    if (!allowed.includes(k)) throw new Error(`write-attributes: "${k}" is not an LwM2M attribute (${allowed.join(", ")})`);
    if (v === null) parts.push(k); // a bare attribute removes it
    else if (typeof v === "number" && Number.isFinite(v)) parts.push(`${k}=${v}`);
    else throw new Error(`write-attributes: ${k} must be a number (or null to remove it), not ${JSON.stringify(v)}`);
  }
  if (!parts.length) throw new Error("write-attributes: msg.payload names no attribute");
  return parts.join("&");
}
