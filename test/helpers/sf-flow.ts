// Flow-test plumbing for store-forward with a real MQTT broker: the flow, a counting receiver, the stats
// command, feeding readings and waiting for a condition.
//
//   readings → store-forward ─1→ mqtt out (QoS 1) → broker → mqtt in → rx (counts by deviceId/timestamp)
//                  ↑       └─2→ side (metrics, alerts, stats)
//                  ├── Complete scoped to mqtt out (ack: mqtt out completes a QoS 1 message after PUBACK)
//                  ├── Status scoped to mqtt out (link up/down)
//                  └── Catch scoped to mqtt out (nack)
//   Catch scoped to store-forward → errs;  Complete scoped to store-forward → stored (upstream done())
import { EventEmitter } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import storeForward = require("../../nodes/store-forward/store-forward");
import { core, helper, hooks, init, redeploy, sleep, waitFor } from "./node-red";

export const NODES = [storeForward, core.mqtt];
export const TOPIC = "m2m/readings";

/** Initialise the helper for these tests: mqtt.js reconnects every RED.settings.mqttReconnectTime ms. */
export const initSf = () => init({ mqttReconnectTime: 100 });

export type Msg = Record<string, any>;  

export interface FlowOptions {
  port: number;
  /** The port mqtt out connects to (default `port`): a Link in front of the broker, to cut the uplink alone. */
  pubPort?: number;
  dir: string;
  /** store-forward config (ackTimeout 1 s, retryMax 0.5 s, no rate limit unless given). */
  sf?: Record<string, unknown>;
  /** The receiver's MQTT client id (persistent session, so it misses nothing while it reconnects). */
  rxClient: string;
  ack?: boolean;
  status?: boolean;
  nack?: boolean;
  /** Also wire store-forward's first output to a helper "sent" (to see _sf.attempt). */
  spy?: boolean;
}

export function sfFlow(o: FlowOptions): Msg[] {
  const sfOut = ["pub1", ...(o.spy ? ["sent"] : [])];
  return [
    { id: "tab1", type: "tab", label: "store-forward" },
    {
      id: "sf1", z: "tab1", type: "store-forward", dir: o.dir, ackTimeout: "1", retryMax: "0.5", rateBytes: "0", rateMsgs: "0",
      inFlight: "10", batchSize: "1", durability: "batch", syncInterval: "20", metricsInterval: "3600", ...o.sf, wires: [sfOut, ["side"]],
    },
    { id: "pub1", z: "tab1", type: "mqtt out", broker: "bout", topic: TOPIC, qos: "1", retain: "false", wires: [] },
    { id: "bout", type: "mqtt-broker", broker: "127.0.0.1", port: String(o.pubPort ?? o.port), clientid: "", autoConnect: true, usetls: false, protocolVersion: "4", keepalive: "60", cleansession: true },
    { id: "bin", type: "mqtt-broker", broker: "127.0.0.1", port: String(o.port), clientid: o.rxClient, autoConnect: true, usetls: false, protocolVersion: "4", keepalive: "60", cleansession: false },
    { id: "sub1", z: "tab1", type: "mqtt in", broker: "bin", topic: TOPIC, qos: "1", datatype: "json", wires: [["rx"]] },
    { id: "rx", z: "tab1", type: "helper", wires: [] },
    { id: "side", z: "tab1", type: "helper", wires: [] },
    ...(o.spy ? [{ id: "sent", z: "tab1", type: "helper", wires: [] }] : []),
    ...(o.ack === false ? [] : [{ id: "ack1", z: "tab1", type: "complete", scope: ["pub1"], uncaught: false, wires: [["sf1"]] }]),
    ...(o.status === false ? [] : [{ id: "link1", z: "tab1", type: "status", scope: ["pub1"], wires: [["sf1"]] }]),
    ...(o.nack === false ? [] : [{ id: "nack1", z: "tab1", type: "catch", scope: ["pub1"], uncaught: false, wires: [["sf1"]] }]),
    { id: "sfcatch", z: "tab1", type: "catch", scope: ["sf1"], uncaught: false, wires: [["errs"]] },
    { id: "errs", z: "tab1", type: "helper", wires: [] },
    { id: "sfdone", z: "tab1", type: "complete", scope: ["sf1"], uncaught: false, wires: [["stored"]] },
    { id: "stored", z: "tab1", type: "helper", wires: [] },
  ];
}

/**
 * What the flow saw, from the moment it is created (a messaging hook, so it misses nothing a node sends
 * while it starts, and it outlives unload/load and redeploys). dispose() when done.
 */
