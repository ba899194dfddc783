// meter-sim in flows: its messages through meter-normalize (one node, the register map riding on each message),
// faults by msg.command with Catch and Complete, simulated time (receivedAt and timestamps simulated), and its
// Modbus TCP server polled by node-red-contrib-modbus's real Flex-Getter over 127.0.0.1.
import { after, afterEach, before, describe, it } from "mocha";
import assert from "node:assert/strict";
import net from "node:net";
import path from "node:path";
import { capture, catchAndComplete, core, getNode, helper, init, load, unload, waitFor, type Msg } from "../../helpers/node-red";
import { assertCanonical } from "../../helpers/fixtures";
import { freePort } from "../../helpers/ports";
import meterSim = require("../../../nodes/meter-sim/meter-sim");
import meterNormalize = require("../../../nodes/meter-normalize/meter-normalize");
import { ModbusTcpServer } from "../../../nodes/meter-sim/modbus-server";
import { Simulator } from "../../../nodes/meter-sim/simulator";
import { REGISTER_MAPS } from "../../../nodes/meter-sim/register-maps";

const modbusDir = path.join(path.dirname(require.resolve("node-red-contrib-modbus/package.json")), "modbus");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const modbusNodes = ["modbus-client", "modbus-flex-getter"].map((n) => require(path.join(modbusDir, `${n}.js`)));

const START = "2026-02-08T17:00:00Z"; // the seeds' evening peak
const METERS = JSON.stringify([
  { id: "elec-001", type: "electric", unitId: 1 },
  { id: "gas-001", type: "gas", unitId: 2 },
  { id: "water-001", type: "water", unitId: 3 },
]);
const sim = (over: Msg = {}): Msg => ({
  id: "sim", z: "tab", type: "meter-sim", meters: METERS, seed: "7", interval: "15", jitter: "60", fridgeInterval: "5",
  speed: "0", start: START, timeZone: "UTC", emit: "read", attachMap: "yes", server: "off", port: "0", wires: [["mn"]], ...over,
});

