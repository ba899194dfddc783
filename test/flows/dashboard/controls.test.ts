// The dashboard's function nodes (flows/09-dashboard.json) and the lab's end of ctl-metering (flows/03), as they are
// in the flow files, with hand-made messages shaped as the widgets and the nodes send them: a trainer's button goes
// from the trainer's function to the lab's control function (the link contract's ids checked on both ends) and a
// real meter-sim; the bill and completeness tables stay bounded and consistent.
import { afterEach, before, describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { capture, core, getNode, init, load, logged, sleep, unload, waitFor, type Msg } from "../../helpers/node-red";
import meterSim = require("../../../nodes/meter-sim/meter-sim");

const ROOT = path.resolve(__dirname, "..", "..", "..");
const flowFile = (f: string): Msg[] => JSON.parse(fs.readFileSync(path.join(ROOT, "flows", f), "utf8")) as Msg[];
const dash = flowFile("09-dashboard.json");
const lab = flowFile("03-smart-metering-lab.json");

/** A node of a flow file, on the test's tab, its outputs wired to `wires`. */
function node(flow: Msg[], id: string, wires?: string[][]): Msg {
  const n = flow.find((x) => x.id === id);
  if (!n) throw new Error(`no node ${id}`);
  const { x: _x, y: _y, ...rest } = n;
  return { ...rest, z: "tab", ...(wires ? { wires } : {}) };
}
const helpers = (...ids: string[]) => ids.map((id) => ({ id, z: "tab", type: "helper" }));
/** A function node's output, made in its sandbox, as plain data (deepStrictEqual compares prototypes). */
const plain = (v: unknown): any => JSON.parse(JSON.stringify(v));

describe("the dashboard's controls and tables (flows/09 with flows/03's ctl-metering)", () => {
  before(() => init());
  afterEach(() => unload());

  it("the trainer's controls and the bill-to-date request leave through ctl-metering-src, which links to the lab's ctl-metering", () => {
    const out = node(dash, "ctl-metering-src");
    assert.deepEqual([out.type, out.mode, out.links], ["link out", "link", ["ctl-metering"]]);
    assert.deepEqual(node(dash, "dash-t-ctl").wires[0], ["ctl-metering-src"]);
    const estimate = node(dash, "dash-t-estimate");
    assert.deepEqual([estimate.topic, estimate.payload, estimate.repeat, estimate.wires], ["bills", "estimate", "15", [["dash-t-estimate-gate"]]]);
    assert.deepEqual(node(dash, "dash-t-clients").wires, [["dash-t-estimate-gate"]]);
    assert.deepEqual(node(dash, "dash-t-estimate-gate").wires, [["ctl-metering-src"]]);
    const into = node(lab, "ctl-metering");
    assert.deepEqual([into.type, into.links, into.wires], ["link in", ["ctl-metering-src"], [["m2m-lab-dash-ctl"]]]);
    for (const [target, from] of [["dash-metering-readings", "m2m-lab-gw-aw"], ["dash-metering-buffer", "m2m-lab-sf"], ["dash-metering-buffer", "m2m-lab-status"], ["dash-metering-daily", "m2m-lab-cloud-day"], ["dash-metering-bills", "m2m-lab-bill"]]) {
      const src = node(lab, `${target}-src`);
      assert.deepEqual([src.type, src.mode, src.links], ["link out", "link", [target]]);
      assert.ok(node(lab, from).wires.some((w: string[]) => w.includes(src.id)), `${from} feeds ${src.id}`);
      assert.deepEqual(node(dash, target).links, [src.id]);
    }
  });

  it("every link between the demo's tabs names its other end on both sides (the editor draws a link from both ends)", () => {
    const all = [
      ...fs.readdirSync(path.join(ROOT, "flows")).filter((f) => f.endsWith(".json")).map((f) => flowFile(f)),
      ...fs.readdirSync(path.join(ROOT, "examples", "deployments")).map((f) => JSON.parse(fs.readFileSync(path.join(ROOT, "examples", "deployments", f), "utf8")) as Msg[]),
    ].flat();
    const links = all.filter((n) => n.type === "link in" || n.type === "link out");
    const byId = new Map(links.map((n) => [n.id as string, n]));
    let pairs = 0;
    for (const n of links) {
      for (const other of n.links as string[]) {
        const o = byId.get(other);
        assert.ok(o, `${n.id} links to ${other}, which no tab has`);
        assert.ok((o.links as string[]).includes(n.id), `${other} does not name ${n.id} back`);
        pairs++;
      }
    }
    assert.equal(pairs, 2 * 13, "the contract's twelve links and flows/01 to 02, each seen from both ends");
  });

  it("a meter fault pressed on the Trainer page reaches meter-sim for the chosen meter: its next read fails, the others' do not", async () => {
    const flow = [
      { id: "tab", type: "tab" },
      node(dash, "dash-t-ctl", [["m2m-lab-dash-ctl"], ["fridge-out"], ["fleet-out"], ["said"]]),
      node(lab, "m2m-lab-dash-ctl", [["m2m-lab-sim"], ["linkctl"], ["bill"]]),
      { ...node(lab, "m2m-lab-sim", [["reads"]]), server: "off", emit: "read", start: "2026-03-31T17:00:00Z" },
      ...helpers("fridge-out", "fleet-out", "said", "linkctl", "bill", "reads"),
    ];
    await load([core.function, meterSim], flow);
    const seen = capture(["fridge-out", "fleet-out", "said", "linkctl", "bill", "reads"]);
    const press = (topic: string, payload: unknown) => getNode("dash-t-ctl").receive({ topic, payload });
    press("metering/select", "gas-001");
    press("metering/fault", { fault: "offline" });
    await waitFor(() => seen.said.length === 2, "the trainer's two answers");
    assert.match(seen.said[1].payload, /meter fault offline → gas-001$/);
    // The quarter hour passes through the lab's function too, so it reaches meter-sim after the fault.
    getNode("m2m-lab-dash-ctl").receive({ topic: "fault", payload: { fault: "advance", minutes: 15 } });
    await waitFor(() => seen.reads.length >= 4, "a read of each meter");
    const gas = seen.reads.filter((m) => m.deviceId === "gas-001");
    const others = seen.reads.filter((m) => m.deviceId !== "gas-001");
    assert.ok(gas.length >= 1 && gas.every((m) => m.payload === "" && /Timed out/.test(String(m.error))), JSON.stringify(gas));
    assert.ok(others.length >= 3 && others.every((m) => Array.isArray(m.payload) && !m.error), "the other meters still answer");

    press("metering/uplink", "cut");
    press("metering/uplink", "restore");
    press("metering/bills", "close");
    getNode("m2m-lab-dash-ctl").receive({ topic: "bills", payload: "estimate" }); // what dash-t-estimate sends
    press("metering/speed", 0);
    await waitFor(() => seen.linkctl.length === 2 && seen.bill.length === 2, "the uplink's link control and the bill commands");
    assert.deepEqual(seen.linkctl.map((m) => m.action), ["disconnect", "connect"]);
    assert.deepEqual(seen.bill.map((m) => m.command).sort(), ["close", "estimate"]);
    press("fridge/select", 3);
    press("fridge/fault", { fault: "door-open" });
    press("fleet/campaign", "start");
    await waitFor(() => seen["fridge-out"].length === 1 && seen["fleet-out"].length === 1, "the refrigeration and fleet controls");
    assert.deepEqual(plain({ topic: seen["fridge-out"][0].topic, payload: seen["fridge-out"][0].payload }), { topic: "fault", payload: { fault: "door-open", unit: 3 } });
    assert.equal(seen["fleet-out"][0].topic, "campaign");
    // A control the lab does not know is refused with a warning that names what it expects.
    getNode("m2m-lab-dash-ctl").receive({ topic: "speed", payload: "fast" });
    await waitFor(() => logged("warn").some((w) => /ctl-metering: ignored topic "speed" with payload "fast": expected/.test(w)), "the lab's warning");
    seen.dispose();
  });

  it("the bill to date is asked for only while a dashboard is open: at a browser's connect, then at each tick until it goes", async () => {
    const flow = [{ id: "tab", type: "tab" }, node(dash, "dash-t-estimate-gate", [["asked"]]), ...helpers("asked")];
    await load([core.function], flow);
    const seen = capture(["asked"]);
    const gate = getNode("dash-t-estimate-gate");
    const tick = { topic: "bills", payload: "estimate" }; // what dash-t-estimate sends
    gate.receive(tick);
    gate.receive({ payload: "connect" }); // ui-control
    await waitFor(() => seen.asked.length === 1, "the estimate at the connect");
    gate.receive(tick);
    gate.receive({ payload: "connect" });
    gate.receive({ payload: "lost" });
    gate.receive(tick);
    gate.receive({ payload: "lost" });
    gate.receive(tick);
    gate.receive({ payload: "lost" });
    gate.receive(tick);
    gate.receive({ payload: "connect" });
    await waitFor(() => seen.asked.length === 5, "an estimate per tick while a browser is connected, one per connect");
    await sleep(100);
    assert.equal(seen.asked.length, 5, "no estimate without a browser");
    assert.deepEqual(plain(seen.asked.map((m) => [m.topic, m.payload]))[0], ["bills", "estimate"]);
    seen.dispose();
  });

  it("the bill to date gives way to the closed bill of its month; closed bills are kept 6 at most, newest first", async () => {
    const flow = [{ id: "tab", type: "tab" }, node(dash, "dash-m-bills", [["todate"], ["closed"]]), ...helpers("todate", "closed")];
    await load([core.function], flow);
    const seen = capture(["todate", "closed"]);
    const bill = (deviceId: string, month: number, final: boolean): Msg => ({
      topic: final ? "bill" : "estimate",
      payload: {
        deviceId, currency: "USD", final, total: "12.34", completeness: final ? 1 : 0.5,
        period: { start: new Date(Date.UTC(2026, month, 1)).toISOString(), end: new Date(Date.UTC(2026, month + 1, 1)).toISOString() },
        lines: [{ kind: "energy", description: "Energy, tier 1", quantity: "100.123", unit: "kWh", rate: "0.08", amount: "8.01" }],
      },
    });
    const n = getNode("dash-m-bills");
    n.receive(bill("elec-001", 2, false));
    await waitFor(() => seen.todate.length === 1, "the bill to date");
    assert.deepEqual(plain(seen.todate[0].payload).map((r: Msg) => [r.meter, r.period, r.item, r.quantity, r.amount]), [
      ["elec-001", "2026-03", "Energy, tier 1", "100.12 kWh", "$8.01"],
      ["elec-001", "2026-03", "Total (50 % of the period received)", "", "$12.34"],
    ]);
    n.receive(bill("elec-001", 2, true));
    await waitFor(() => seen.closed.length === 1, "the closed bill");
    assert.deepEqual(plain(seen.todate[1].payload), [], "March's estimate is gone once March is billed");
    assert.deepEqual(plain(seen.closed[0].payload).map((r: Msg) => r.item), ["Energy, tier 1", "Total"]);
    for (let m = 3; m < 11; m++) n.receive(bill("elec-001", m, true));
    await waitFor(() => seen.closed.length === 9, "eight more bills");
    const months = [...new Set(plain(seen.closed[8].payload).map((r: Msg) => r.period))];
    assert.deepEqual(months, ["2026-11", "2026-10", "2026-09", "2026-08", "2026-07", "2026-06"]);
    seen.dispose();
  });

  it("completeness: a table of the last 7 days per meter, the latest day summed over its meters", async () => {
    const flow = [{ id: "tab", type: "tab" }, node(dash, "dash-m-daily", [["text"], ["rows"]]), ...helpers("text", "rows")];
    await load([core.function], flow);
    const seen = capture(["text", "rows"]);
    const day = (d: number, deviceId: string, received: number): Msg => ({
      payload: {
        deviceId, timestamp: new Date(Date.UTC(2026, 2, d)).toISOString(), measurements: { energy: { value: 10.456, unit: "kWh" } },
        window: { expected: 96, received, completeness: received / 96, final: true },
      },
    });
    for (let d = 1; d <= 9; d++) {
      getNode("dash-m-daily").receive(day(d, "elec-001", 96));
      getNode("dash-m-daily").receive(day(d, "gas-001", d === 9 ? 48 : 96));
    }
    await waitFor(() => seen.rows.length === 18, "a table per message");
    const rows = plain(seen.rows[17].payload) as Msg[];
    assert.equal(rows.length, 14, "7 days × 2 meters");
    assert.deepEqual([...new Set(rows.map((r) => r.day))], ["2026-03-09", "2026-03-08", "2026-03-07", "2026-03-06", "2026-03-05", "2026-03-04", "2026-03-03"]);
    assert.deepEqual(rows[1], { day: "2026-03-09", meter: "gas-001", intervals: "48 of 96", completeness: "50 %", consumption: "10.46 kWh", state: "final" });
    assert.equal(seen.text[17].payload, "2026-03-09: 75 % complete, 144 of 192 intervals of 2 meters");
    seen.dispose();
  });
});
