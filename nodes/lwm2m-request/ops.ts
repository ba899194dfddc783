/**
 * One LwM2M operation on a registered device, through the server's API (no Node-RED): build the CoAP request,
 * check the answer's code, decode its payload. Errors name the endpoint, the operation, the path and the cause.
 */
import { CONTENT_FORMAT, decode, encode, parseLinkFormat } from "../shared/lwm2m";
import { type DeviceRequest, type DeviceResponse, type Lwm2mServerApi, type Observation } from "../shared/lwm2m/registry";
import { CODE_TEXT, attributesQuery } from "./config";
import type { Op } from "./fields";

export interface OpOptions {
  accept?: number;
  writeFormat: number;
  timeoutMs?: number;
  queueWaitMs: number;
}

export interface OpResult {
  code: string;
  contentFormat?: number;
  payload: unknown;
}

/** A 4.xx/5.xx answer, with its code. */
export class OperationError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "OperationError";
  }
}

function check(res: DeviceResponse, op: string, endpoint: string, path: string): void {
  if (res.code.startsWith("2.")) return;
  const detail = res.payload.length && res.payload.length < 200 ? `: ${res.payload.toString("utf8")}` : "";
  throw new OperationError(`${op} ${path} on ${endpoint}: the device answered ${res.code} ${CODE_TEXT[res.code] ?? ""}${detail}`.trim(), res.code);
}

/** Decode an answer's payload; a payload the codec refuses is an error naming the format and the cause. */
export function decodeAnswer(res: DeviceResponse, path: string, endpoint: string): unknown {
  if (res.payload.length === 0) return undefined;
  try {
    return decode(res.payload, res.contentFormat ?? CONTENT_FORMAT.TEXT, path);
  } catch (err) {
    throw new OperationError(`${path} on ${endpoint}: could not decode the answer (content format ${res.contentFormat ?? "none"}): ${err instanceof Error ? err.message : String(err)}`, res.code);
  }
}

function request(server: Lwm2mServerApi, endpoint: string, o: OpOptions, r: DeviceRequest): Promise<DeviceResponse> {
  return server.request(endpoint, { timeoutMs: o.timeoutMs, queueWaitMs: o.queueWaitMs, ...r });
}

/** Run one operation other than observe and firmware-update. */
export async function runOp(server: Lwm2mServerApi, op: Exclude<Op, "observe" | "firmware-update">, endpoint: string, path: string, payload: unknown, o: OpOptions): Promise<OpResult> {
  switch (op) {
    case "read": {
      const res = await request(server, endpoint, o, { method: "GET", path, accept: o.accept });
      check(res, op, endpoint, path);
      return { code: res.code, contentFormat: res.contentFormat, payload: decodeAnswer(res, path, endpoint) };
    }
    case "write": {
      if (payload === undefined) throw new Error(`write ${path}: msg.payload holds no value to write`);
      if (path.split("/").length - 1 < 2) throw new Error(`write ${path}: name an object instance (/3/0) or a resource (/3/0/14)`);
      const body = encode(payload, o.writeFormat, path);
      // A resource is replaced (PUT); an instance is updated in part (POST), so unnamed resources keep their values.
      const method = path.split("/").length - 1 >= 3 ? "PUT" : "POST";
      const res = await request(server, endpoint, o, { method, path, payload: body, contentFormat: o.writeFormat });
      check(res, op, endpoint, path);
      return { code: res.code, payload: payload };
    }
    case "execute": {
      if (path.split("/").length - 1 !== 3) throw new Error(`execute ${path}: name a resource such as /3/0/4 (Reboot)`);
      const args = typeof payload === "string" && payload !== "" ? Buffer.from(payload) : undefined;
      const res = await request(server, endpoint, o, { method: "POST", path, payload: args, ...(args ? { contentFormat: CONTENT_FORMAT.TEXT } : {}) });
      check(res, op, endpoint, path);
      return { code: res.code, payload: undefined };
    }
    case "discover": {
      const res = await request(server, endpoint, o, { method: "GET", path, accept: CONTENT_FORMAT.LINK_FORMAT });
      check(res, op, endpoint, path);
      return { code: res.code, contentFormat: res.contentFormat, payload: parseLinkFormat(res.payload.toString("utf8")).links };
    }
    case "write-attributes": {
      const res = await request(server, endpoint, o, { method: "PUT", path, query: attributesQuery(payload) });
      check(res, op, endpoint, path);
      return { code: res.code, payload: undefined };
    }
    case "read-composite": {
      const paths = Array.isArray(payload) ? payload : undefined;
      if (!paths || !paths.length || !paths.every((p) => typeof p === "string" && /^\/\d+(\/\d+){0,3}$/.test(p))) {
        throw new Error('read-composite needs msg.payload as a list of paths, e.g. ["/3/0/9", "/4/0/2"]');
      }
      const format = o.accept === CONTENT_FORMAT.SENML_CBOR ? CONTENT_FORMAT.SENML_CBOR : CONTENT_FORMAT.SENML_JSON;
      const body = encode(paths.map((p: string) => ({ path: p })), format, "/");
      const res = await request(server, endpoint, o, { method: "FETCH", path: "/", payload: body, contentFormat: format, accept: format });
      check(res, op, endpoint, "/");
      return { code: res.code, contentFormat: res.contentFormat, payload: decodeAnswer(res, "/", endpoint) };
    }
    case "cancel-observe": {
      // Idempotent: nothing to cancel (an endpoint gone, or never observed) is not an error.
      const n = server.cancelObservations(endpoint, path);
      return { code: "", payload: { cancelled: n } };
    }
  }
}

/** Observe: the first answer, then `onValue` for each notification (decoded; an undecodable one as an Error). */
export async function observe(server: Lwm2mServerApi, endpoint: string, path: string, o: OpOptions, onValue: (r: OpResult | Error) => void): Promise<{ first: OpResult; observation: Observation }> {
  const observation = await server.observe(endpoint, { method: "GET", path, accept: o.accept, timeoutMs: o.timeoutMs, queueWaitMs: o.queueWaitMs }, (n) => {
    try {
      onValue({ code: n.code, contentFormat: n.contentFormat, payload: decodeAnswer(n, path, endpoint) });
    } catch (err) {
      onValue(err instanceof Error ? err : new Error(String(err)));
    }
  });
  try {
    check(observation.first, "observe", endpoint, path);
    return { first: { code: observation.first.code, contentFormat: observation.first.contentFormat, payload: decodeAnswer(observation.first, path, endpoint) }, observation };
  } catch (err) {
    observation.cancel();
    throw err;
  }
}