describe("meter-sim in a flow", () => {
  before(() => init());
  before(async () => new Promise<void>((r) => helper.startServer(r)));
  after(async () => new Promise<void>((r) => helper.stopServer(r)));
  afterEach(() => unload());

  it("simulated time: advance 1 hour gives 4 readings per meter through meter-normalize, at simulated times, receivedAt simulated", async () => {
    const flow = [
      { id: "tab", type: "tab" }, sim(),
      { id: "mn", z: "tab", type: "meter-normalize", wires: [["out"]] },
      { id: "out", z: "tab", type: "helper" }, ...catchAndComplete("sim"),
    ];
    await load([meterSim, meterNormalize, core.catch, core.complete], flow);
    const seen = capture(["out", "sim-caught", "sim-done"]);
    getNode("sim").receive({ command: "advance", minutes: 60 });
    await waitFor(() => seen.out.length >= 12, "12 readings");
    await waitFor(() => seen["sim-done"].length === 1, "Complete for the command");
    const start = Date.parse(START);
    for (const m of seen.out) {
      assertCanonical(m.payload);
      const ts = Date.parse(m.payload.timestamp);
      assert.ok(ts >= start && ts <= start + 3_600_000, m.payload.timestamp);
      assert.equal(m.receivedAt, ts, "receivedAt is the simulated time too");
      assert.equal(m.registerMap, undefined, "meter-normalize took the map off");
    }
    const elec = seen.out.filter((m) => m.payload.deviceId === "elec-001").map((m) => m.payload.measurements);
    assert.equal(elec.length, 4);
    for (const me of elec) assert.ok(me.power.value >= 2000 && me.power.value <= 4000, `evening peak 2-4 kW: ${me.power.value} W`);
    assert.equal(seen["sim-caught"].length, 0);
    seen.dispose();
  });

  it("faults by msg.command: offline gives a failed read to Catch at meter-normalize, a bad command goes to Catch with its cause", async () => {
    const flow = [
      { id: "tab", type: "tab" }, sim(),
      { id: "mn", z: "tab", type: "meter-normalize", wires: [["out"]] },
      { id: "out", z: "tab", type: "helper" }, ...catchAndComplete("sim"), ...catchAndComplete("mn"),
    ];
    await load([meterSim, meterNormalize, core.catch, core.complete], flow);
    const seen = capture(["out", "sim-caught", "sim-done", "mn-caught"]);
    getNode("sim").receive({ command: "offline", meter: "gas-001" });
    getNode("sim").receive({ command: "duplicate", meter: "water-001", count: 1 });
    getNode("sim").receive({ command: "advance", minutes: 15 });
    await waitFor(() => seen.out.length >= 3 && seen["mn-caught"].length >= 1, "the readings and the failed read");
    assert.match(seen["mn-caught"][0].error.message, /Modbus read failed: Timed out/);
    assert.equal(seen.out.filter((m) => m.payload.deviceId === "water-001").length, 2, "the water reading sent twice");
    getNode("sim").receive({ command: "explode" });
    getNode("sim").receive({ command: "offline", meter: "nope" });
    await waitFor(() => seen["sim-caught"].length === 2, "two refusals");
    assert.match(seen["sim-caught"][0].error.message, /msg\.command "explode" is not a meter-sim command/);
    assert.match(seen["sim-caught"][1].error.message, /msg\.meter "nope"/);
    assert.equal(seen["sim-done"].length, 3);
    seen.dispose();
  });

  it("refrigeration: a store's units through meter-normalize in Cel; a fault as a command object (a dashboard button's payload)", async () => {
    // Seeds, retail worked example: 8 units × 2 sensors, every 5 minutes.
    const store = JSON.stringify([{ id: "store-042", type: "refrigeration", units: 8 }]);
    const flow = [
      { id: "tab", type: "tab" }, sim({ meters: store, wires: [["mn", "state"]] }),
      { id: "mn", z: "tab", type: "meter-normalize", wires: [["out"]] },
      { id: "out", z: "tab", type: "helper" }, { id: "state", z: "tab", type: "helper" }, ...catchAndComplete("sim"),
    ];
    await load([meterSim, meterNormalize, core.catch, core.complete], flow);
    const seen = capture(["out", "state", "sim-caught", "sim-done"]);
    getNode("sim").receive({ command: { fault: "door-open", unit: 3 } });
    getNode("sim").receive({ command: { command: "sensor-stuck", store: "store-042", unit: 5, sensor: "product" } });
    getNode("sim").receive({ command: "advance", minutes: 60 });
    await waitFor(() => seen.out.length >= 8 * 12, "an hour of 8 units");
    const units = new Set(seen.out.map((m) => m.payload.deviceId));
    assert.deepEqual([...units].sort(), [1, 2, 3, 4, 5, 6, 7, 8].map((u) => `store-042-u${u}`));
    for (const m of seen.out) {
      assertCanonical(m.payload);
      assert.equal(m.payload.measurements.product.unit, "Cel");
      assert.equal(m.receivedAt, Date.parse(m.payload.timestamp), "receivedAt is the simulated time of the unit's reading");
    }
    const u3 = seen.out.filter((m) => m.payload.deviceId === "store-042-u3").map((m) => m.payload.measurements.supplyAir.value as number);
    assert.ok(u3[u3.length - 1] > 10, `unit 3's door is open: supply air ${u3[u3.length - 1]} °C`);
    const u5 = seen.out.filter((m) => m.payload.deviceId === "store-042-u5").map((m) => m.payload.measurements.product.value);
    assert.equal(new Set(u5).size, 1, "unit 5's product sensor is stuck");
    getNode("sim").receive({ command: "state" });
    await waitFor(() => seen.state.some((m) => m.topic === "state"), "the state");
    const st = seen.state.find((m) => m.topic === "state")!.payload.stores[0].units;
    assert.equal(st[2].faults.doorOpen, true);
    assert.equal(typeof st[4].faults.stuckProduct, "number");
    getNode("sim").receive({ command: { fault: "door-open", unit: 9 } });
    getNode("sim").receive({ command: { fault: "melt" } });
    getNode("sim").receive({ command: { fault: "door-open", command: "door-close" } });
    await waitFor(() => seen["sim-caught"].length === 3, "three refusals");
    assert.match(seen["sim-caught"][0].error.message, /msg\.unit 9 must be a unit number from 1 to 8/);
    assert.match(seen["sim-caught"][1].error.message, /is not a meter-sim command .*\{ fault: "<command>"/);
    assert.match(seen["sim-caught"][2].error.message, /both fault "door-open" and command "door-close"/);
    assert.equal(seen["sim-done"].length, 4);
    seen.dispose();
  });

  it("runs by itself at its speed (a simulated day in five minutes: 288 × real time)", async () => {
    const flow = [{ id: "tab", type: "tab" }, sim({ speed: "100000", wires: [["out"]] }), { id: "out", z: "tab", type: "helper" }];
    await load([meterSim], flow);
    const seen = capture(["out"]);
    await waitFor(() => seen.out.length >= 6, "readings without any input");
    assert.ok(Date.parse(seen.out[5].timestamp) > Date.parse(START));
    seen.dispose();
  });
});

describe("meter-sim Modbus TCP server", () => {
  let server: ModbusTcpServer;
  let port = 0;
  const simulator = new Simulator({
    seed: 1, startMs: Date.parse(START), zone: "UTC", intervalMs: 900_000, jitterS: 60, fridgeIntervalMs: 300_000, stores: [],
    meters: [{ id: "e", type: "electric", unitId: 1 }, { id: "g", type: "gas", unitId: 2 }],
  });
  before(async () => {
    simulator.step(Date.parse(START) + 3_600_000);
    server = new ModbusTcpServer(simulator);
    port = await server.listen(0);
  });
  after(() => server.close());

  /** One raw request; resolves with the reply, or "timeout" when none comes within `ms`. */
  function ask(frame: number[], ms = 500): Promise<Buffer | "timeout"> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, "127.0.0.1", () => s.write(Buffer.from(frame)));
      const t = setTimeout(() => { s.destroy(); resolve("timeout"); }, ms);
      s.on("data", (d) => { clearTimeout(t); s.destroy(); resolve(d); });
      s.on("error", (e) => { clearTimeout(t); reject(e); });
    });
  }

  // Frames per the Modbus Messaging on TCP/IP Implementation Guide V1.0b (MBAP) and the Application Protocol V1.1b3.
  it("answers function codes 3 and 4 with the meter's registers; 0x0B for a unit without a meter; silence when offline", async () => {
    const regs = simulator.registersOf(1)!.registers;
    const r3 = (await ask([0, 7, 0, 0, 0, 6, 1, 3, 0, 0, 0, 4])) as Buffer;
    assert.deepEqual([...r3.subarray(0, 9)], [0, 7, 0, 0, 0, 11, 1, 3, 8]);
    assert.deepEqual([0, 1, 2, 3].map((k) => r3.readUInt16BE(9 + 2 * k)), regs);
    const r4 = (await ask([0, 8, 0, 0, 0, 6, 1, 4, 0, 2, 0, 1])) as Buffer;
    assert.deepEqual([...r4], [0, 8, 0, 0, 0, 5, 1, 4, 2, regs[2] >> 8, regs[2] & 0xff]);
    assert.deepEqual([...((await ask([0, 9, 0, 0, 0, 6, 9, 3, 0, 0, 0, 4])) as Buffer)], [0, 9, 0, 0, 0, 3, 9, 0x83, 0x0b]);
    assert.deepEqual([...((await ask([0, 10, 0, 0, 0, 6, 1, 3, 0, 3, 0, 2])) as Buffer)], [0, 10, 0, 0, 0, 3, 1, 0x83, 0x02]);
    assert.deepEqual([...((await ask([0, 11, 0, 0, 0, 6, 1, 6, 0, 0, 0, 1])) as Buffer)], [0, 11, 0, 0, 0, 3, 1, 0x86, 0x01]);
    simulator.meterFault("offline", { targets: ["g"] });
    assert.equal(await ask([0, 12, 0, 0, 0, 6, 2, 3, 0, 0, 0, 4]), "timeout");
    simulator.meterFault("online", { targets: ["g"] });
    assert.notEqual(await ask([0, 13, 0, 0, 0, 6, 2, 3, 0, 0, 0, 4]), "timeout");
  });
});

