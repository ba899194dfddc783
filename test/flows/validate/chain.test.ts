// The seeds' chain, end to end (issue 8): meter-normalize → validate (gateway) → store-forward → MQTT uplink (a
// real broker, aedes on 127.0.0.1, behind a TCP link the test cuts and restores) → validate (cloud side).
//
// Seeds 002 ("Ignoring Timestamp Drift": drift is judged against when the gateway received the data) and 000/002
// ("No message deduplication": device ID + timestamp is the idempotency key; a connectivity flap delivers twice).
//
// MQTT 3.1.1 (aedes speaks no MQTT 5, so no user properties) carries msg.payload only: msg.receivedAt, which
// store-forward keeps in its stored msg, crosses the uplink in an envelope that two core change nodes build and
// open ({ reading, receivedAt }). Times are compressed: the cloud side accepts 0.5 s of drift and rejects beyond
// 1 s, and the outage lasts longer than that, so a replayed reading judged by the cloud node's clock would be
// rejected. No test asserts a duration.
import { after, afterEach, before, describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { TestBroker, type Link } from "../../helpers/broker";
import { capture, catchAndComplete, core, getNode, helper, hooks, init, load, sleep, unload, waitFor, type Msg } from "../../helpers/node-red";
import { withCatalog } from "../../helpers/contract";
import validateModule = require("../../../nodes/validate/validate");
import meterNormalizeModule = require("../../../nodes/meter-normalize/meter-normalize");
import storeForwardModule = require("../../../nodes/store-forward/store-forward");

type NodeModule = (red: object) => unknown;
const validate = withCatalog(validateModule as never, path.resolve(__dirname, "../../../nodes/validate/validate")) as NodeModule;
const meterNormalize = meterNormalizeModule as unknown as NodeModule;
const storeForward = storeForwardModule as unknown as NodeModule;
const NODES = [meterNormalize, validate, storeForward, core.mqtt, core.change, core.catch, core.complete, core.status];

const TOPIC = "m2m/chain/readings";
const RULES = JSON.stringify([{ measurement: "energy*", monotonic: true, maxRatePerHour: 1e9 }]);
const IDS = ["gw-rej", "gw-alert", "side", "out", "rej", "alert", "vc-caught", "vc-done"];

function chainFlow(o: { pubPort: number; port: number; rxClient: string; dir: (name: string) => string }): Msg[] {
  return [
    { id: "tab", type: "tab", label: "chain" },
    // The gateway.
    { id: "mn", z: "tab", type: "meter-normalize", inputKind: "json", wires: [["vg"]] },
    { id: "vg", z: "tab", type: "m2m-validate", rules: RULES, dir: o.dir("vg"), saveSeconds: "1", wires: [["sf1"], ["gw-rej"], ["gw-alert"]] },
    { id: "gw-rej", z: "tab", type: "helper", wires: [] },
    { id: "gw-alert", z: "tab", type: "helper", wires: [] },
    {
      id: "sf1", z: "tab", type: "store-forward", dir: o.dir("sf"), ackTimeout: "1", retryMax: "0.5", rateBytes: "0", rateMsgs: "0",
      inFlight: "10", batchSize: "1", durability: "batch", syncInterval: "20", metricsInterval: "3600", wires: [["wrap"], ["side"]],
    },
    { id: "side", z: "tab", type: "helper", wires: [] },
    // msg.receivedAt crosses MQTT 3.1.1 inside the payload.
    { id: "wrap", z: "tab", type: "change", rules: [{ t: "set", p: "payload", pt: "msg", to: '{"reading": payload, "receivedAt": receivedAt}', tot: "jsonata" }], wires: [["pub1"]] },
    { id: "pub1", z: "tab", type: "mqtt out", broker: "bout", topic: TOPIC, qos: "1", retain: "false", wires: [] },
    { id: "ack1", z: "tab", type: "complete", scope: ["pub1"], uncaught: false, wires: [["sf1"]] },
    { id: "link1", z: "tab", type: "status", scope: ["pub1"], wires: [["sf1"]] },
    { id: "nack1", z: "tab", type: "catch", scope: ["pub1"], uncaught: false, wires: [["sf1"]] },
    { id: "bout", type: "mqtt-broker", broker: "127.0.0.1", port: String(o.pubPort), clientid: "", autoConnect: true, usetls: false, protocolVersion: "4", keepalive: "60", cleansession: true },
    // The cloud.
    { id: "bin", type: "mqtt-broker", broker: "127.0.0.1", port: String(o.port), clientid: o.rxClient, autoConnect: true, usetls: false, protocolVersion: "4", keepalive: "60", cleansession: false },
    { id: "sub1", z: "tab", type: "mqtt in", broker: "bin", topic: TOPIC, qos: "1", datatype: "json", wires: [["unwrap"]] },
    {
      id: "unwrap", z: "tab", type: "change", wires: [["vc"]],
      rules: [
        { t: "set", p: "receivedAt", pt: "msg", to: "payload.receivedAt", tot: "msg" },
        { t: "set", p: "payload", pt: "msg", to: "payload.reading", tot: "msg" },
      ],
    },
    { id: "vc", z: "tab", type: "m2m-validate", rules: RULES, driftAcceptSeconds: "0.5", driftRejectSeconds: "1", dir: o.dir("vc"), saveSeconds: "1", wires: [["out"], ["rej"], ["alert"]] },
    { id: "out", z: "tab", type: "helper", wires: [] },
    { id: "rej", z: "tab", type: "helper", wires: [] },
    { id: "alert", z: "tab", type: "helper", wires: [] },
    ...catchAndComplete("vc"),
  ];
}

describe("validate: the seeds' chain through a store-forward outage (meter-normalize → validate → store-forward → MQTT → validate)", () => {
  before(() => init({ mqttReconnectTime: 100 }));
  let broker: TestBroker;
  let link: Link;
  let root = "";
  before(async () => {
    broker = await TestBroker.start();
    link = await broker.link();
    await new Promise<void>((r) => helper.startServer(r));
  });
  after(async () => {
    await unload();
    await new Promise<void>((r) => helper.stopServer(r));
    await link.down();
    await broker.close();
    init();
  });
  afterEach(async () => {
    await unload();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it("replayed readings pass the cloud side's drift check by their msg.receivedAt, and a second delivery of one is dropped as a duplicate", async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-validate-chain-"));
    const rxClient = `rx-chain-${process.pid}`;
    const seen = capture(IDS);
    // What arrived at the cloud side (the envelope as the broker delivered it, and when).
    const delivered: { text: string; at: number }[] = [];
    const hook = "onReceive.validateChain";
    hooks.add(hook, (evt: { msg: Msg; destination: { id: string } }) => {
      if (evt.destination.id === "unwrap") delivered.push({ text: JSON.stringify(evt.msg.payload), at: Date.now() });
    });
    try {
      await load(NODES, chainFlow({ pubPort: link.port, port: broker.port, rxClient, dir: (n) => path.join(root, n) }));
      await waitFor(() => broker.subscribed.has(rxClient) && ["bout", "bin"].every((id) => getNode(id)?.connected === true), "both MQTT clients connected");
      const stats = async (id: string, out: string): Promise<Msg> => {
        const before = seen[out].length;
        getNode(id).receive({ command: "stats" });
        await waitFor(() => seen[out].slice(before).some((m) => m.topic === "stats"), `stats of ${id}`);
        return seen[out].slice(before).find((m) => m.topic === "stats")!.payload as Msg;
      };

      // A meter read now and then: JSON with its own clock's timestamp; energy rises.
      let energy = 1000;
      let lastTs = 0;
      const keys: string[] = [];
      const read = () => {
        const ts = Math.max(Date.now(), lastTs + 1);
        lastTs = ts;
        energy += 0.25;
        const timestamp = new Date(ts).toISOString();
        keys.push(timestamp);
        getNode("mn").receive({ payload: { deviceId: "meter-chain", timestamp, measurements: { energyImport: { value: energy, unit: "kWh" } } } });
      };

      for (let i = 0; i < 5; i++) read();
      await waitFor(() => seen.out.length >= 5, "the live readings at the cloud side");

      // The uplink goes down; readings go on and are stored.
      await link.down();
      await waitFor(async () => (await stats("sf1", "side")).online === false, "store-forward to see the uplink down");
      const live = keys.length;
      for (let i = 0; i < 10; i++) {
        read();
        await sleep(20);
      }
      await waitFor(async () => (await stats("sf1", "side")).depth >= 10, "the outage's readings stored");
      await sleep(1200); // longer than the cloud side's driftRejectSeconds (1 s)
      await link.up();
      await waitFor(() => seen.out.length + seen.rej.length >= keys.length, "every reading judged at the cloud side", 15_000, () => ({ out: seen.out.length, rej: seen.rej.length }));

      // The precondition that makes this a test: the replayed readings reached the cloud node later than its
      // reject limit after the meter stamped them, so only msg.receivedAt kept them from being rejected.
      const arrival = new Map(delivered.map((d) => [JSON.parse(d.text).reading.timestamp as string, d.at]));
      for (const ts of keys.slice(live)) assert.ok(arrival.get(ts)! - Date.parse(ts) > 1000, `${ts} was replayed after the outage`);

      assert.deepEqual(seen.rej.map((m) => m.validation), [], "nothing rejected at the cloud side (no drift)");
      assert.deepEqual(seen["gw-rej"].map((m) => m.validation), [], "nothing rejected at the gateway");
      const passed = seen.out.map((m) => m.payload as Msg);
      assert.deepEqual(passed.map((r) => r.timestamp).sort(), [...keys].sort(), "every reading passed, with its own timestamp");
      for (const r of passed) {
        assert.equal(r.quality, "GOOD", `${r.timestamp}: not flagged`);
        assert.equal(r.flags, undefined, `${r.timestamp}: not time-corrected`);
        assert.equal(r.source?.originalTimestamp, undefined);
        assert.equal(r.measurements.energyImport.flags, undefined, `${r.timestamp}: no counter decrease`);
      }
      const seenAtCloud = delivered.length;

      // The uplink delivers one replayed reading a second time (as QoS 1 may after a flap).
      const again = delivered.find((d) => JSON.parse(d.text).reading.timestamp === keys[live + 3])!;
      await new Promise<void>((resolve, reject) =>
        broker.aedes.publish({ cmd: "publish", topic: TOPIC, payload: Buffer.from(again.text), qos: 1, retain: false, dup: false } as never, (err?: Error) => (err ? reject(err) : resolve())),
      );
      await waitFor(() => seen["vc-done"].length >= seenAtCloud + 1, "the second delivery judged");
      const cloud = await stats("vc", "alert");
      assert.equal(seen.out.length, keys.length, "the second delivery did not pass");
      assert.equal(seen.rej.length, 0, "an exact duplicate is dropped, not rejected as a conflict");
      assert.deepEqual([cloud.passed, cloud.rejected, cloud.duplicates], [keys.length, 0, 1]);
      assert.equal(cloud.rules.duplicate, 1);
      assert.equal(seen["vc-caught"].length, 0, "done() without an error for every input");
    } finally {
      hooks.remove(hook);
      seen.dispose();
    }
  });
});
