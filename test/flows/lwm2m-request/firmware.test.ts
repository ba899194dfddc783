/**
 * lwm2m-request firmware-update (issue 11, priority 4) against lwm2m-device-sim: the whole Object 5 procedure
 * (OMA LwM2M 1.1 Core, E.6; Update Result codes from the OMA registry's 5.xml), progress messages, then one result
 * `{ deviceId, status, result, resultText, version, retryable }`: success, and each class of failure (retryable 4,
 * permanent 6, 8 checked against the version, cancelled 10, deferred 11, a State stuck at Downloading), and the
 * firmware-bug profile's reboot loop after an update to its buggy version.
 */
import { afterEach, before, beforeEach, describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import lwm2mServer = require("../../../nodes/lwm2m-server/lwm2m-server");
import lwm2mIn = require("../../../nodes/lwm2m-in/lwm2m-in");
import lwm2mRequest = require("../../../nodes/lwm2m-request/lwm2m-request");
import deviceSim = require("../../../nodes/lwm2m-device-sim/lwm2m-device-sim");
import { serverOf } from "../../../nodes/shared/lwm2m/registry";
import { capture, catchAndComplete, core, getNode, init, load, unload, waitFor, type Msg } from "../../helpers/node-red";
import { freePort } from "../../helpers/ports";

const NODES = [lwm2mServer, lwm2mIn, lwm2mRequest, deviceSim, core.catch, core.complete];

describe("lwm2m-request firmware-update", function () {
  this.timeout(30_000);
  let dir: string;
  let seen: ReturnType<typeof capture>;
  before(() => init());
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-lwm2m-fw-"));
    const port = await freePort();
    await load(NODES, [
      { id: "tab", type: "tab", label: "fw" },
      { id: "srv", type: "lwm2m-server", port: String(port), bind: "127.0.0.1", dir },
      { id: "in", z: "tab", type: "lwm2m-in", server: "srv", wires: [["events"]] },
      { id: "events", z: "tab", type: "helper", wires: [] },
      { id: "sim", z: "tab", type: "lwm2m-device-sim", serverPort: String(port), count: "2", prefix: "fw-", profiles: "healthy,firmware-bug", speed: "600", lifetime: "60", firmwareVersion: "1.0.0", bugVersion: "2.0.0-rc1", rebootEveryMinutes: "3", downloadSeconds: "0.2", updateSeconds: "0.2", wires: [[]] },
      { id: "req", z: "tab", type: "lwm2m-request", server: "srv", op: "firmware-update", path: "/5/0", endpoint: "fw-1", stateTimeoutSeconds: "2", timeoutSeconds: "2", wires: [["out"]] },
      { id: "out", z: "tab", type: "helper", wires: [] },
      ...catchAndComplete("req"),
    ]);
    await serverOf("srv")!.listeningOn();
    await waitFor(() => serverOf("srv")!.registrations().length === 2, "the devices to register");
    seen = capture(["out", "req-caught", "req-done", "events"]);
  });
  afterEach(async () => {
    seen.dispose();
    await unload();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function update(payload: Msg, endpoint = "fw-1"): Promise<{ result: Msg; progress: Msg[] }> {
    const id = `fw${Math.random()}`;
    getNode("req").receive({ payload, endpoint, _msgid: id });
    await waitFor(() => seen.out.some((m) => m._msgid === id && m.topic === "result") || seen["req-caught"].some((m) => m._msgid === id), "the result");
    const caught = seen["req-caught"].find((m) => m._msgid === id);
    assert.equal(caught, undefined, caught?.error?.message);
    assert.ok(seen["req-done"].some((m) => m._msgid === id), "Complete fires once the result is out");
    const mine = seen.out.filter((m) => m._msgid === id);
    return { result: mine.find((m) => m.topic === "result") as Msg, progress: mine.filter((m) => m.topic === "progress") };
  }

  it("succeeds: progress through each stage, then the device reports the target version", async () => {
    const { result, progress } = await update({ uri: "coap://fw.example/pkg?version=1.1.0", version: "1.1.0" });
    assert.deepEqual(result.payload, { deviceId: "fw-1", status: "success", result: 1, resultText: "Firmware updated successfully", version: "1.1.0", retryable: false });
    assert.deepEqual(progress.map((m) => m.payload.stage), ["writing-uri", "downloading", "downloaded", "updating", "re-registered", "checking-version"]);
    assert.ok(seen.events.some((m) => m.payload.event === "restarted" && m.payload.endpoint === "fw-1"), "the device came back after Update");
  });

  for (const [code, retryable, text] of [
    [4, true, "Connection lost during downloading process"],
    [6, false, "Unsupported package type"],
    [8, false, "Firmware update failed"],
    [10, false, "Firmware update cancelled"],
    [11, false, "Firmware update deferred"],
  ] as const) {
    it(`fails with Update Result ${code} (${text}), retryable ${retryable}`, async () => {
      const { result } = await update({ uri: `coap://fw.example/pkg?version=1.1.0&result=${code}`, version: "1.1.0" });
      assert.equal(result.payload.status, "failure");
      assert.equal(result.payload.result, code);
      assert.equal(result.payload.resultText, text);
      assert.equal(result.payload.retryable, retryable);
      assert.equal(result.payload.deviceId, "fw-1");
      assert.equal(result.payload.version, "1.0.0", "the old version still runs");
    });
  }

  it("a State stuck at Downloading beyond the state timeout is a (retryable) failure", async () => {
    const { result } = await update({ uri: "coap://fw.example/pkg?version=1.1.0&stuck=downloading", version: "1.1.0" });
    assert.equal(result.payload.status, "failure");
    assert.match(result.payload.resultText, /State stuck at Downloading/);
    assert.equal(result.payload.retryable, true);
  });

  it("a bad payload reaches Catch naming what is wanted", async () => {
    getNode("req").receive({ payload: { version: "1" }, _msgid: "bad" });
    await waitFor(() => seen["req-caught"].length === 1, "the refusal");
    assert.match(seen["req-caught"][0].error.message, /firmware-update needs msg.payload = \{ uri/);
  });

  it("firmware-bug: after the update to its buggy version the device reboots in a loop", async () => {
    const { result } = await update({ uri: "coap://fw.example/pkg?version=2.0.0-rc1", version: "2.0.0-rc1" }, "fw-2");
    assert.equal(result.payload.status, "success");
    const restarts = () => seen.events.filter((m) => m.payload.event === "restarted" && m.payload.endpoint === "fw-2").length;
    await waitFor(() => restarts() >= 4, "a reboot loop (restart after restart)");
  });
});
