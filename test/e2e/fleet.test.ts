/**
 * The fleet-operations deployment (examples/deployments/05-fleet-operations.json) as `npm start` runs it: scripts/start.js with every
 * flow of flows/ deployed, on free ports (LWM2M_PORT for the LwM2M server and its simulated devices) and in a
 * temporary user directory. Then, from the outside, as a trainer sees it in the editor:
 *
 * - the 300 simulated devices register with lwm2m-server over real CoAP;
 * - "show the diagnoses" gives every device a diagnosis: the poor-signal, dying-battery and hardware-fault profiles
 *   come out with that cause and its evidence (resource path, value, rule, threshold), the healthy ones as healthy;
 * - "start the campaign" (firmware 2.0.0, waves 1/10/100) updates wave 1 only: its rev-B device (the crashing
 *   hardware revision) updates successfully and then fails the health gate (lwm2m-diagnose finds the reboot loop that
 *   began with the new version), so rollout-stage halts in wave 1 and rolls the wave back to 1.0.0;
 * - the devices outside wave 1 were never sent anything: their Object 5 never left Idle, Update Result 0.
 *
 * The user directory is not new: the fleet's diagnosis history from earlier starts of the demo is there, with a
 * registration of every device at each of them (five starts within the hour). The simulated devices start from their
 * first boot at every start, so npm start starts that history afresh; kept, it would read as a reboot loop of the
 * whole fleet (more than 3 restarts in 24 h), a firmware bug on every healthy device.
 *
 * What the editor shows is read the way the editor reads it: the debug sidebar and node status through Node-RED's
 * /comms websocket; the inject buttons pressed through the inject node's admin endpoint.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "mocha";
import WebSocket from "ws";
import { plan } from "../../nodes/rollout-stage/index";
import { parseDiagnoseConfig } from "../../nodes/lwm2m-diagnose/config";
import { Diagnoser } from "../../nodes/lwm2m-diagnose/diagnoser";
import type { HistoryState } from "../../nodes/lwm2m-diagnose/history";
import { StateFile } from "../../nodes/shared/state-file";
import { ROOT, childEnv, freePort, launchNodeRed, logProblems, makeTempDir, removeDir, saveLog, sleep, waitFor, type NodeRedInstance } from "./helpers";

type Any = any;

const COUNT = 300;
// The fleet's profiles and hardware revisions, given in turn (the lwm2m-device-sim node of examples/deployments/05-fleet-operations.json).
const PROFILES = ["healthy", "poor-signal", "healthy", "dying-battery", "healthy", "healthy", "poor-signal", "healthy", "hardware-fault", "healthy"];
const HARDWARE = ["rev-A", "rev-A", "rev-B"];
const ids = Array.from({ length: COUNT }, (_, i) => `dev-${i + 1}`);
const profileOf = (ep: string) => PROFILES[(Number(ep.slice(4)) - 1) % PROFILES.length];
const hardwareOf = (ep: string) => HARDWARE[(Number(ep.slice(4)) - 1) % HARDWARE.length];
const SALT = "campaign-2.0.0"; // the campaign function's salt: it fixes the canary

interface Debug {
  id: string;
  name?: string;
  msg: Any;
  at: number;
}

describe("fleet operations (npm start)", function () {
  this.timeout(120_000);
  let tmp: string | undefined;
  let nr: NodeRedInstance | undefined;
  let ws: WebSocket | undefined;
  let lwm2mPort: number;
  let started = 0;
  const debug: Debug[] = [];
  const status = new Map<string, { text?: string; fill?: string }[]>();

  before(async () => {
    tmp = makeTempDir("fleet");
    lwm2mPort = await freePort();
    const port = await freePort();
    // The fleet's diagnosis history as five earlier starts of the demo left it: each registered every device.
    const dz = new Diagnoser(parseDiagnoseConfig({}));
    const earlier = Date.now() - 3_600_000;
    for (let k = 0; k < 6; k++) for (const endpoint of ids) dz.input({ event: "registered", endpoint, at: earlier + k * 60_000 }, earlier + k * 60_000);
    assert.match(JSON.stringify(dz.diagnose("dev-1", Date.now())?.evidence), /restart/, "the seeded history is a reboot loop");
    const stale = new StateFile<HistoryState>({ dir: path.join(tmp, "userDir", "m2m-lwm2m-diagnose", "fleet-diagnose"), intervalMs: 0 });
    stale.changed(() => dz.snapshot());
    stale.close();
    const env = childEnv(process.execPath, {
      PORT: String(port),
      MQTT_PORT: String(await freePort()),
      MQTTS_PORT: String(await freePort()),
      MODBUS_PORT: String(await freePort()),
      LWM2M_PORT: String(lwm2mPort),
      DEMO_USER_DIR: path.join(tmp, "userDir"),
      HOST: "",
    });
    nr = await launchNodeRed("npm start", process.execPath, [path.join(ROOT, "scripts", "start.js")], { cwd: ROOT, env, port });
    started = Date.now();
    // The editor's view: the debug sidebar and the node status, from the runtime's comms websocket.
    ws = new WebSocket(`ws://127.0.0.1:${port}/comms`);
    ws.on("message", (data: WebSocket.RawData) => {
      for (const { topic, data: d } of JSON.parse(data.toString()) as { topic: string; data: Any }[]) {
        if (topic === "debug") {
          let msg: Any = d.msg;
          if (d.format && /^(Object|array)/.test(d.format)) msg = JSON.parse(d.msg);
          debug.push({ id: d.id, name: d.name, msg, at: Date.now() });
        } else if (topic.startsWith("status/")) {
          const id = topic.slice("status/".length);
          status.set(id, [...(status.get(id) ?? []), d]);
        }
      }
    });
    await new Promise<void>((resolve, reject) => {
      ws!.once("open", () => resolve());
      ws!.once("error", reject);
    });
    ws.send(JSON.stringify({ subscribe: "debug" }));
    ws.send(JSON.stringify({ subscribe: "status/#" }));
  });

  after(async () => {
    try {
      ws?.close();
      await nr?.stop();
      if (nr) saveLog("fleet.log", nr.log());
    } finally {
      removeDir(tmp);
    }
  });

  async function press(injectId: string): Promise<void> {
    const res = await fetch(`${nr!.url}/inject/${injectId}`, { method: "POST" });
    assert.equal(res.status, 200, `pressing inject ${injectId}`);
  }
  const debugOf = (id: string) => debug.filter((d) => d.id === id);
  const errors = () => debugOf("fleet-errors").map((d) => d.msg);

  /** Press "list the fleet" and return the list it shows. */
  async function list(): Promise<Any[]> {
    const n = debugOf("fleet-sim-debug").length;
    await press("fleet-list");
    await waitFor(() => debugOf("fleet-sim-debug").length > n, "the fleet's list");
    return debugOf("fleet-sim-debug")[n].msg as Any[];
  }

  it("deploys the fleet tab with the dashboard link contract, the LwM2M server on LWM2M_PORT", async () => {
    const res = await fetch(`${nr!.url}/flows`, { headers: { Accept: "application/json" } });
    const flows = (await res.json()) as Any[];
    const byId = new Map(flows.map((n) => [n.id, n]));
    for (const [id, type] of [["fleet-server", "lwm2m-server"], ["fleet-sim", "lwm2m-device-sim"], ["fleet-in", "lwm2m-in"], ["fleet-diagnose", "lwm2m-diagnose"], ["fleet-rollout", "rollout-stage"], ["fleet-fw", "lwm2m-request"], ["ctl-fleet", "link in"]])
      assert.equal(byId.get(id)?.type, type, `${id} is a ${type}`);
    assert.equal(byId.get("fleet-server").port, String(lwm2mPort), "npm start rewrites the server's port");
    assert.equal(byId.get("fleet-sim").serverPort, String(lwm2mPort), "and the devices'");
    for (const [id, target] of [["dash-fleet-diagnosis-src", "dash-fleet-diagnosis"], ["dash-fleet-rollout-src", "dash-fleet-rollout"]]) {
      const n = byId.get(id);
      assert.equal(n?.type, "link out", id);
      assert.equal(n.mode, "link");
      assert.deepEqual(n.links, [target]);
    }
    assert.deepEqual(byId.get("fleet-diagnose").wires[0].includes("dash-fleet-diagnosis-src"), true, "the diagnoses go to the dashboard unchanged");
    assert.ok(byId.get("fleet-rollout").wires[1].includes("dash-fleet-rollout-src"), "the campaign events go to the dashboard unchanged");
    const fleetTab = flows.filter((n) => n.z === "fleet-tab");
    assert.deepEqual(fleetTab.filter((n) => String(n.type).startsWith("ui-")).map((n) => n.id), [], "no dashboard node in the deployment tab");
    assert.match(nr!.log(), new RegExp(`LwM2M server \\(CoAP over UDP\\) on 127\\.0\\.0\\.1:${lwm2mPort}`));
  });

  it("the fleet registers, and every device gets a diagnosis: the faulty profiles with their cause and evidence", async () => {
    let fleet: Any[] = [];
    const allRegistered = () => fleet.length === COUNT && fleet.every((d) => d.registered);
    for (let i = 0; i < 40 && !allRegistered(); i++) {
      if (i > 0) await sleep(1000);
      fleet = await list();
    }
    assert.equal(fleet.filter((d) => d.registered).length, COUNT, "every simulated device registered");
    assert.deepEqual(
      fleet.map((d) => [d.endpoint, d.profile, d.hardwareVersion, d.firmwareVersion]),
      ids.map((ep) => [ep, profileOf(ep), hardwareOf(ep), "1.0.0"]),
    );

    // A dying battery falls below 15 % ten seconds after the deploy (36,000x: 65 simulated hours from 40 %).
    const wait = 10_000 - (Date.now() - started);
    if (wait > 0) await sleep(wait);
    await fetch(`${nr!.url}/debug/fleet-each-debug/enable`, { method: "POST" });
    const from = debug.length;
    let summary: Any;
    // The registry fills from lwm2m-in's events; a sweep covers the devices registered when it is pressed.
    for (let i = 0; i < 5 && !(summary?.devices === COUNT); i++) {
      const n = debugOf("fleet-summary-debug").length;
      await press("fleet-show");
      await waitFor(() => debugOf("fleet-summary-debug").length > n, "the sweep's summary", 40_000, () => errors().slice(0, 3));
      summary = debugOf("fleet-summary-debug")[n].msg;
    }
    await fetch(`${nr!.url}/debug/fleet-each-debug/disable`, { method: "POST" });
    assert.equal(summary.devices, COUNT, JSON.stringify(summary).slice(0, 500));
    assert.deepEqual(summary.failedReads, []);
    const expected: Record<string, number> = {};
    for (const ep of ids) expected[profileOf(ep)] = (expected[profileOf(ep)] ?? 0) + 1;
    assert.deepEqual(summary.causes, expected, "one cause per profile: 180 healthy, 60 poor-signal, 30 dying-battery, 30 hardware-fault");
    assert.equal(summary.truckRolls, expected["hardware-fault"], "only the hardware faults need a truck");
    for (const ep of ids) {
      const p = profileOf(ep);
      if (p === "healthy") assert.equal(summary.faulty[ep], undefined, `${ep} is healthy`);
      else assert.match(summary.faulty[ep], new RegExp(`^${p}: /\\d`), `${ep}: ${p} with its evidence`);
    }

    // Each diagnosis (the message the dashboard's link gets), in full: cause, evidence with path, value, rule, threshold.
    const each = debug.slice(from).filter((d) => d.id === "fleet-each-debug").map((d) => d.msg);
    const of = (ep: string) => each.filter((d) => d.endpoint === ep).pop();
    const poor = of("dev-2");
    assert.equal(poor.cause, "poor-signal");
    const rsrp = poor.evidence.find((e: Any) => e.path === "/4/0/2");
    assert.ok(rsrp && rsrp.value < -115 && /RSRP/.test(rsrp.rule) && rsrp.threshold, JSON.stringify(poor.evidence));
    const battery = of("dev-4");
    assert.equal(battery.cause, "dying-battery");
    assert.ok(battery.evidence.some((e: Any) => e.path === "/3/0/9" && e.value < 15), JSON.stringify(battery.evidence));
    const hw = of("dev-9");
    assert.equal(hw.cause, "hardware-fault");
    assert.equal(hw.truckRoll, true);
    assert.ok(hw.evidence.some((e: Any) => e.path.startsWith("/3/0/11") && e.value === 8), JSON.stringify(hw.evidence));
    assert.equal(of("dev-1").cause, "healthy");
    assert.deepEqual(errors(), []);
  });

  it("start the campaign: wave 1's crashing revision fails its health gate, the campaign halts and rolls back, and nobody else is touched", async () => {
    // The canary is fixed by the salt: 1 % of 300 is 3 devices, one of them rev-B (a precondition, computed).
    const { order, sizes } = plan(ids.map((id) => ({ id })), SALT, [1, 10, 100], false);
    const wave1 = order.slice(0, sizes[0]).map((i) => ids[i]);
    assert.equal(wave1.length, 3);
    const crashing = wave1.filter((ep) => hardwareOf(ep) === "rev-B");
    assert.equal(crashing.length, 1, `wave 1 ${wave1.join(", ")} holds one rev-B device`);

    const events = () => debugOf("fleet-events-debug").map((d) => d.msg);
    await press("fleet-start");
    await waitFor(() => events().some((e) => e.event === "rolled-back") || errors().length > 0, "the campaign to roll back", 60_000, () => ({ events: events().map((e) => e.event), errors: errors() }));
    assert.deepEqual(errors(), [], "no node refused a message");
    assert.deepEqual(events().map((e) => e.event), ["wave-started", "halted", "rolling-back", "rolled-back"]);
    const [started_, halted, , rolledBack] = events();
    assert.equal(started_.wave, 1);
    assert.equal(started_.stats.targeted, 3);
    assert.equal(halted.wave, 1);
    assert.equal(halted.stats.unhealthy, 1, JSON.stringify(halted));
    assert.equal(halted.stats.succeeded + halted.stats.unhealthy, 3, "every wave-1 update itself succeeded");
    assert.match(halted.reason, /1 of 3/);
    assert.deepEqual(rolledBack.rollback, { targeted: 3, rolledBack: 3, failed: 0, timedOut: 0, pending: 0 });
    // The health gate named the rev-B device.
    assert.ok((status.get("fleet-judge") ?? []).some((s) => s.text === `${crashing[0]} unhealthy`), JSON.stringify(status.get("fleet-judge")));

    const fleet = await list();
    const byEp = new Map(fleet.map((d) => [d.endpoint, d]));
    for (const ep of wave1) {
      const d = byEp.get(ep);
      assert.equal(d.firmwareVersion, "1.0.0", `${ep} was rolled back`);
      assert.equal(d.fwResult, 1, `${ep} was updated (twice: 2.0.0, then 1.0.0)`);
    }
    assert.ok(byEp.get(crashing[0]).reboots >= 3, `${crashing[0]} looped on 2.0.0: ${byEp.get(crashing[0]).reboots} reboots`);
    const touched = fleet.filter((d) => !wave1.includes(d.endpoint) && (d.firmwareVersion !== "1.0.0" || d.fwState !== 0 || d.fwResult !== 0 || d.reboots !== 0));
    assert.deepEqual(touched.map((d) => d.endpoint), [], "the devices outside wave 1 were never sent an update");
    assert.deepEqual(logProblems(nr!.log()), [], nr!.log().slice(-3000));
  });
});
