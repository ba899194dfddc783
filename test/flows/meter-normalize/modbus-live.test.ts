// node-red-contrib-modbus, live: a Flex-Getter reads a real Modbus TCP server on 127.0.0.1 and
// meter-normalize turns its output into a reading, in one flow.
import { after, before, describe, it } from "mocha";
import assert from "node:assert/strict";
import path from "node:path";
import { helper, init } from "../../helpers/node-red";
import meterNormalize = require("../../../nodes/meter-normalize/meter-normalize");
import { assertCanonical } from "../../helpers/fixtures";
import { freePort } from "../../helpers/ports";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ModbusRTU = require("@openp4nr/modbus-serial");
const modbusDir = path.join(path.dirname(require.resolve("node-red-contrib-modbus/package.json")), "modbus");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const modbusNodes = ["modbus-client", "modbus-flex-getter"].map((n) => require(path.join(modbusDir, `${n}.js`)));


const HOLDING = [0x4366, 0x199a, 0x0102, 0xfff6]; // float32 230.1 V, uint16 258 (25.8 Cel), int16 -10
const MAP = {
  mapId: "live", mapVersion: "1.0.0", addressBase: 1, defaults: { table: "holding" },
  points: [
    { id: "voltage", address: 40001, type: "float32", unit: "V" },
    { id: "temperature", address: 40003, type: "uint16", scale: 0.1, unit: "Cel" },
    { id: "offset", address: 40004, type: "int16" },
  ],
};


describe("node-red-contrib-modbus Flex-Getter into meter-normalize", () => {
  before(() => init());
  let server: { close(cb: () => void): void; on(e: string, f: () => void): void };
  let port = 0;
  before(async () => {
    port = await freePort();
    server = new ModbusRTU.ServerTCP(
      { getHoldingRegister: (a: number) => HOLDING[a] ?? 0 },
      { host: "127.0.0.1", port, unitID: 1 },
    );
    server.on("socketError", () => undefined);
    await new Promise<void>((r) => helper.startServer(r));
  });
  after(async () => {
    await helper.unload();
    await new Promise<void>((r) => helper.stopServer(r));
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("reads registers over TCP and emits a canonical reading", async () => {
    const flow = [
      { id: "tab", type: "tab" },
      { id: "client", type: "modbus-client", name: "meter", clienttype: "tcp", bufferCommands: true, tcpHost: "127.0.0.1",
        tcpPort: String(port), tcpType: "DEFAULT", unit_id: "1", commandDelay: "1", clientTimeout: "1000",
        reconnectOnTimeout: true, reconnectTimeout: "2000", parallelUnitIdsAllowed: true },
      { id: "getter", z: "tab", type: "modbus-flex-getter", server: "client", showStatusActivities: false, showErrors: false,
        showWarnings: false, logIOActivities: false, useIOFile: false, ioFile: "", useIOForPayload: false, emptyMsgOnFail: true,
        keepMsgProperties: false, delayOnStart: false, wires: [["mn"], []] },
      { id: "mn", z: "tab", type: "meter-normalize", registerMap: JSON.stringify(MAP), deviceId: "", devices: '{"1":{"deviceId":"live-meter"}}', wires: [["out"]] },
      { id: "out", z: "tab", type: "helper", wires: [] },
    ];
    await helper.load([...modbusNodes, meterNormalize], flow);
    const getter = helper.getNode("getter");
    const got = new Promise<Record<string, unknown>>((r) => helper.getNode("out").once("input", r));
    // The client needs a moment to connect; retry the request until a reading arrives.
    const timer = setInterval(() => getter.receive({ payload: { unitid: 1, fc: 3, address: 0, quantity: 4 } }), 300);
    const msg = await got.finally(() => clearInterval(timer));
    const reading = msg.payload as Record<string, unknown>;
    assertCanonical(reading);
    assert.equal(reading.deviceId, "live-meter");
    assert.deepEqual(reading.measurements, {
      voltage: { value: 230.1, unit: "V" },
      temperature: { value: 25.8, unit: "Cel" },
      offset: { value: -10 },
    });
    assert.deepEqual(reading.source, { protocol: "modbus", mapId: "live", mapVersion: "1.0.0", unitId: 1, table: "holding", address: 0, quantity: 4 });
  });
});
