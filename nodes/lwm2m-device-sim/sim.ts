/**
 * Simulated LwM2M 1.1 clients: each on its own UDP socket on 127.0.0.1 (a CoAP server for the server's requests,
 * and the same socket for its Register and Updates, as a real device behind NAT), serving objects 3, 4, 5, 6 and 7
 * in TLV, SenML JSON, SenML CBOR and text, with Object 5's firmware state machine and a profile (profiles.ts).
 * Simulated time runs `speed` times faster than real time.
 *
 * Firmware packages are not downloaded: the Package URI says what happens (its query): `version=2.0.0` is the
 * version installed; `result=N` makes the update fail with Update Result N (2-7 and 9 while downloading; 8, 10 and
 * 11 at Update); `stuck=downloading` or `stuck=updating` leaves the state there.
 */
import type dgram from "node:dgram";
import { EventEmitter } from "node:events";
import { Agent, createServer, type IncomingMessage, type OutgoingMessage, type Server } from "coap";
import { formatOption } from "../shared/lwm2m/coap-options";
import { CONTENT_FORMAT, decode, encode } from "../shared/lwm2m";
import { guardedSocket } from "../shared/lwm2m/udp";
import { readings, MEMORY_TOTAL_KB, type Profile } from "./profiles";

export interface DeviceOptions {
  endpoint: string;
  profile: Profile;
  serverHost: string;
  serverPort: number;
  /** Registration lifetime (s, real time); Updates go every lifetime / 2. */
  lifetime: number;
  /** Simulated seconds per real second. */
  speed: number;
  firmwareVersion: string;
  /** firmware-bug: the version that, once installed, reboots the device every `rebootEveryMinutes` simulated minutes. */
  bugVersion: string;
  /** /3/0/18 Hardware Version (the hardware revision); default "rev-A". */
  hardwareVersion?: string;
  /**
   * The hardware revision that crashes on `bugVersion` whatever its profile ("" or absent: none; only the firmware-bug
   * profile does): one revision of a fleet reboot-looping on a new firmware that the others run fine.
   */
  bugHardware?: string;
  rebootEveryMinutes: number;
  /** Real ms a download takes, and an update. */
  downloadMs: number;
  updateMs: number;
  seed: number;
  /** Binding "U", or "UQ" (queue mode: the server holds requests until the next Update). */
  binding?: "U" | "UQ";
  now?: () => number;
}

type Value = unknown;

const OBJECT_IDS = [1, 3, 4, 5, 6, 7];

export class SimDevice extends EventEmitter {
  profile: Profile;
  firmwareVersion: string;
  private sock?: dgram.Socket;
  private coap?: Server;
  private agent?: Agent;
  private location?: string;
  private timers = new Set<NodeJS.Timeout>();
  private updateTimer?: NodeJS.Timeout;
  private rebootTimer?: NodeJS.Timeout;
  private readonly startedAt: number;
  private bootedAt: number;
  private fw = { uri: "", state: 0, result: 0, pkgVersion: "", pending: "" };
  private observers = new Map<string, Set<{ res: OutgoingMessage; format: number }>>();
  private closed = false;
  private closeSocket?: () => Promise<void>;
  reboots = 0;
  registrations = 0;
  private readonly now: () => number;

  constructor(private readonly opts: DeviceOptions) {
    super();
    this.on("error", () => undefined);
    this.profile = opts.profile;
    this.firmwareVersion = opts.firmwareVersion;
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
    this.bootedAt = this.startedAt;
  }

  get endpoint(): string {
    return this.opts.endpoint;
  }

  /** /3/0/18 Hardware Version. */
  get hardwareVersion(): string {
    return this.opts.hardwareVersion || "rev-A";
  }

  /**
   * Whether the bug version crashes this device: its profile is firmware-bug, or its hardware revision is the
   * crashing one (`bugHardware`).
   */
  get bugHits(): boolean {
    return this.profile === "firmware-bug" || (!!this.opts.bugHardware && this.hardwareVersion === this.opts.bugHardware);
  }

