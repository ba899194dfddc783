/**
 * The LwM2M server: a CoAP server (the npm `coap` package) on one UDP socket, with the Registration interface
 * (OMA LwM2M 1.1 Core §6.2 / Transport §6.4): Register, Update, De-register, lifetime expiry, queue mode, and the
 * Information Reporting interface's Notify and Send (/dp). Requests to devices leave from the same socket (coap's
 * Agent is given the server's socket), so a device behind NAT, which only ever talks to that address and port,
 * gets them.
 *
 * No Node-RED here: the wrapper (lwm2m-server.ts) wires the state file, the registry and the admin endpoint.
 */
import crypto from "node:crypto";
import type dgram from "node:dgram";
import { EventEmitter } from "node:events";
import { formatOption } from "../shared/lwm2m/coap-options";
import { Agent, createServer, type IncomingMessage, type OutgoingMessage, type Server } from "coap";
import { guardedSocket } from "../shared/lwm2m/udp";
import { DeviceError, type DeviceRequest, type DeviceResponse, type Lwm2mEvent, type Lwm2mServerApi, type Observation, type Registration } from "../shared/lwm2m/registry";

export interface ServerOptions {
  port: number;
  bind: string;
  /** Lifetime when a Register gives none (s); LwM2M's default is 86400. */
  defaultLifetime?: number;
  /** A queue-mode device is taken as awake this long after it last spoke (ms); MAX_TRANSMIT_WAIT is 93 s. */
  awakeMs?: number;
  /** Request timeout when the caller gives none (ms). */
  timeoutMs?: number;
  /** How often lifetimes are checked (ms). */
  sweepMs?: number;
  /** Decode a notification or a Send payload (the codec), for the events. */
  decode?: (payload: Buffer, contentFormat: number | undefined, path: string) => unknown;
  now?: () => number;
}

/** The object instances a Register payload announces ("</1/0>,</3/0>;ver=1.1" → ["/1/0", "/3/0"]). */
export function announcedObjects(links: string): string[] {
  const out: string[] = [];
  for (const m of links.matchAll(/<([^>]*)>/g)) {
    const p = m[1].replace(/^\/?/, "/");
    if (/^\/\d+(\/\d+)?$/.test(p)) out.push(p);
  }
  return out;
}

/** "2.05" from coap's code. */
const isSuccess = (code: string) => code.startsWith("2.");

