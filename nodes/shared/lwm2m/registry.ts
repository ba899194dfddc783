/**
 * What the nodes that use an `lwm2m-server` config node (lwm2m-request, lwm2m-in, lwm2m-diagnose) see of it: the
 * server's public face, found by the config node's id. The server itself lives in nodes/lwm2m-server/ (a node
 * never imports another node): it puts itself here when it starts and takes itself away when it closes.
 *
 * A config node whose config is bad never starts; its parse error is kept here, so that a node using it refuses
 * its messages with the real cause ("Port: ... must be from 0 to 65535") rather than "no server".
 */
import type { EventEmitter } from "node:events";

/** One registered device, as the endpoint table shows it. */
export interface Registration {
  /** The registration id: the Location-Path is rd/{id}. */
  id: string;
  endpoint: string;
  address: string;
  port: number;
  /** Lifetime in seconds. */
  lifetime: number;
  /** LwM2M version the device announced ("1.0" when absent). */
  lwm2m: string;
  /** Binding mode (b=), e.g. "U", "UQ". */
  binding: string;
  /** Queue mode: requests wait for the device's next Register or Update. */
  queue: boolean;
  /** The objects it announced, e.g. ["/1/0", "/3/0", "/5/0"]. */
  objects: string[];
  /** The link-format payload as it came. */
  links: string;
  /** Epoch ms of the first Register of this registration. */
  registeredAt: number;
  /** Epoch ms of the last Register, Update or answer from the device. */
  lastSeen: number;
}

/** An event from the server (lwm2m-in's messages). */
export interface Lwm2mEvent {
  event: "registered" | "updated" | "deregistered" | "expired" | "restarted" | "notify" | "send";
  endpoint: string;
  /** ISO time of the event. */
  at: string;
  registration?: Registration;
  /** notify: the observed path; send: "/dp". */
  path?: string;
  /** notify / send: the decoded value (or the raw Buffer when it could not be decoded). */
  value?: unknown;
  contentFormat?: number;
  /** When the payload could not be decoded. */
  decodeError?: string;
}

/** A request to a device. */
export interface DeviceRequest {
  method: "GET" | "PUT" | "POST" | "DELETE" | "FETCH" | "iPATCH";
  /** The LwM2M path, e.g. "/3/0/1" ("/" for a composite). */
  path: string;
  /** URI query (write-attributes: "pmin=10&pmax=60"). */
  query?: string;
  payload?: Buffer;
  contentFormat?: number;
  accept?: number;
  /** How long to wait for the answer (ms). */
  timeoutMs?: number;
  /** How long to wait for a queue-mode device to wake up (ms). */
  queueWaitMs?: number;
}

/** The device's answer. */
export interface DeviceResponse {
  /** "2.05", "4.04", ... */
  code: string;
  payload: Buffer;
  contentFormat?: number;
}

/** A running observation. */
export interface Observation {
  /** The first answer (the current value). */
  first: DeviceResponse;
  /** Stop observing (sends a cancel to the device). */
  cancel(): void;
}

/** A request the device could not answer, or did not: `code` is the CoAP code, or "timeout", "unknown-endpoint"... */
export class DeviceError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly endpoint: string,
  ) {
    super(message);
    this.name = "DeviceError";
  }
}

/** What the lwm2m-server config node offers the nodes that use it. */
export interface Lwm2mServerApi {
  /** Events: "event" (Lwm2mEvent). */
  readonly events: EventEmitter;
  /** The address and port the server listens on (the configured ones until it is bound). */
  address(): { address: string; port: number };
  /** Once bound: the address and port (port 0 resolved). Rejects with the bind error. */
  listeningOn(): Promise<{ address: string; port: number }>;
  registrations(): Registration[];
  registration(endpoint: string): Registration | undefined;
  /** Send a request to a registered device (from the server's own socket). Rejects with a DeviceError. */
  request(endpoint: string, req: DeviceRequest): Promise<DeviceResponse>;
  /** Observe a path; `onNotify` gets every later notification. Rejects with a DeviceError. */
  observe(endpoint: string, req: DeviceRequest, onNotify: (res: DeviceResponse) => void): Promise<Observation>;
  /** Cancel every observation of `path` on `endpoint` (this server's, whoever started them); how many. */
  cancelObservations(endpoint: string, path: string): number;
}

const running = new Map<string, Lwm2mServerApi>();
const failures = new Map<string, string>();

/** The config node `id` started its server. */
export function registerServer(id: string, server: Lwm2mServerApi): void {
  running.set(id, server);
  failures.delete(id);
}

/** The config node `id` closed. */
export function unregisterServer(id: string, server: Lwm2mServerApi): void {
  if (running.get(id) === server) running.delete(id);
}

/** The config node `id` could not start: why (its config error or start error). */
export function serverFailed(id: string, reason: string): void {
  failures.set(id, reason);
}

/**
 * The server of config node `id`, or an Error naming why there is none (its bad config, or none chosen). `field`
 * is the using node's config field ("server"), named in the message.
 */
export function findServer(id: unknown, field = "server"): Lwm2mServerApi {
  if (typeof id !== "string" || id === "") throw Object.assign(new Error(`${field}: no lwm2m-server config node is chosen`), { field });
  const s = running.get(id);
  if (s) return s;
  const why = failures.get(id);
  throw Object.assign(new Error(why ? `${field}: the lwm2m-server config node could not start: ${why}` : `${field}: the lwm2m-server config node ${id} is not deployed`), { field });
}

/** The server of config node `id`, if it runs. */
export function serverOf(id: string): Lwm2mServerApi | undefined {
  return running.get(id);
}