  get port(): number {
    try {
      return this.sock?.address().port ?? 0;
    } catch {
      return 0;
    }
  }

  /** Simulated hours since boot and since the simulation began. */
  private hours(): { sinceBoot: number; age: number; simNow: number } {
    const real = this.now();
    return { sinceBoot: ((real - this.bootedAt) * this.opts.speed) / 3_600_000, age: ((real - this.startedAt) * this.opts.speed) / 3_600_000, simNow: this.startedAt + (real - this.startedAt) * this.opts.speed };
  }

  /** The objects as they are now: `{ "3": { "0": { "0": "...", ... } }, ... }`. */
  objects(): Record<string, Record<string, Record<string, Value>>> {
    const h = this.hours();
    const r = readings(this.profile, h.sinceBoot, h.age, this.opts.seed);
    const errors = Object.fromEntries(r.errors.map((e, i) => [String(i), e]));
    return {
      "1": { "0": { "0": 1, "1": this.opts.lifetime, "6": false, "7": "U" } },
      "3": {
        "0": {
          "0": "m2mflow",
          "1": "sim-1",
          "2": `SN-${this.opts.endpoint}`,
          "3": this.firmwareVersion,
          "6": { "0": 1, "1": 5 },
          "7": { "0": r.voltage, "1": 5000 },
          "9": r.battery,
          "10": r.memoryFree,
          "11": errors,
          "13": new Date(Math.floor(h.simNow / 1000) * 1000).toISOString(),
          "16": "U",
          "18": this.hardwareVersion,
          "20": r.batteryStatus,
          "21": MEMORY_TOTAL_KB,
        },
      },
      "4": { "0": { "0": 6, "1": { "0": 6 }, "2": r.rsrp, "3": r.linkQuality, "4": { "0": "10.0.0.2" }, "8": 20_451, "11": r.sinr } },
      "5": { "0": { "1": this.fw.uri, "3": this.fw.state, "5": this.fw.result, "6": "sim-firmware", "7": this.fw.pkgVersion || this.firmwareVersion, "9": 0 } },
      "6": { "0": { "0": 48.8584, "1": 2.2945, "5": new Date(Math.floor(h.simNow / 1000) * 1000).toISOString() } },
      "7": { "0": { "0": 0, "1": 0, "2": Math.round(h.age * 12), "3": Math.round(h.age * 30), "8": 0 } },
    };
  }

  private at(path: string): { found: boolean; value?: Value } {
    let o: unknown = this.objects();
    for (const part of path.split("/").filter((p) => p !== "")) {
      if (!o || typeof o !== "object" || !(part in (o as Record<string, unknown>))) return { found: false };
      o = (o as Record<string, unknown>)[part];
    }
    return { found: true, value: o };
  }