describe("meter-sim's server polled by node-red-contrib-modbus's Flex-Getter, into meter-normalize", () => {
  before(() => init());
  before(async () => new Promise<void>((r) => helper.startServer(r)));
  after(async () => {
    await unload();
    await new Promise<void>((r) => helper.stopServer(r));
  });

  it("request mode: the sim's poll requests go through a real Flex-Getter over TCP and come out as readings at simulated times", async () => {
    const port = await freePort();
    const flow = [
      { id: "tab", type: "tab" },
      sim({ emit: "request", server: "on", port: String(port), wires: [["getter"]] }),
      { id: "client", type: "modbus-client", name: "sim", clienttype: "tcp", bufferCommands: true, tcpHost: "127.0.0.1",
        tcpPort: String(port), tcpType: "DEFAULT", unit_id: "1", commandDelay: "1", clientTimeout: "1000",
        reconnectOnTimeout: true, reconnectTimeout: "2000", parallelUnitIdsAllowed: true },
      { id: "getter", z: "tab", type: "modbus-flex-getter", server: "client", showStatusActivities: false, showErrors: false,
        showWarnings: false, logIOActivities: false, useIOFile: false, ioFile: "", useIOForPayload: false, emptyMsgOnFail: true,
        keepMsgProperties: true, delayOnStart: false, wires: [["mn"], []] },
      { id: "mn", z: "tab", type: "meter-normalize", wires: [["out"]] },
      { id: "out", z: "tab", type: "helper" }, ...catchAndComplete("mn"),
    ];
    await load([meterSim, meterNormalize, ...modbusNodes, core.catch, core.complete], flow);
    const seen = capture(["out", "mn-caught"]);
    // The client needs a moment to connect; advance simulated time until every meter's reading arrives.
    const timer = setInterval(() => getNode("sim").receive({ command: "advance", minutes: 15 }), 400);
    try {
      await waitFor(() => new Set(seen.out.map((m) => m.payload.deviceId)).size === 3, "a reading of each meter over Modbus TCP");
    } finally {
      clearInterval(timer);
    }
    for (const m of seen.out) {
      assertCanonical(m.payload);
      assert.ok(Date.parse(m.payload.timestamp) >= Date.parse(START), "simulated time");
      assert.equal(m.payload.source.mapId, `meter-sim-${m.meterType}`);
    }
    const gas = seen.out.find((m) => m.payload.deviceId === "gas-001")!.payload;
    assert.equal(gas.measurements.volume.unit, "m3");
    assert.deepEqual(Object.keys(gas.measurements).sort(), REGISTER_MAPS.gas.points.map((p) => p.id).sort());
    seen.dispose();
  });
});
