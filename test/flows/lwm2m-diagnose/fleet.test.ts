/**
 * lwm2m-diagnose against a simulated fleet (issue 11, Tests: "each diagnosis cause from a simulated device of that
 * profile, with its evidence"): lwm2m-server on a free port of 127.0.0.1, lwm2m-device-sim with one device per
 * profile at 36,000x simulated time, and lwm2m-diagnose with `server` set, fed `msg.endpoint` alone (it reads
 * /3/0, /4/0, /5/0 and /7/0 itself, and hears the registrations from the server).
 *
 * The thresholds are issue 11's default rules (RSRP below -115 dBm; battery below 15 % or empty within 7 days;
 * memory exhausted within 7 days; Error Code 8 "Peripheral malfunction", OMA registry 3.xml; restarts after a
 * firmware change). Profiles that need a history (memory leak, dying battery, firmware bug) are read again as the
 * simulated time runs on; the firmware bug is an update to the fleet's bug version through lwm2m-request.
 */
import { after, before, describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import lwm2mServer = require("../../../nodes/lwm2m-server/lwm2m-server");
import lwm2mRequest = require("../../../nodes/lwm2m-request/lwm2m-request");
import deviceSim = require("../../../nodes/lwm2m-device-sim/lwm2m-device-sim");
import diagnose = require("../../../nodes/lwm2m-diagnose/lwm2m-diagnose");
import { readings } from "../../../nodes/lwm2m-device-sim/profiles";
import { serverOf } from "../../../nodes/shared/lwm2m/registry";
import { capture, catchAndComplete, core, getNode, init, load, redeploy, sleep, unload, waitFor, type Msg } from "../../helpers/node-red";

const NODES = [lwm2mServer, lwm2mRequest, deviceSim, diagnose as never, core.catch, core.complete];
const PROFILES = ["healthy", "poor-signal", "dying-battery", "memory-leak", "firmware-bug", "hardware-fault"] as const;
const ep = (p: (typeof PROFILES)[number]) => `fleet-${PROFILES.indexOf(p) + 1}`;

describe("lwm2m-diagnose on a simulated fleet, one device per profile", function () {
  this.timeout(30_000);
  let dir = "";
  let seen: ReturnType<typeof capture>;
  let n = 0;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-lwm2m-fleet-"));
    init({ userDir: dir });
    const base: Msg[] = [
      { id: "tab", type: "tab", label: "fleet" },
      { id: "srv", type: "lwm2m-server", port: "0", bind: "127.0.0.1", dir },
      { id: "dx", z: "tab", type: "lwm2m-diagnose", server: "srv", stateDir: path.join(dir, "dx"), wires: [["out"]] },
      { id: "out", z: "tab", type: "helper", wires: [] },
      { id: "req", z: "tab", type: "lwm2m-request", server: "srv", op: "firmware-update", path: "/5/0", stateTimeoutSeconds: "5", timeoutSeconds: "2", wires: [["fw"]] },
      { id: "fw", z: "tab", type: "helper", wires: [] },
      ...catchAndComplete("dx"),
    ];
    await load(NODES, base);
    // port 0: the devices are told the port the server got, in a second deploy that leaves the server running
    const { port } = await serverOf("srv")!.listeningOn();
    assert.ok(port > 0);
    await redeploy(
      [
        ...base,
        {
          id: "sim",
          z: "tab",
          type: "lwm2m-device-sim",
          serverPort: String(port),
          count: String(PROFILES.length),
          prefix: "fleet-",
          profiles: PROFILES.join(","),
          speed: "36000", // 10 simulated hours a second
          lifetime: "60",
          firmwareVersion: "1.0.0",
          bugVersion: "2.0.0-rc1",
          rebootEveryMinutes: "60",
          downloadSeconds: "0",
          updateSeconds: "0",
          wires: [[]],
        },
      ],
      "nodes",
    );
    assert.equal((await serverOf("srv")!.listeningOn()).port, port, "the server kept its port");
    await waitFor(() => serverOf("srv")!.registrations().length === PROFILES.length, "every device to register");
    seen = capture(["out", "fw", "dx-caught", "req-caught"]);
  });

  after(async () => {
    seen?.dispose();
    await unload();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Diagnose `endpoint` from msg.endpoint alone; the diagnosis. */
  async function ask(endpoint: string): Promise<Msg> {
    const id = `dx-${++n}`;
    getNode("dx").receive({ endpoint, _msgid: id });
    await waitFor(() => seen.out.some((m) => m._msgid === id) || seen["dx-caught"].some((m) => m._msgid === id), `the diagnosis of ${endpoint}`);
    const caught = seen["dx-caught"].find((m) => m._msgid === id);
    assert.equal(caught, undefined, caught?.error?.message);
    return seen.out.find((m) => m._msgid === id)!.payload;
  }

  /** Ask again every `everyMs` until the cause is `cause` or `times` answers came; the last diagnosis. */
  async function askUntil(endpoint: string, cause: string, times: number, everyMs: number): Promise<Msg> {
    let d = await ask(endpoint);
    for (let i = 1; i < times && d.cause !== cause; i++) {
      await sleep(everyMs);
      d = await ask(endpoint);
    }
    return d;
  }

  const paths = (d: Msg) => d.evidence.map((e: Msg) => e.path);
  const why = (d: Msg) => JSON.stringify({ cause: d.cause, evidence: d.evidence, checks: d.checks });

  it("healthy: the simulated healthy battery does not drift", () => {
    // the diagnosis times trends by the device's Current Time (/3/0/13), so a drift would read at its simulated rate;
    // the profile keeps the battery flat all the same, so that "healthy" is healthy at any speed
    for (const seed of [1, 2, 3]) assert.equal(readings("healthy", 0, 0, seed).battery, readings("healthy", 1000, 1000, seed).battery);
  });

  /** The rate in a check's detail ("level 30 %, status 0, -9.6 %/day"), or undefined. */
  const rate = (d: Msg, stepName: string, unit: string) => {
    const m = new RegExp(`(-?[\\d.]+) ${unit}/day`).exec(d.checks.find((c: Msg) => c.step === stepName)?.detail ?? "");
    return m ? Number(m[1]) : undefined;
  };

  it("healthy: several reads, no evidence against it, no truck", async () => {
    let d = await ask(ep("healthy"));
    for (let i = 0; i < 3; i++) {
      await sleep(250);
      d = await ask(ep("healthy"));
    }
    assert.equal(d.cause, "healthy", why(d));
    assert.equal(d.endpoint, ep("healthy"));
    assert.equal(d.truckRoll, false);
  });

  it("poor signal: RSRP /4/0/2 and SINR /4/0/11 below the LTE floors", async () => {
    const d = await ask(ep("poor-signal"));
    assert.equal(d.cause, "poor-signal", why(d));
    const rsrp = d.evidence.find((e: Msg) => e.path === "/4/0/2");
    assert.ok(rsrp && rsrp.value < -115, why(d));
    assert.ok(paths(d).includes("/4/0/11"), why(d));
    assert.equal(d.truckRoll, false);
  });

  it("hardware fault: Error Code 8 (Peripheral malfunction) at /3/0/11, a truck roll", async () => {
    const d = await ask(ep("hardware-fault"));
    assert.equal(d.cause, "hardware-fault", why(d));
    assert.deepEqual(
      d.evidence.filter((e: Msg) => e.path === "/3/0/11").map((e: Msg) => e.value),
      [8],
      why(d),
    );
    assert.equal(d.truckRoll, true);
  });

  it("dying battery: Battery Level /3/0/9 falling over a few reads", async () => {
    const d = await askUntil(ep("dying-battery"), "dying-battery", 12, 250);
    assert.equal(d.cause, "dying-battery", why(d));
    assert.ok(paths(d).some((p: string) => p === "/3/0/9" || p === "/3/0/20"), why(d));
    // the profile drains 0.4 %/h = 9.6 %/day of simulated time: timed by the device's Current Time the trend finds
    // that rate (integer levels: a few points of noise), not 36,000 times it; its days left follow from it
    const perDay = rate(d, "battery", "%");
    assert.ok(perDay !== undefined && perDay < -4 && perDay > -20, why(d));
    const projected = d.evidence.find((e: Msg) => e.path === "/3/0/9" && /empty in/.test(e.rule));
    if (projected) {
      const days = Number(/empty in ([\d.]+) days/.exec(projected.rule)![1]);
      assert.ok(Math.abs(days - projected.value / -perDay) < 0.2 && days > 0.5, why(d));
    }
    assert.equal(d.truckRoll, false);
  });

  it("memory leak: Memory Free /3/0/10 falling between reboots", async () => {
    const d = await askUntil(ep("memory-leak"), "memory-leak", 12, 250);
    assert.equal(d.cause, "memory-leak", why(d));
    const mem = d.evidence.find((e: Msg) => e.path === "/3/0/10");
    assert.ok(mem, why(d));
    assert.match(mem.rule, /Memory Free falling/);
    // the profile leaks 4 kB/h = 96 kB/day of simulated time; the wall clock would have made it 36,000 times that
    const perDay = Number(/falling ([\d.]+) kB\/day/.exec(mem.rule)![1]);
    assert.ok(perDay > 48 && perDay < 192, why(d));
    const days = Number(/exhausted in ([\d.]+) days/.exec(mem.rule)![1]);
    assert.ok(days > 0.5 && days <= 7, why(d));
    assert.equal(d.truckRoll, false);
  });

  it("firmware bug: restarts that began after the update to the bug version (/3/0/3)", async () => {
    const endpoint = ep("firmware-bug");
    const first = await ask(endpoint); // the version before: 1.0.0
    assert.equal(first.cause, "healthy", why(first));
    getNode("req").receive({ endpoint, payload: { uri: "coap://fw.example/pkg?version=2.0.0-rc1", version: "2.0.0-rc1" } });
    await waitFor(() => seen.fw.some((m) => m.topic === "result") || seen["req-caught"].length > 0, "the update's result");
    assert.equal(seen["req-caught"].length, 0, seen["req-caught"][0]?.error?.message);
    assert.equal(seen.fw.find((m) => m.topic === "result")!.payload.status, "success");
    await ask(endpoint); // sees 2.0.0-rc1: the version changed now
    const d = await askUntil(endpoint, "firmware-bug", 12, 250);
    assert.equal(d.cause, "firmware-bug", why(d));
    const fw = d.evidence.find((e: Msg) => e.path === "/3/0/3");
    assert.ok(fw, why(d));
    assert.equal(fw.value, "2.0.0-rc1");
    assert.match(fw.rule, /since the firmware changed from 1\.0\.0/);
    assert.equal(d.truckRoll, false);
  });
});