export class Observer {
  /** Readings that arrived at the receiver, in arrival order, and how often each key arrived. */
  readonly received: Msg[] = [];
  readonly count = new Map<string, number>();
  /** What store-forward's first output sent (with `spy`). */
  readonly sent: Msg[] = [];
  /** Second output: metrics, alerts, stats. */
  readonly side: Msg[] = [];
  /** Errors of store-forward, from a Catch node. */
  readonly errors: Msg[] = [];
  /** Keys of readings whose upstream done() fired without error. */
  readonly stored = new Set<string>();
  private readonly events = new EventEmitter();
  private static seq = 0;
  private readonly hook = `onReceive.sfobserver${++Observer.seq}`;

  constructor() {
    hooks.add(this.hook, (evt: { msg: Msg; destination: { id: string } }) => {
      const m = evt.msg;
      switch (evt.destination.id) {
        case "rx": {
          const p = m.payload as Msg;
          const k = keyOf(p);
          this.received.push(p);
          this.count.set(k, (this.count.get(k) ?? 0) + 1);
          break;
        }
        case "sent":
          this.sent.push(m);
          break;
        case "side":
          this.side.push(m);
          this.events.emit("side", m);
          break;
        case "errs":
          this.errors.push(m);
          break;
        case "stored":
          if (m._sf === undefined && m.command === undefined && m.payload && typeof m.payload === "object") this.stored.add(keyOf(m.payload as Msg));
          break;
      }
    });
  }

  dispose(): void {
    hooks.remove(this.hook);
  }

  /** The next message on the second output with this topic. */
  nextSide(topic: string): Promise<Msg> {
    return new Promise((resolve) => {
      const f = (m: Msg) => {
        if (m.topic !== topic) return;
        this.events.off("side", f);
        resolve(m);
      };
      this.events.on("side", f);
    });
  }

  /** The node's metrics now (the stats command). */
  async stats(id = "sf1"): Promise<Msg> {
    const reply = this.nextSide("stats");
    helper.getNode(id).receive({ command: "stats" });
    return (await reply).payload as Msg;
  }

  get duplicates(): number {
    let n = 0;
    for (const c of this.count.values()) n += c - 1;
    return n;
  }

  missing(keys: Iterable<string>): string[] {
    return [...keys].filter((k) => !this.count.has(k));
  }

  alerts(name: string): Msg[] {
    return this.side.filter((m) => m.topic === "alert" && m.payload.alert === name).map((m) => m.payload);
  }
}

/** Both mqtt-broker config nodes (mqtt out's and mqtt in's) have a connection. */
export const bothConnected = () => ["bout", "bin"].every((id) => helper.getNode(id)?.connected === true);

export const keyOf = (p: Msg) => `${p.deviceId}/${p.timestamp}`;

const T0 = Date.parse("2026-02-08T00:00:00.000Z");
/** A reading with a timestamp in the past (i minutes after T0), so a reading's time is not its delivery time. */
export function reading(device: string, i: number): Msg {
  return { deviceId: device, timestamp: new Date(T0 + i * 60_000).toISOString(), measurements: { energy: { value: i * 1.5, unit: "kWh" } }, quality: "GOOD" };
}

/** Send readings into store-forward; `extra` is merged into each message. */
export function feed(device: string, from: number, n: number, extra: Msg = {}): string[] {
  const sf = helper.getNode("sf1");
  const keys: string[] = [];
  for (let i = from; i < from + n; i++) {
    const payload = reading(device, i);
    keys.push(keyOf(payload));
    sf.receive({ topic: device, payload, ...extra });
  }
  return keys;
}


/**
 * Steady traffic: two readings of `device` every `everyMs` until stop() (which resolves when the feeding
 * has ended). `keys` lists every reading fed so far.
 */
export function feedSteadily(device: string, everyMs: number): { keys: string[]; stop(): Promise<void> } {
  const keys: string[] = [];
  let feeding = true;
  const done = (async () => {
    for (let i = 0; feeding; i += 2) {
      keys.push(...feed(device, i, 2));
      await sleep(everyMs);
    }
  })();
  return {
    keys,
    stop: () => {
      feeding = false;
      return done;
    },
  };
}


const tmpDirs: string[] = [];
export function tmpDir(prefix = "sf-flow-"): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
}
export function removeTmpDirs(): void {
  while (tmpDirs.length) fs.rmSync(tmpDirs.pop() as string, { recursive: true, force: true });
}

let rxSeq = 0;
/** A fresh client id for the receiver, so no test inherits another's persistent session. */
export const rxClient = () => `rx-${process.pid}-${++rxSeq}`;

export { helper, redeploy, sleep, waitFor };
