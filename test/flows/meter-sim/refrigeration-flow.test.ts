// The retail refrigeration tab's own logic (examples/deployments/04-retail-refrigeration.json), each function node as it ships, run
// in Node-RED with the tab's environment (STORE, REGION): the excursion alarms (the FDA Food Code's cold-holding limit,
// 41 °F = 5 °C, seeds' retail worked example), the cloud's compliance view (a gap is more than 15 minutes without a
// reading: "FDA Food Code requires temperature logs with ≤15-minute gaps", seeds, Step 6) and the trainer's control
// link (the dashboard's link contract, issue 13 §3). The whole tab runs end to end in test/e2e/refrigeration.test.ts.
import { after, afterEach, before, describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { capture, catchAndComplete, core, getNode, helper, init, load, unload, waitFor, type Msg } from "../../helpers/node-red";

const TAB = JSON.parse(fs.readFileSync(path.join(__dirname, "../../../examples/deployments/04-retail-refrigeration.json"), "utf8")) as Msg[];
const byId = (id: string) => {
  const n = TAB.find((x) => x.id === id);
  if (!n) throw new Error(`examples/deployments/04 has no node ${id}`);
  return n;
};
const tab = () => ({ id: "tab", type: "tab", env: byId("fridge-tab").env });
/** A function node of the tab, as it ships, its outputs wired to helper nodes out0, out1, ... */
const fn = (id: string) => {
  const n = byId(id);
  return { ...n, z: "tab", wires: Array.from({ length: n.outputs as number }, (_, k) => [`out${k}`]) };
};
const helpers = (n: number) => Array.from({ length: n }, (_, k) => ({ id: `out${k}`, z: "tab", type: "helper" }));

const T0 = Date.parse("2026-02-08T06:00:00Z");
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const reading = (deviceId: string, ms: number, product: number, flags: string[] = []) => ({
  deviceId, timestamp: iso(ms), quality: flags.length ? "SUSPECT" : "GOOD",
  measurements: { product: { value: product, unit: "Cel", ...(flags.length ? { flags, quality: "SUSPECT" } : {}) } },
});
/** A 15-minute window of one unit as aggregate-window gives it (max per sensor, 3 readings at the unit's offset). */
const windowOf = (deviceId: string, start: number, offset = 13_000) => {
  const stats = { count: 3, sum: 10.5, min: 3.4, max: 3.6, firstAt: iso(start + offset), lastAt: iso(start + offset + 10 * MIN) };
  return {
    deviceId, timestamp: iso(start), quality: "GOOD",
    measurements: { supplyAir: { value: 1.9, unit: "Cel", stats: { ...stats, max: 1.9 } }, product: { value: 3.6, unit: "Cel", stats } },
    window: { start: iso(start), end: iso(start + 15 * MIN), zone: "UTC", size: "15m", expected: 3, received: 3, completeness: 1, revision: 0, final: true },
  };
};

describe("the retail refrigeration tab's logic (examples/deployments/04)", () => {
  before(() => init());
  before(async () => new Promise<void>((r) => helper.startServer(r)));
  after(async () => new Promise<void>((r) => helper.stopServer(r)));
  afterEach(() => unload());

  it("excursion alarms: one P0 alarm when a sensor passes 41 °F, one when it is back, one when it sticks and when it moves", async () => {
    await load([core.function, core.catch, core.complete], [tab(), fn("fridge-alarms"), ...helpers(1), ...catchAndComplete("fridge-alarms")]);
    const seen = capture(["out0", "fridge-alarms-caught"]);
    const send = (r: Msg) => getNode("fridge-alarms").receive({ payload: r, receivedAt: Date.parse(r.timestamp) });
    send(reading("store-042-u3", T0, 4.0));
    send(reading("store-042-u3", T0 + 5 * MIN, 5.05555555555556, ["range"])); // 41.1 °F
    send(reading("store-042-u3", T0 + 10 * MIN, 6.0, ["range"]));
    send(reading("store-042-u3", T0 + 15 * MIN, 4.5));
    send(reading("store-042-u5", T0, 2.5, ["flatline"]));
    send(reading("store-042-u5", T0 + 5 * MIN, 2.5, ["flatline"]));
    send(reading("store-042-u5", T0 + 10 * MIN, 2.7));
    await waitFor(() => seen.out0.length >= 4, "four alarms");
    const alarms = seen.out0.map((m) => ({ ...JSON.parse(JSON.stringify(m.payload)), priority: m.priority, topic: m.topic }));
    assert.deepEqual(alarms.map((a) => `${a.alarm} ${a.deviceId}/${a.sensor} ${a.at}`), [
      `excursion store-042-u3/product ${iso(T0 + 5 * MIN)}`,
      `excursion-end store-042-u3/product ${iso(T0 + 15 * MIN)}`,
      `sensor-stuck store-042-u5/product ${iso(T0)}`,
      `sensor-ok store-042-u5/product ${iso(T0 + 10 * MIN)}`,
    ]);
    for (const a of alarms) {
      assert.equal(a.priority, "P0", "store-forward sends alarms ahead of the backlog");
      assert.equal(a.topic, "alarm");
      assert.equal(a.store, "store-042", "the tab's STORE");
    }
    assert.equal(alarms[0].valueF, 41.1);
    assert.equal(alarms[0].limitF, 41);
    assert.equal(alarms[1].peakF, 42.8, "6.0 °C");
    assert.equal(alarms[1].since, iso(T0 + 5 * MIN));
    assert.equal(seen.out0[0].receivedAt, T0 + 5 * MIN, "the reading's receive time travels with its alarm");
    assert.equal(seen["fridge-alarms-caught"].length, 0);
    seen.dispose();
  });

  it("compliance view: every window once, a gap of more than 15 minutes per sensor, the excursions and stuck sensors", async () => {
    await load([core.function, core.catch, core.complete], [tab(), fn("fridge-compliance"), ...helpers(1), ...catchAndComplete("fridge-compliance")]);
    const seen = capture(["out0", "fridge-compliance-caught"]);
    const send = (w: Msg) => getNode("fridge-compliance").receive({ topic: `us-east/store-042/fridge/${w.deviceId}`, payload: w });
    // As JSON (what MQTT and the dashboard get): the function node's objects are of its sandbox's realm.
    const summaries = () => seen.out0.filter((m) => m.topic === "compliance").map((m) => JSON.parse(JSON.stringify(m.payload)));
    // Unit 1: 06:00, 06:15, then nothing until 07:00 (the 06:30 and 06:45 windows lost). Unit 2: every window.
    for (const q of [0, 1, 4]) send(windowOf("store-042-u1", T0 + q * 15 * MIN));
    for (const q of [0, 1, 2, 3, 4]) send(windowOf("store-042-u2", T0 + q * 15 * MIN, 41_000));
    send(windowOf("store-042-u2", T0)); // a replayed duplicate
    await waitFor(() => summaries().length === 9, "a summary after each window");
    const windows = seen.out0.filter((m) => m.topic === "window");
    assert.equal(windows.length, 9, "each window goes on");
    assert.equal(windows[0].payload.timestamp, iso(T0), "unchanged");
    assert.deepEqual(windows[0].payload.measurements.product.stats.firstAt, iso(T0 + 13_000));
    let s = summaries()[8];
    assert.equal(s.store, "store-042");
    assert.equal(s.windows, 8, "the duplicate counts once");
    assert.equal(s.sensors, 4);
    assert.equal(s.from, iso(T0 + 13_000));
    assert.equal(s.to, iso(T0 + 60 * MIN + 41_000 + 10 * MIN));
    // Unit 1's last reading before the hole is 06:25:13, the next 07:00:13: 35 minutes without a reading.
    assert.deepEqual([...s.gaps].sort((a: Msg, b: Msg) => a.sensor.localeCompare(b.sensor)), ["product", "supplyAir"].map((sensor) =>
      ({ deviceId: "store-042-u1", sensor, from: iso(T0 + 25 * MIN + 13_000), to: iso(T0 + 60 * MIN + 13_000) })));
    assert.equal(s.compliant, false);
    // The lost windows arrive (a replay): the gap closes.
    for (const q of [2, 3]) send(windowOf("store-042-u1", T0 + q * 15 * MIN));
    await waitFor(() => summaries().length === 11, "two more summaries");
    s = summaries()[10];
    assert.deepEqual(s.gaps, []);
    assert.equal(s.windows, 10);
    assert.equal(s.compliant, true);
    // Alarms from the gateway: an excursion (listed once, closed by its end), a stuck sensor.
    const alarm = (a: Msg) => getNode("fridge-compliance").receive({ topic: `us-east/store-042/fridge-alarm/${a.deviceId}`, kind: "alarm", payload: { store: "store-042", ...a } });
    const ex = { alarm: "excursion", deviceId: "store-042-u3", sensor: "product", at: iso(T0 + 20 * MIN), valueF: 41.3 };
    alarm(ex);
    alarm(ex);
    alarm({ alarm: "excursion-end", deviceId: "store-042-u3", sensor: "product", at: iso(T0 + 50 * MIN), since: ex.at, peakF: 44.1, valueF: 40.2 });
    alarm({ alarm: "sensor-stuck", deviceId: "store-042-u5", sensor: "product", at: iso(T0 + 30 * MIN), valueF: 36.5 });
    await waitFor(() => summaries().length === 15, "a summary after each alarm");
    s = summaries()[14];
    assert.deepEqual(s.excursions, [{ deviceId: "store-042-u3", sensor: "product", at: ex.at, valueF: 41.3, endAt: iso(T0 + 50 * MIN), peakF: 44.1 }]);
    assert.deepEqual(s.stuck, [{ deviceId: "store-042-u5", sensor: "product", at: iso(T0 + 30 * MIN), valueF: 36.5 }]);
    assert.equal(s.compliant, false, "an excursion is not compliant");
    alarm({ alarm: "sensor-ok", deviceId: "store-042-u5", sensor: "product", at: iso(T0 + 40 * MIN), valueF: 36.7 });
    await waitFor(() => summaries().length === 16, "the stuck sensor moves again");
    assert.deepEqual(summaries()[15].stuck, []);
    assert.equal(seen["fridge-compliance-caught"].length, 0);
    seen.dispose();
  });

  it("trainer control (ctl-fridge): uplink cut/restore to mqtt out's action, a fault to meter-sim's command; anything else to Catch", async () => {
    await load([core.function, core.catch, core.complete], [tab(), fn("fridge-control"), ...helpers(2), ...catchAndComplete("fridge-control")]);
    const seen = capture(["out0", "out1", "fridge-control-caught"]);
    const ctl = getNode("fridge-control");
    ctl.receive({ topic: "uplink", payload: "cut" });
    ctl.receive({ topic: "uplink", payload: "restore" });
    ctl.receive({ topic: "fault", payload: { fault: "door-open", unit: 3 } });
    ctl.receive({ topic: "speed", payload: 2880 });
    await waitFor(() => seen.out0.length === 2 && seen.out1.length === 1 && seen["fridge-control-caught"].length === 1, "the routed controls");
    assert.deepEqual(seen.out0.map((m) => m.action), ["disconnect", "connect"]);
    assert.deepEqual(JSON.parse(JSON.stringify(seen.out1[0].command)), { fault: "door-open", unit: 3 });
    assert.match(seen["fridge-control-caught"][0].error.message, /ctl-fridge: expected topic "uplink" .* got topic "speed"/);
    seen.dispose();
  });

  it("follows the dashboard's link contract and prefixes every other id with fridge-", () => {
    const links = TAB.filter((n) => n.type === "link out" || n.type === "link in");
    assert.deepEqual(links.filter((n) => n.type === "link out").map((n) => [n.id, n.mode, n.links]).sort(), [
      ["dash-fridge-alerts-src", "link", ["dash-fridge-alerts"]],
      ["dash-fridge-compliance-src", "link", ["dash-fridge-compliance"]],
      ["dash-fridge-readings-src", "link", ["dash-fridge-readings"]],
    ]);
    assert.deepEqual(links.filter((n) => n.type === "link in").map((n) => n.id), ["ctl-fridge"]);
    for (const n of TAB) if (!links.includes(n)) assert.match(n.id, /^fridge-/);
    assert.ok(!TAB.some((n) => String(n.type).startsWith("ui-")), "no dashboard node in the deployment tab");
    // validate output 1 (readings), the alarms and validate output 3 (alerts), the compliance view's messages.
    assert.ok(byId("fridge-validate").wires[0].includes("dash-fridge-readings-src"));
    assert.ok(byId("fridge-validate").wires[2].includes("dash-fridge-alerts-src"));
    assert.ok(byId("fridge-alarms").wires[0].includes("dash-fridge-alerts-src"));
    assert.ok(byId("fridge-compliance").wires[0].includes("dash-fridge-compliance-src"));
    assert.deepEqual(byId("ctl-fridge").wires, [["fridge-control"]]);
    assert.equal(byId("fridge-sf").rateBytes, "12500", "the seeds' 100 kbps");
    // Node-RED's markdown reads a line with a colon, then a parenthesis, then a colon as a definition list.
    for (const c of TAB.filter((n) => n.type === "comment")) for (const line of String(c.info ?? "").split("\n")) assert.doesNotMatch(line, /:.*\(.*:/, line);
  });
});
