// validate (m2m-validate) in a flow: the three outputs, arrays, commands, done() through Catch and Complete, and
// its state across a redeploy and across a restart of the runtime. No test asserts a duration.
import { after, afterEach, before, describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { capture, catchAndComplete, core, getNode, helper, init, load, redeploy, sleep, unload, waitFor, type Msg } from "../../helpers/node-red";
import validateNode = require("../../../nodes/validate/validate");
import { withCatalog } from "../../helpers/contract";

const VALIDATE = withCatalog(validateNode as never, path.resolve(__dirname, "../../../nodes/validate/validate"));
// Recent readings: the dedup window (48 h) is counted back from the node's clock.
const T0 = Math.floor(Date.now() / 900_000) * 900_000 - 6 * 3_600_000;
const Q = 900_000;
const iso = (ms: number) => new Date(ms).toISOString();
const RULES = JSON.stringify([
  { measurement: "energy*", monotonic: true, rollover: 99999.9 },
  { measurement: "voltage*", unit: "V", min: 180, max: 260 },
]);

function reading(ms: number, energy: number, extra: Msg = {}): Msg {
  return { deviceId: "meter-001", timestamp: iso(ms), measurements: { energyImport: { value: energy, unit: "kWh" }, voltageL1: { value: 230.1, unit: "V" } }, quality: "GOOD", source: { protocol: "modbus" }, ...extra };
}

let dir = "";
function flow(config: Msg = {}): Msg[] {
  return [
    { id: "tab", type: "tab", label: "validate" },
    { id: "v", z: "tab", type: "m2m-validate", name: "validate", rules: RULES, dir, saveSeconds: "1", wires: [["out"], ["rej"], ["alert"]], ...config },
    { id: "out", z: "tab", type: "helper", wires: [] },
    { id: "rej", z: "tab", type: "helper", wires: [] },
    { id: "alert", z: "tab", type: "helper", wires: [] },
    ...catchAndComplete("v"),
  ];
}
const NODES = [VALIDATE, core.catch, core.complete];
const IDS = ["out", "rej", "alert", "v-caught", "v-done"];

describe("validate in a flow", () => {
  before(() => init());
  before(() => new Promise<void>((r) => helper.startServer(r)));
  after(() => new Promise<void>((r) => helper.stopServer(r)));
  let seen: ReturnType<typeof capture>;
  before(() => {
    seen = capture(IDS);
  });
  after(() => seen.dispose());
  afterEach(async () => {
    await unload();
    for (const id of IDS) seen[id].length = 0;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  const fresh = () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-validate-"));
  };
  const ended = (n: number) => waitFor(() => seen["v-done"].length + seen["v-caught"].length >= n, `${n} inputs to end`);

  it("three outputs: passed, rejected with msg.validation, the clock-drift alert; Complete for each input, Catch for none", async () => {
    fresh();
    await load(NODES, flow());
    const now = Date.now();
    getNode("v").receive({ payload: reading(now - 45_000, 100), receivedAt: now, topic: "meter-001" });
    getNode("v").receive({ payload: reading(now - 2 * 3_600_000, 101), receivedAt: now, topic: "meter-001" });
    getNode("v").receive({ payload: reading(now - 600_000, 102), receivedAt: now });
    await ended(3);
    await sleep(50);
    assert.equal(seen["v-done"].length, 3, "failing validation is normal work: done() as usual");
    assert.equal(seen["v-caught"].length, 0);
    assert.equal(seen.out.length, 2);
    assert.equal(seen.out[0].payload.timestamp, iso(now - 45_000));
    assert.equal(seen.out[0].topic, "meter-001");
    const corrected = seen.out[1].payload;
    assert.deepEqual([corrected.timestamp, corrected.source.originalTimestamp, corrected.flags], [iso(now), iso(now - 600_000), ["time-corrected"]]);
    assert.equal(seen.rej.length, 1);
    assert.deepEqual(seen.rej[0].validation, { rule: "drift", reason: seen.rej[0].validation.reason, deviceId: "meter-001", timestamp: iso(now - 2 * 3_600_000) });
    assert.match(seen.rej[0].validation.reason, /7200 s behind/);
    assert.equal(seen.rej[0].payload.measurements.energyImport.value, 101, "the rejected reading travels as it came");
    assert.equal(seen.alert.length, 1);
    assert.equal(seen.alert[0].topic, "alert");
    assert.deepEqual([seen.alert[0].payload.alert, seen.alert[0].payload.deviceId, seen.alert[0].payload.driftSeconds, seen.alert[0].payload.node], ["clock-drift", "meter-001", -7200, "v"]);
  });

  it("an array: the passing readings leave together in order, each rejected one alone, exact duplicates dropped", async () => {
    fresh();
    await load(NODES, flow({ driftRejectSeconds: "31536000", driftAcceptSeconds: "31536000" }));
    const a = reading(T0, 100);
    const bad = reading(T0 + Q, 101);
    bad.measurements.voltageL1.value = 400;
    const b = reading(T0 + 2 * Q, 102);
    getNode("v").receive({ payload: [a, structuredClone(a), bad, b, "not a reading"] });
    await ended(1);
    await sleep(50);
    assert.equal(seen["v-done"].length, 1);
    assert.equal(seen.out.length, 1);
    assert.deepEqual(seen.out[0].payload.map((r: Msg) => r.timestamp), [iso(T0), iso(T0 + 2 * Q)]);
    assert.deepEqual(seen.rej.map((m) => m.validation.rule), ["range", "schema"]);
    assert.equal(seen.rej[1].payload, "not a reading");
    // An array where nothing passes sends nothing on output 1.
    getNode("v").receive({ payload: [a] });
    await ended(2);
    await sleep(50);
    assert.equal(seen.out.length, 1);
    getNode("v").receive({ command: "stats" });
    await ended(3);
    const stats = seen.alert[0].payload;
    assert.equal(seen.alert[0].topic, "stats");
    assert.deepEqual([stats.passed, stats.rejected, stats.duplicates, stats.rules.range, stats.rules.schema], [2, 2, 2, 1, 1]);
    assert.deepEqual(stats.devices["meter-001"], { passed: 2, flagged: 0, rejected: 1, duplicates: 2 });
  });

  it("commands: reset forgets a device's baselines; an unknown command goes to Catch naming the known ones", async () => {
    fresh();
    await load(NODES, flow({ driftRejectSeconds: "31536000", driftAcceptSeconds: "31536000" }));
    getNode("v").receive({ payload: reading(T0, 500) });
    getNode("v").receive({ command: "reset", deviceId: "meter-001" });
    getNode("v").receive({ payload: reading(T0 + Q, 400) });
    getNode("v").receive({ command: "explode" });
    await ended(4);
    await sleep(50);
    assert.deepEqual(seen.alert[0].payload, { node: "v", reset: 1, deviceId: "meter-001" });
    assert.equal(seen.out[1].payload.measurements.energyImport.flags, undefined, "no baseline after reset: no decrease");
    assert.equal(seen["v-caught"].length, 1);
    assert.match(seen["v-caught"][0].error.message, /unknown command "explode": validate knows stats, reset/);
  });

  it("a bad rule list: every input goes to Catch naming the rules", async () => {
    fresh();
    await load(NODES, flow({ rules: '[{"measurement":"energy*","min":"zero"}]' }));
    getNode("v").receive({ payload: reading(T0, 1) });
    await ended(1);
    assert.equal(seen["v-caught"].length, 1);
    assert.match(seen["v-caught"][0].error.message, /rules: .*\/rules\/0\/min must be number/);
  });

  it("state survives a full redeploy: dedup keys and the register's last value", async () => {
    fresh();
    const f = flow({ driftRejectSeconds: "31536000", driftAcceptSeconds: "31536000" });
    await load(NODES, f);
    getNode("v").receive({ payload: reading(T0, 500) });
    await ended(1);
    await redeploy(f);
    getNode("v").receive({ payload: reading(T0, 500) });
    getNode("v").receive({ payload: reading(T0 + Q, 490) });
    await ended(3);
    await sleep(50);
    assert.equal(seen.out.length, 2, "the duplicate after the redeploy was dropped");
    assert.deepEqual(seen.out[1].payload.measurements.energyImport.flags, ["counter-decrease"]);
  });

  it("state survives a restart of the runtime (the node's folder under the user dir when no dir is set)", async () => {
    fresh();
    const f = flow({ driftRejectSeconds: "31536000", driftAcceptSeconds: "31536000", dir: "" });
    const userDir = dir;
    init({ userDir });
    try {
      await load(NODES, f);
      getNode("v").receive({ payload: reading(T0, 500) });
      await ended(1);
      await unload();
      const file = path.join(userDir, "m2m-validate", "v", "state.json");
      assert.ok(fs.existsSync(file), "the state is written on close into <userDir>/m2m-validate/<node id>");
      await load(NODES, f);
      getNode("v").receive({ payload: reading(T0, 500) });
      getNode("v").receive({ payload: reading(T0 + Q, 490) });
      getNode("v").receive({ command: "stats" });
      await ended(4);
      await sleep(50);
      assert.equal(seen.out.length, 2);
      assert.deepEqual(seen.out[1].payload.measurements.energyImport.flags, ["counter-decrease"]);
      assert.equal(seen.alert[0].payload.duplicates, 1);
    } finally {
      init();
    }
  });

  it("the periodic save (in parts) writes the state while readings flow; one that fails sends the next input to Catch naming the cause", async () => {
    fresh();
    const stateDir = path.join(dir, "state");
    await load(NODES, flow({ dir: stateDir, driftRejectSeconds: "31536000", driftAcceptSeconds: "31536000" }));
    const file = path.join(stateDir, "state.json");
    let k = 0;
    const feed = () => getNode("v").receive({ payload: reading(T0 + k * Q, 500 + k++) });
    feed();
    await waitFor(() => (feed(), fs.existsSync(file)), "the periodic save", 10_000);
    const doc = JSON.parse(fs.readFileSync(file, "utf8")) as { body: { version: number; devices: Record<string, unknown> } };
    assert.equal(doc.body.version, 3);
    assert.ok(doc.body.devices["meter-001"], "the device is in the saved state");
    // The folder goes away (a card pulled, a mount lost): the next save fails, and the input after it is an error.
    fs.rmSync(stateDir, { recursive: true });
    fs.writeFileSync(stateDir, "not a folder");
    await waitFor(() => (feed(), seen["v-caught"].length > 0), "an input to reach Catch", 10_000);
    assert.match(seen["v-caught"][0].error.message, /validate cannot save its state: cannot write .*state\.json: a part of the path is a file, not a folder \(ENOTDIR\)/);
    assert.ok(seen.out.length >= k - 1, "the readings still went on");
    fs.rmSync(stateDir);
    fs.mkdirSync(stateDir); // the close writes the last state
  });

  it("a damaged state document is moved aside and the node starts empty, saying so", async () => {
    fresh();
    const stateDir = path.join(dir, "state");
    fs.mkdirSync(stateDir);
    fs.writeFileSync(path.join(stateDir, "state.json"), '{"format":1,"crc":1,"body":{}}');
    await load(NODES, flow({ dir: stateDir, driftRejectSeconds: "31536000", driftAcceptSeconds: "31536000" }));
    getNode("v").receive({ payload: reading(T0, 500) });
    await ended(1);
    assert.equal(seen.out.length, 1);
    assert.ok(fs.readdirSync(stateDir).some((f) => f.startsWith("state.json.corrupt-")));
  });
});
