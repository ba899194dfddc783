import { after, afterEach, before, describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { helper, init, waitFor } from "../../helpers/node-red";
import meterNormalize = require("../../../nodes/meter-normalize/meter-normalize");
import { FIXTURES, assertCanonical, fixture } from "../../helpers/fixtures";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require("@node-red/nodes/core/common/25-catch.js");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const completeNode = require("@node-red/nodes/core/common/24-complete.js");


const MAP = fs.readFileSync(path.join(FIXTURES, "maps/float32-meter.json"), "utf8");
type Msg = Record<string, unknown>;

/** meter-normalize wired to an output helper, with a Catch and a Complete node scoped to it. */
function flow(config: Record<string, unknown> = {}) {
  return [
    { id: "tab", type: "tab" },
    { id: "mn", z: "tab", type: "meter-normalize", name: "normalize", registerMap: MAP, deviceId: "meter-001", wires: [["out"]], ...config },
    { id: "out", z: "tab", type: "helper", wires: [] },
    { id: "catch1", z: "tab", type: "catch", scope: ["mn"], uncaught: false, wires: [["caught"]] },
    { id: "caught", z: "tab", type: "helper", wires: [] },
    { id: "complete1", z: "tab", type: "complete", scope: ["mn"], uncaught: false, wires: [["completed"]] },
    { id: "completed", z: "tab", type: "helper", wires: [] },
  ];
}

const next = (id: string) => new Promise<Msg>((resolve) => helper.getNode(id).once("input", resolve));

/** Resolves with [outputs, caught, completed] once `ms` of quiet has passed after the last message. */
function collect(ms = 150) {
  const seen: Record<string, Msg[]> = { out: [], caught: [], completed: [] };
  for (const id of Object.keys(seen)) helper.getNode(id).on("input", (m: Msg) => seen[id].push(m));
  return () => new Promise<Record<string, Msg[]>>((r) => setTimeout(() => r(seen), ms));
}

describe("meter-normalize in a flow", () => {
  before(() => init());
  before(() => new Promise<void>((r) => helper.startServer(r)));
  after(() => new Promise<void>((r) => helper.stopServer(r)));
  afterEach(async () => {
    await helper.unload();
  });

  it("turns a node-red-contrib-modbus Read message into a reading; Complete fires, Catch does not", async () => {
    await helper.load([meterNormalize, catchNode, completeNode], flow());
    const done = collect();
    helper.getNode("mn").receive(fixture("modbus/read-holding-float32.json"));
    const seen = await done();
    assert.equal(seen.out.length, 1);
    assert.equal(seen.completed.length, 1);
    assert.equal(seen.caught.length, 0);
    const reading = seen.out[0].payload as Msg;
    assertCanonical(reading);
    assert.equal(reading.deviceId, "meter-001");
    assert.deepEqual((reading.measurements as Msg).voltageL1, { value: 230.1, unit: "V" });
    assert.equal(seen.out[0].topic, "meter-001");
    assert.equal(seen.out[0]._msgid, seen.completed[0]._msgid, "the same message travels on");
    // msg.receivedAt (epoch ms): when the gateway first received the data, validate's drift reference (issue 8).
    assert.equal(typeof seen.out[0].receivedAt, "number");
    assert.ok(Math.abs((seen.out[0].receivedAt as number) - Date.now()) < 60_000, "receivedAt is the gateway's clock");
    // A receivedAt already set upstream is kept.
    helper.getNode("mn").receive({ ...fixture("modbus/read-holding-float32.json"), receivedAt: 1770560100000 });
    await waitFor(() => seen.out.length === 2, "the second reading");
    assert.equal(seen.out[1].receivedAt, 1770560100000);
  });

  it("bad input goes to the Catch node with an error naming the problem, and a red status", async () => {
    await helper.load([meterNormalize, catchNode, completeNode], flow());
    const mn = helper.getNode("mn");
    const statuses: Msg[] = [];
    const origStatus = mn.status.bind(mn);
    mn.status = (s: Msg) => {
      statuses.push(s);
      return origStatus(s);
    };
    const done = collect();
    mn.receive(fixture("modbus/flex-getter-failed.json"));
    mn.receive({ payload: 42 });
    mn.receive({ ...fixture("modbus/flex-getter-holding.json"), payload: [1, 2] });
    const seen = await done();
    assert.equal(seen.out.length, 0, "nothing is sent for bad input");
    assert.equal(seen.completed.length, 0, "done(err) does not trigger Complete");
    assert.equal(seen.caught.length, 3, "every bad message reaches Catch");
    const errors = seen.caught.map((m) => (m.error as { message: string }).message);
    assert.match(errors[0], /Modbus read failed/);
    assert.match(errors[1], /unrecognised input/);
    assert.match(errors[2], /holds 2 registers but 6 were requested/);
    assert.equal((seen.caught[0].error as { source: { id: string } }).source.id, "mn");
    const last = statuses[statuses.length - 1];
    assert.equal(last.fill, "red");
    assert.equal(last.shape, "ring");
    assert.ok(String(last.text).length < 20);
  });

  it("a bad configuration is reported on deploy and every message goes to Catch", async () => {
    await helper.load([meterNormalize, catchNode, completeNode], flow({ registerMap: '{"mapId":"x","mapVersion":"1","addressBase":2,"points":[]}' }));
    const done = collect();
    helper.getNode("mn").receive(fixture("modbus/read-holding-float32.json"));
    const seen = await done();
    assert.equal(seen.out.length, 0);
    assert.equal(seen.caught.length, 1);
    assert.match((seen.caught[0].error as { message: string }).message, /register map: .*\/mapVersion must be a semantic version/);
  });

  it("a SenML pack with several times gives one message whose payload is the readings, in order", async () => {
    // issue 7 item 9: one message per reading cloned the whole msg per reading (6,000 records: 204 s, 2.16 GB).
    // A payload may be one reading or an array of them: the contract every node accepts.
    await helper.load([meterNormalize, catchNode, completeNode], flow({ deviceId: "" }));
    const done = collect();
    helper.getNode("mn").receive({
      payload: [{ bn: "fridge-12:", bt: 1770560100, n: "temp", u: "Cel", v: 3.5 }, { n: "temp", t: 900, v: 3.9 }],
      extra: "kept",
    });
    const seen = await done();
    assert.equal(seen.out.length, 1, "one message for the pack");
    assert.equal(seen.completed.length, 1, "one input message, one done()");
    const m = seen.out[0];
    assert.ok(Array.isArray(m.payload), "the payload is the array of readings");
    const readings = m.payload as Msg[];
    readings.forEach((r) => assertCanonical(r));
    assert.deepEqual(readings.map((r) => r.timestamp), ["2026-02-08T14:15:00.000Z", "2026-02-08T14:30:00.000Z"]);
    assert.deepEqual(readings.map((r) => (r.measurements as Msg).temp), [{ value: 3.5, unit: "Cel" }, { value: 3.9 }]);
    assert.equal(m.extra, "kept");
    assert.equal(m.topic, "fridge-12");
    assert.equal(m._msgid, seen.completed[0]._msgid, "the same message travels on");
  });

  it("BACnet and plain JSON through the same node", async () => {
    await helper.load([meterNormalize, catchNode, completeNode], flow());
    const mn = helper.getNode("mn");
    let p = next("out");
    mn.receive({ payload: fixture("bacnet/read-property-multiple.json"), deviceId: "ahu-1" });
    let m = await p;
    assertCanonical(m.payload);
    assert.equal((m.payload as Msg).deviceId, "ahu-1");
    p = next("out");
    mn.receive({ payload: '{"deviceId":"m-2","kwh":3.5}', timestamp: "2026-02-08T14:15:00Z" });
    m = await p;
    assert.deepEqual(m.payload, {
      deviceId: "m-2", timestamp: "2026-02-08T14:15:00.000Z", measurements: { kwh: { value: 3.5 } }, quality: "GOOD", source: { protocol: "json" },
    });
  });

  it("the editor's validation endpoint gives the runtime's messages", async () => {
    await helper.load([meterNormalize], [{ id: "mn", type: "meter-normalize", registerMap: MAP, wires: [[]] }]);
    const ok = await helper.request().post("/m2m/meter-normalize/validate").send({ registerMap: MAP, version: 1 }).expect(200);
    assert.deepEqual(ok.body, { ok: true, version: 1, mapId: "demo-float32-meter", mapVersion: "1.0.0", points: 15 });
    // one structured field as the user types it: the same compile
    const field = await helper.request().post("/m2m/meter-normalize/validate").send({ field: "registerMap", value: MAP }).expect(200);
    assert.deepEqual(field.body, { ok: true, mapId: "demo-float32-meter", mapVersion: "1.0.0", points: 15 });
    // a config saved before versions existed is migrated first, and the answer says how
    const old = await helper.request().post("/m2m/meter-normalize/validate").send({ registerMap: JSON.parse(MAP) }).expect(200);
    assert.equal(old.body.ok, true);
    assert.equal(typeof old.body.migrated.registerMap, "string", "an object register map becomes its JSON text");
    const bad = await helper
      .request()
      .post("/m2m/meter-normalize/validate")
      .send({ registerMap: JSON.stringify({ mapId: "m", mapVersion: "1.0.0", addressBase: 0, points: [{ id: "a", address: 0, type: "float16", table: "holding" }] }) })
      .expect(200);
    assert.equal(bad.body.ok, false);
    assert.match(bad.body.error, /point "a" at \/points\/0\/type "float16" must be one of/);
  });

  it("closes cleanly on redeploy, many times", async () => {
    for (let i = 0; i < 20; i++) {
      await helper.load([meterNormalize, catchNode, completeNode], flow());
      await helper.unload();
    }
    await helper.load([meterNormalize, catchNode, completeNode], flow());
    const p = next("out");
    helper.getNode("mn").receive(fixture("modbus/flex-getter-holding.json"));
    assertCanonical((await p).payload);
  });
});