interface Pending {
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class Lwm2mServer implements Lwm2mServerApi {
  readonly events = new EventEmitter();
  private readonly regs = new Map<string, Registration>(); // by endpoint
  private readonly byId = new Map<string, string>(); // registration id → endpoint
  private readonly waiting = new Map<string, Set<Pending>>(); // endpoint → requests waiting for a wake-up
  private readonly observations = new Map<string, Set<{ path: string; stop: () => void }>>();
  private readonly inflight = new Set<{ abort: () => void }>();
  private sock?: dgram.Socket;
  private coap?: Server;
  private agent?: Agent;
  private sweep?: NodeJS.Timeout;
  private closed = false;
  private closeSocket?: () => Promise<void>;
  private listening?: Promise<void>;
  private readonly now: () => number;

  constructor(private readonly opts: ServerOptions) {
    this.now = opts.now ?? Date.now;
    // An "event" with no listener is fine; an "error" must never be thrown.
    this.events.on("error", () => undefined);
  }

  /** Bind the socket and serve. Rejects with the socket's error (port in use, address not here). */
  start(): Promise<void> {
    if (this.listening) return this.listening;
    this.listening = new Promise((resolve, reject) => {
      const type = this.opts.bind.includes(":") ? "udp6" : "udp4";
      const guarded = guardedSocket(type, (err) => this.events.emit("error", err));
      const sock = guarded.sock;
      this.sock = sock;
      this.closeSocket = guarded.close;
      const onStartError = (err: Error) => reject(err);
      sock.once("error", onStartError);
      sock.bind(this.opts.port, this.opts.bind, () => {
        sock.off("error", onStartError);
        sock.on("error", (err) => this.events.emit("error", err));
        this.coap = createServer({ type, piggybackReplyMs: 50 } as never);
        this.coap.on("request", (req: IncomingMessage, res: OutgoingMessage) => {
          try {
            this.handle(req, res);
          } catch (err) {
            this.reply(res, "5.00");
            this.events.emit("error", err);
          }
        });
        this.coap.on("error", (err: Error) => this.events.emit("error", err));
        this.coap.listen(sock as never);
        this.agent = new Agent({ socket: sock });
        this.agent.on("error", (err: Error) => this.events.emit("error", err));
        this.sweep = setInterval(() => this.expire(), this.opts.sweepMs ?? 1000);
        this.sweep.unref();
        resolve();
      });
    });
    this.listening.catch(() => undefined); // told to the caller of start(), and to every request
    return this.listening;
  }

  address(): { address: string; port: number } {
    try {
      const a = this.sock?.address();
      if (a) return { address: a.address, port: a.port };
    } catch {
      // not bound yet
    }
    return { address: this.opts.bind, port: this.opts.port };
  }

  async listeningOn(): Promise<{ address: string; port: number }> {
    if (!this.listening) throw new Error("the LwM2M server is not started");
    await this.listening;
    return this.address();
  }

  registrations(): Registration[] {
    return [...this.regs.values()].map((r) => ({ ...r, objects: [...r.objects] }));
  }

  registration(endpoint: string): Registration | undefined {
    const r = this.regs.get(endpoint);
    return r ? { ...r, objects: [...r.objects] } : undefined;
  }

  /** Registrations as kept across a redeploy or a restart. */
  toJSON(): Registration[] {
    return this.registrations();
  }

  /** Take back registrations kept before (those whose lifetime ran out meanwhile expire at the next sweep). */
  load(list: Registration[] | undefined): void {
    for (const r of list ?? []) {
      if (!r || typeof r.endpoint !== "string" || typeof r.id !== "string") continue;
      this.regs.set(r.endpoint, { ...r });
      this.byId.set(r.id, r.endpoint);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // The Registration interface

  private handle(req: IncomingMessage, res: OutgoingMessage): void {
    const url = new URL(req.url, "coap://x");
    const parts = url.pathname.split("/").filter((p) => p !== "");
    const method = req.method;
    if (parts[0] === "rd" && parts.length === 1 && method === "POST") return this.register(req, url, res);
    if (parts[0] === "rd" && parts.length === 2 && method === "POST") return this.update(req, parts[1], url, res);
    if (parts[0] === "rd" && parts.length === 2 && method === "DELETE") return this.deregister(parts[1], res);
    if (parts[0] === "dp" && parts.length === 1 && method === "POST") return this.send(req, res);
    this.reply(res, parts[0] === "rd" || parts[0] === "dp" ? "4.05" : "4.04");
  }

  private reply(res: OutgoingMessage, code: string, locationPath?: string[]): void {
    res.code = code;
    if (locationPath) res.setOption("Location-Path", locationPath.map((p) => Buffer.from(p)) as never);
    res.end();
  }

  private register(req: IncomingMessage, url: URL, res: OutgoingMessage): void {
    const q = url.searchParams;
    const endpoint = q.get("ep");
    if (!endpoint) return this.reply(res, "4.00");
    const lifetime = q.has("lt") ? Number(q.get("lt")) : (this.opts.defaultLifetime ?? 86400);
    if (!Number.isInteger(lifetime) || lifetime <= 0) return this.reply(res, "4.00");
    const binding = q.get("b") ?? "U";
    const links = req.payload.toString("utf8");
    const now = this.now();
    const previous = this.regs.get(endpoint);
    if (previous) this.byId.delete(previous.id);
    const reg: Registration = {
      id: crypto.randomBytes(6).toString("hex"),
      endpoint,
      address: req.rsinfo.address,
      port: req.rsinfo.port,
      lifetime,
      lwm2m: q.get("lwm2m") ?? "1.0",
      binding,
      queue: q.has("Q") || binding.includes("Q"),
      objects: announcedObjects(links),
      links,
      registeredAt: now,
      lastSeen: now,
    };
    this.regs.set(endpoint, reg);
    this.byId.set(reg.id, endpoint);
    this.reply(res, "2.01", ["rd", reg.id]);
    if (previous) this.stopObservations(endpoint);
    this.emit(previous ? "restarted" : "registered", reg, previous ? { previous: { ...previous } } : {});
    this.wake(endpoint);
  }

  private update(req: IncomingMessage, id: string, url: URL, res: OutgoingMessage): void {
    const endpoint = this.byId.get(id);
    const reg = endpoint ? this.regs.get(endpoint) : undefined;
    if (!reg) return this.reply(res, "4.04");
    const q = url.searchParams;
    if (q.has("lt")) {
      const lt = Number(q.get("lt"));
      if (!Number.isInteger(lt) || lt <= 0) return this.reply(res, "4.00");
      reg.lifetime = lt;
    }
    if (q.has("b")) {
      reg.binding = q.get("b") as string;
      reg.queue = reg.binding.includes("Q") || q.has("Q");
    }
    if (req.payload.length > 0) {
      reg.links = req.payload.toString("utf8");
      reg.objects = announcedObjects(reg.links);
    }
    reg.address = req.rsinfo.address;
    reg.port = req.rsinfo.port;
    reg.lastSeen = this.now();
    this.reply(res, "2.04");
    this.emit("updated", reg);
    this.wake(reg.endpoint);
  }

  private deregister(id: string, res: OutgoingMessage): void {
    const endpoint = this.byId.get(id);
    const reg = endpoint ? this.regs.get(endpoint) : undefined;
    if (!reg) return this.reply(res, "4.04");
    this.remove(reg);
    this.reply(res, "2.02");
    this.emit("deregistered", reg);
  }

  private send(req: IncomingMessage, res: OutgoingMessage): void {
    const reg = [...this.regs.values()].find((r) => r.address === req.rsinfo.address && r.port === req.rsinfo.port);
    if (!reg) return this.reply(res, "4.04");
    reg.lastSeen = this.now();
    this.reply(res, "2.04");
    this.emit("send", reg, this.decoded(req.payload, formatOption(req), "/"), "/dp");
  }

  private remove(reg: Registration): void {
    this.regs.delete(reg.endpoint);
    this.byId.delete(reg.id);
    this.stopObservations(reg.endpoint);
    for (const p of this.waiting.get(reg.endpoint) ?? []) {
      clearTimeout(p.timer);
      p.reject(new DeviceError(`${reg.endpoint} de-registered while a request waited for it`, "deregistered", reg.endpoint));
    }
    this.waiting.delete(reg.endpoint);
  }

  /** Registrations whose lifetime has run out. */
  expire(): void {
    const now = this.now();
    for (const reg of [...this.regs.values()]) {
      if (now > reg.lastSeen + reg.lifetime * 1000) {
        this.remove(reg);
        this.emit("expired", reg);
      }
    }
  }

  private emit(event: Lwm2mEvent["event"], reg: Registration, extra: Partial<Lwm2mEvent> | Record<string, unknown> = {}, path?: string): void {
    const e: Lwm2mEvent = { event, endpoint: reg.endpoint, at: new Date(this.now()).toISOString(), registration: { ...reg, objects: [...reg.objects] }, ...(path ? { path } : {}), ...extra };
    this.events.emit("event", e);
    this.events.emit("changed");
  }

  private decoded(payload: Buffer, contentFormat: number | undefined, path: string): Partial<Lwm2mEvent> {
    if (!this.opts.decode) return { value: payload, contentFormat };
    try {
      return { value: this.opts.decode(payload, contentFormat, path), contentFormat };
    } catch (err) {
      return { value: payload, contentFormat, decodeError: err instanceof Error ? err.message : String(err) };
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Queue mode

  private awake(reg: Registration): boolean {
    return !reg.queue || this.now() - reg.lastSeen < (this.opts.awakeMs ?? 93_000);
  }

  private wake(endpoint: string): void {
    const list = this.waiting.get(endpoint);
    if (!list) return;
    this.waiting.delete(endpoint);
    for (const p of list) {
      clearTimeout(p.timer);
      p.resolve();
    }
  }

  /** Resolve when the device can be spoken to: now, or at its next Register/Update (queue mode). */
  private async ready(endpoint: string, waitMs: number): Promise<Registration> {
    if (this.closed) throw new DeviceError("the LwM2M server is closed", "closed", endpoint);
    if (!this.listening) throw new DeviceError("the LwM2M server is not started", "not-listening", endpoint);
    try {
      await this.listening;
    } catch (err) {
      throw new DeviceError(`the LwM2M server could not listen on ${this.opts.bind}:${this.opts.port}: ${err instanceof Error ? err.message : String(err)}`, "not-listening", endpoint);
    }
    return this.readyNow(endpoint, waitMs);
  }

  private readyNow(endpoint: string, waitMs: number): Promise<Registration> {
    const reg = this.regs.get(endpoint);
    if (!reg) return Promise.reject(new DeviceError(`unknown endpoint "${endpoint}": it is not registered with this server`, "unknown-endpoint", endpoint));
    if (this.awake(reg)) return Promise.resolve(reg);
    if (waitMs <= 0) return Promise.reject(new DeviceError(`${endpoint} is in queue mode and asleep, and no wait is allowed`, "queue-timeout", endpoint));
    return new Promise((resolve, reject) => {
      const set = this.waiting.get(endpoint) ?? new Set<Pending>();
      this.waiting.set(endpoint, set);
      const p: Pending = {
        resolve: () => {
          const r = this.regs.get(endpoint);
          if (r) resolve(r);
          else reject(new DeviceError(`unknown endpoint "${endpoint}"`, "unknown-endpoint", endpoint));
        },
        reject,
        timer: setTimeout(() => {
          set.delete(p);
          if (set.size === 0) this.waiting.delete(endpoint);
          reject(new DeviceError(`${endpoint} is in queue mode and did not wake up (no Update) within ${Math.round(waitMs / 1000)} s`, "queue-timeout", endpoint));
        }, waitMs),
      };
      set.add(p);
    });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Device management: requests from the server's own socket

  private send1(reg: Registration, r: DeviceRequest, observe: boolean, onNotify?: (res: DeviceResponse) => void): Promise<{ res: DeviceResponse; stream?: IncomingMessage & { close(eager?: boolean): void } }> {
    if (!this.agent || this.closed) return Promise.reject(new DeviceError("the LwM2M server is closed", "closed", reg.endpoint));
    const agent = this.agent;
    const timeoutMs = r.timeoutMs ?? this.opts.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const options: Record<string, unknown> = {};
      if (r.contentFormat !== undefined) options["Content-Format"] = r.contentFormat;
      if (r.accept !== undefined) options.Accept = r.accept;
      const req = agent.request({
        hostname: reg.address,
        port: reg.port,
        method: r.method as never,
        pathname: r.path,
        query: r.query ?? "",
        options: options as never,
        observe: observe ? 0 : undefined,
        confirmable: true,
      } as never);
      let settled = false;
      const handle = {
        abort: () => {
          try {
            agent.abort(req);
          } catch {
            /* already gone */
          }
        },
      };
      this.inflight.add(handle);
      const finish = (err?: Error, value?: { res: DeviceResponse; stream?: IncomingMessage & { close(eager?: boolean): void } }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inflight.delete(handle);
        if (err) {
          handle.abort();
          reject(err);
        } else resolve(value as never);
      };
      const timer = setTimeout(
        () => finish(new DeviceError(`${reg.endpoint} did not answer ${r.method} ${r.path} within ${timeoutMs / 1000} s (at ${reg.address}:${reg.port})`, "timeout", reg.endpoint)),
        timeoutMs,
      );
      req.on("response", (msg: IncomingMessage) => {
        const res: DeviceResponse = { code: msg.code, payload: msg.payload ?? Buffer.alloc(0), contentFormat: formatOption(msg) };
        reg.lastSeen = this.now();
        if (observe && isSuccess(msg.code)) {
          const stream = msg as IncomingMessage & { close(eager?: boolean): void };
          let first = true;
          stream.on("data", (chunk: Buffer) => {
            if (first) {
              first = false;
              return; // the first "data" is the answer itself
            }
            try {
              onNotify?.({ code: stream.code, payload: chunk, contentFormat: formatOption(stream) });
            } catch (err) {
              this.events.emit("error", err);
            }
          });
          stream.on("error", () => undefined);
          finish(undefined, { res, stream });
        } else finish(undefined, { res });
      });
      req.on("error", (err: Error) => finish(new DeviceError(`${r.method} ${r.path} to ${reg.endpoint} failed: ${err.message}`, "network", reg.endpoint)));
      req.on("timeout", () => finish(new DeviceError(`${reg.endpoint} did not answer ${r.method} ${r.path} (CoAP retransmissions exhausted)`, "timeout", reg.endpoint)));
      req.end(r.payload);
    });
  }

  async request(endpoint: string, r: DeviceRequest): Promise<DeviceResponse> {
    const reg = await this.ready(endpoint, r.queueWaitMs ?? 0);
    return (await this.send1(reg, r, false)).res;
  }

  async observe(endpoint: string, r: DeviceRequest, onNotify: (res: DeviceResponse) => void): Promise<Observation> {
    const reg = await this.ready(endpoint, r.queueWaitMs ?? 0);
    const { res, stream } = await this.send1(reg, { ...r, method: "GET" }, true, (n) => {
      onNotify(n);
      const live = this.regs.get(endpoint);
      if (live) live.lastSeen = this.now();
      this.emit("notify", live ?? reg, { ...this.decoded(n.payload, n.contentFormat, r.path), code: n.code }, r.path);
    });
    if (!stream) return { first: res, cancel: () => undefined };
    const set = this.observations.get(endpoint) ?? new Set();
    this.observations.set(endpoint, set);
    const entry = {
      path: r.path,
      stop: () => {
        set.delete(entry);
        try {
          stream.close(true);
        } catch {
          /* the socket is gone */
        }
      },
    };
    set.add(entry);
    return { first: res, cancel: entry.stop };
  }

  cancelObservations(endpoint: string, path: string): number {
    const set = this.observations.get(endpoint);
    if (!set) return 0;
    const hit = [...set].filter((o) => o.path === path);
    for (const o of hit) o.stop();
    return hit.length;
  }

  private stopObservations(endpoint: string): void {
    for (const o of this.observations.get(endpoint) ?? []) o.stop();
    this.observations.delete(endpoint);
  }

  /** Stop: every observation, waiting request and timer; the socket closed. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    if (this.sweep) clearInterval(this.sweep);
    for (const endpoint of [...this.observations.keys()]) this.stopObservations(endpoint);
    for (const [endpoint, list] of this.waiting) {
      for (const p of list) {
        clearTimeout(p.timer);
        p.reject(new DeviceError(`the LwM2M server closed while a request waited for ${endpoint}`, "closed", endpoint));
      }
    }
    this.waiting.clear();
    for (const h of [...this.inflight]) h.abort();
    this.inflight.clear();
    try {
      this.agent?.close(); // aborts every request still retransmitting, before the socket goes
    } catch {
      // nothing in flight
    }
    try {
      this.coap?.close();
    } catch {
      /* not listening */
    }
    this.sock = undefined;
    return this.closeSocket ? this.closeSocket() : Promise.resolve();
  }
}