  // -------------------------------------------------------------------------------------------------------------

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const guarded = guardedSocket("udp4", (err) => this.emit("error", err));
      const sock = guarded.sock;
      this.sock = sock;
      this.closeSocket = guarded.close;
      sock.once("error", reject);
      sock.bind(0, "127.0.0.1", () => {
        sock.off("error", reject);
        sock.on("error", (err) => this.emit("error", err));
        this.coap = createServer({ type: "udp4" } as never);
        this.coap.on("request", (req: IncomingMessage, res: OutgoingMessage) => {
          try {
            this.serve(req, res);
          } catch (err) {
            this.emit("error", err);
            this.reply(res, "5.00");
          }
        });
        this.coap.on("error", (err: Error) => this.emit("error", err));
        this.coap.listen(sock as never);
        this.agent = new Agent({ socket: sock });
        this.agent.on("error", (err: Error) => this.emit("error", err));
        this.register();
        this.scheduleReboots();
        resolve();
      });
    });
  }

  private later(fn: () => void, ms: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private send(method: "POST" | "DELETE", pathname: string, query: string, payload: Buffer | undefined, cb: (code: string, res?: IncomingMessage) => void): void {
    if (!this.agent || this.closed) return;
    const req = this.agent.request({ hostname: this.opts.serverHost, port: this.opts.serverPort, method, pathname, query, confirmable: true, ...(payload ? { options: { "Content-Format": 40 } } : {}) } as never);
    req.on("response", (res: IncomingMessage) => cb(res.code, res));
    req.on("error", () => cb(""));
    req.on("timeout", () => cb(""));
    req.end(payload);
  }

  /** Register (again: a reboot is a Register over a live registration). */
  register(): void {
    const links = `</>;ct="60 110 112 11542",${OBJECT_IDS.map((o) => `</${o}/0>`).join(",")}`;
    this.send("POST", "/rd", `ep=${encodeURIComponent(this.opts.endpoint)}&lt=${this.opts.lifetime}&lwm2m=1.1&b=${this.opts.binding ?? "U"}`, Buffer.from(links), (code, res) => {
      if (code !== "2.01" || !res) {
        this.later(() => this.register(), 2000); // the server is not there (yet)
        return;
      }
      const opts = (res as unknown as { options?: { name: string; value: Buffer }[] }).options ?? [];
      this.location = opts.filter((o) => o.name === "Location-Path").map((o) => o.value.toString()).join("/");
      this.registrations++;
      this.emit("registered");
      this.scheduleUpdate();
    });
  }

  private scheduleUpdate(): void {
    if (this.updateTimer) clearTimeout(this.updateTimer);
    this.updateTimer = this.later(() => {
      this.send("POST", `/${this.location ?? "rd/x"}`, "", undefined, (code) => {
        if (code === "2.04") this.scheduleUpdate();
        else this.register(); // 4.04: the server forgot us
      });
    }, Math.max(500, (this.opts.lifetime * 1000) / 2));
  }

  /** Reboot: the objects' boot-time state resets, and the device registers again without de-registering. */
  reboot(): void {
    this.reboots++;
    this.bootedAt = this.now();
    this.stopObservers();
    this.emit("reboot");
    this.register();
  }

  private scheduleReboots(): void {
    if (this.rebootTimer) clearTimeout(this.rebootTimer);
    this.rebootTimer = undefined;
    const loop = this.bugHits && this.firmwareVersion === this.opts.bugVersion;
    const leak = this.profile === "memory-leak";
    if (!loop && !leak) return;
    // firmware-bug: reboot every few simulated minutes; memory-leak: reboot when memory runs out.
    const simMs = loop ? this.opts.rebootEveryMinutes * 60_000 : (readings("memory-leak", 0, 0, this.opts.seed).memoryFree / 4) * 3_600_000;
    this.rebootTimer = this.later(() => {
      this.reboot();
      this.scheduleReboots();
    }, Math.max(50, simMs / this.opts.speed));
  }

  setProfile(profile: Profile): void {
    this.profile = profile;
    this.scheduleReboots();
    this.notifyAll();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Serving the server's requests

  private reply(res: OutgoingMessage, code: string, payload?: Buffer, format?: number): void {
    res.code = code;
    if (format !== undefined) res.setOption("Content-Format", format as never);
    res.end(payload);
  }

  private encodeFor(path: string, value: Value, accept: number | undefined): { payload: Buffer; format: number } {
    const depth = path.split("/").filter((p) => p !== "").length;
    const format = accept ?? (depth >= 3 && (typeof value !== "object" || value === null) ? CONTENT_FORMAT.TEXT : CONTENT_FORMAT.TLV);
    if (format === CONTENT_FORMAT.TEXT && (typeof value === "object" && value !== null)) throw Object.assign(new Error("text/plain carries one value"), { code: "4.06" });
    return { payload: encode(value, format, path), format };
  }

  private serve(req: IncomingMessage, res: OutgoingMessage): void {
    const url = new URL(req.url, "coap://x");
    const path = url.pathname.replace(/\/$/, "") || "/";
    const accept = formatOption(req, "Accept");
    const method = req.method as string;
    if (method === "GET" && accept === CONTENT_FORMAT.LINK_FORMAT) return this.discover(path, res);
    if (method === "GET") {
      const { found, value } = this.at(path);
      if (!found) return this.reply(res, "4.04");
      let body: { payload: Buffer; format: number };
      try {
        body = this.encodeFor(path, value, accept);
      } catch (err) {
        return this.reply(res, (err as { code?: string }).code ?? "4.06");
      }
      const observe = (req.headers as Record<string, unknown>).Observe;
      if (observe === 0) {
        const set = this.observers.get(path) ?? new Set();
        this.observers.set(path, set);
        const entry = { res, format: body.format };
        set.add(entry);
        res.on("finish", () => set.delete(entry));
        res.on("error", () => set.delete(entry));
        res.code = "2.05";
        res.setOption("Content-Format", body.format as never);
        res.write(body.payload);
        return;
      }
      return this.reply(res, "2.05", body.payload, body.format);
    }
    if (method === "FETCH" && path === "/") return this.readComposite(req, res);
    if (method === "PUT" && req.payload.length === 0 && url.search !== "") return this.reply(res, "2.04"); // write-attributes
    if (method === "PUT" || (method === "POST" && req.payload.length > 0 && !this.isExecutable(path))) return this.write(req, path, res);
    if (method === "POST") return this.execute(path, res);
    this.reply(res, "4.05");
  }

  private isExecutable(path: string): boolean {
    return path === "/3/0/4" || path === "/5/0/2";
  }

  private discover(path: string, res: OutgoingMessage): void {
    const { found, value } = this.at(path);
    if (!found) return this.reply(res, "4.04");
    const links = [`<${path}>`];
    if (value && typeof value === "object") for (const k of Object.keys(value as object)) links.push(`<${path}/${k}>`);
    this.reply(res, "2.05", Buffer.from(links.join(",")), CONTENT_FORMAT.LINK_FORMAT);
  }

  private readComposite(req: IncomingMessage, res: OutgoingMessage): void {
    const format = formatOption(req, "Content-Format") ?? CONTENT_FORMAT.SENML_JSON;
    let paths: string[];
    try {
      const asked = decode(req.payload, format, "/");
      paths = collectPaths(asked, "");
      if (!paths.length) paths = namesOf(req.payload, format);
    } catch {
      paths = namesOf(req.payload, format);
    }
    const entries = paths.map((p) => ({ path: p, value: this.at(p).value })).filter((e) => e.value !== undefined);
    const out = formatOption(req, "Accept") ?? format;
    this.reply(res, "2.05", encode(entries, out, "/"), out);
  }

  private write(req: IncomingMessage, path: string, res: OutgoingMessage): void {
    const format = formatOption(req, "Content-Format") ?? CONTENT_FORMAT.TEXT;
    let value: unknown;
    try {
      value = decode(req.payload, format, path);
    } catch {
      return this.reply(res, "4.00");
    }
    const uri = path === "/5/0/1" ? value : path === "/5/0" && value && typeof value === "object" ? (value as Record<string, unknown>)["1"] : undefined;
    if (typeof uri === "string") {
      this.reply(res, "2.04");
      this.startDownload(uri);
      return;
    }
    if (path.startsWith("/1/0") || path === "/3/0/13" || path === "/3/0/14" || path === "/3/0/15") return this.reply(res, "2.04");
    this.reply(res, "4.05");
  }

  private execute(path: string, res: OutgoingMessage): void {
    if (path === "/3/0/4") {
      this.reply(res, "2.04");
      this.later(() => this.reboot(), 20);
      return;
    }
    if (path === "/5/0/2") {
      if (this.fw.state !== 2) return this.reply(res, "4.05"); // Update is only allowed in Downloaded
      this.reply(res, "2.04");
      this.startUpdate();
      return;
    }
    this.reply(res, this.at(path).found ? "4.05" : "4.04");
  }

  // -------------------------------------------------------------------------------------------------------------
  // Object 5's state machine (LwM2M 1.1 Core, E.6: Idle 0 → Downloading 1 → Downloaded 2 → Updating 3 → Idle 0)

  private setFw(state: number, result: number): void {
    this.fw.state = state;
    this.fw.result = result;
    this.notify("/5/0/3");
    this.notify("/5/0/5");
    this.notify("/5/0");
  }

  private startDownload(uri: string): void {
    this.fw.uri = uri;
    if (uri === "") return this.setFw(0, 0);
    const q = new URL(uri, "coap://x").searchParams;
    const result = Number(q.get("result") ?? 0);
    this.fw.pending = q.get("version") ?? "unknown";
    this.setFw(1, 0);
    if (q.get("stuck") === "downloading") return;
    this.later(() => {
      if ([2, 3, 4, 5, 6, 7, 9].includes(result)) return this.setFw(0, result);
      this.fw.pkgVersion = this.fw.pending;
      this.setFw(2, 0);
    }, this.opts.downloadMs);
  }

  private startUpdate(): void {
    const q = new URL(this.fw.uri, "coap://x").searchParams;
    const result = Number(q.get("result") ?? 0);
    if (result === 11) return this.setFw(2, 11); // deferred: still Downloaded
    if (result === 10) return this.setFw(0, 10); // cancelled
    this.setFw(3, 0);
    if (q.get("stuck") === "updating") return;
    this.later(() => {
      if (result === 8) {
        this.fw.state = 0;
        this.fw.result = 8;
      } else {
        this.firmwareVersion = this.fw.pending;
        this.fw.state = 0;
        this.fw.result = 1;
      }
      this.reboot();
      this.scheduleReboots();
    }, this.opts.updateMs);
  }

  // -------------------------------------------------------------------------------------------------------------

  private notify(path: string): void {
    const set = this.observers.get(path);
    if (!set || set.size === 0) return;
    const { value } = this.at(path);
    for (const o of set) {
      try {
        o.res.write(encode(value, o.format, path));
      } catch (err) {
        this.emit("error", err);
      }
    }
  }

  private notifyAll(): void {
    for (const path of this.observers.keys()) this.notify(path);
  }

  private stopObservers(): void {
    for (const set of this.observers.values()) {
      for (const o of set) {
        try {
          o.res.end();
        } catch {
          // gone
        }
      }
    }
    this.observers.clear();
  }

  /** What the node's `list` command shows of a device. */
  summary(): Record<string, unknown> {
    return { endpoint: this.endpoint, profile: this.profile, hardwareVersion: this.hardwareVersion, port: this.port, firmwareVersion: this.firmwareVersion, reboots: this.reboots, registered: this.location !== undefined, fwState: this.fw.state, fwResult: this.fw.result };
  }

  /** De-register (when `deregister`), then release the socket and every timer. */
  async close(deregister = true): Promise<void> {
    if (this.closed) return;
    if (deregister && this.location && this.agent) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 300);
        this.send("DELETE", `/${this.location}`, "", undefined, () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    try {
      this.agent?.close(); // aborts every request still retransmitting, before the socket goes
    } catch {
      // nothing in flight
    }
    this.timers.clear();
    this.stopObservers();
    try {
      this.coap?.close();
    } catch {
      // not listening
    }
    await this.closeSocket?.();
  }
}

/** Leaf paths of a decoded value (a composite request's names). */
function collectPaths(v: unknown, prefix: string): string[] {
  if (v === null || typeof v !== "object" || Buffer.isBuffer(v)) return prefix ? [prefix] : [];
  const keys = Object.keys(v as object);
  if (!keys.length) return prefix ? [prefix] : [];
  return keys.flatMap((k) => collectPaths((v as Record<string, unknown>)[k], `${prefix}/${k}`));
}

/** The names of a SenML JSON request (`[{"n":"/3/0/9"},...]`), when the codec gives no values for name-only records. */
function namesOf(payload: Buffer, format: number): string[] {
  if (format !== CONTENT_FORMAT.SENML_JSON) return [];
  try {
    const recs = JSON.parse(payload.toString("utf8")) as { bn?: string; n?: string }[];
    let bn = "";
    return recs.map((r) => {
      if (r.bn !== undefined) bn = r.bn;
      return `${bn}${r.n ?? ""}`;
    });
  } catch {
    return [];
  }
}
