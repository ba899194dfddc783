/**
 * examples/lwm2m-request.json and examples/lwm2m-device-sim.json as they ship (only the server's port, shared with
 * the simulator, and its state directory changed): each button does what the comment says.
 */
import { afterEach, before, describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import lwm2mServer = require("../../../nodes/lwm2m-server/lwm2m-server");
import lwm2mIn = require("../../../nodes/lwm2m-in/lwm2m-in");
import lwm2mRequest = require("../../../nodes/lwm2m-request/lwm2m-request");
import deviceSim = require("../../../nodes/lwm2m-device-sim/lwm2m-device-sim");
import { serverOf } from "../../../nodes/shared/lwm2m/registry";
import { capture, core, getNode, init, load, unload, waitFor, type Msg } from "../../helpers/node-red";
import { freePort } from "../../helpers/ports";

/* eslint-disable @typescript-eslint/no-require-imports */
const CORE = ["common/20-inject.js", "common/21-debug.js", "common/90-comment.js"].map((f) => require(`@node-red/nodes/core/${f}`));
/* eslint-enable @typescript-eslint/no-require-imports */
const NODES = [lwm2mServer, lwm2mIn, lwm2mRequest, deviceSim, core.catch, ...CORE];

async function loadExample(file: string, dir: string, serverId: string, devices: number): Promise<void> {
  const port = await freePort();
  const flow = (JSON.parse(fs.readFileSync(path.join(__dirname, "../../../examples", file), "utf8")) as Msg[]).map((n) => {
    if (n.type === "lwm2m-server") return { ...n, port: String(port), dir };
    if (n.type === "lwm2m-device-sim") return { ...n, serverPort: String(port), downloadSeconds: "0.2", updateSeconds: "0.2" };
    return n;
  });
  assert.ok(flow.some((n) => n.type === "comment"), "the example explains itself");
  await load(NODES, flow);
  await serverOf(serverId)!.listeningOn();
  await waitFor(() => serverOf(serverId)!.registrations().length === devices, "the simulated devices to register");
}

const press = (id: string) => getNode(id).receive({});

describe("the LwM2M example flows", function () {
  this.timeout(30_000);
  let dir = "";
  before(() => init());
  afterEach(async () => {
    await unload();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("examples/lwm2m-request.json: read, observe, a firmware update with its result, and an unknown device at Catch", async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-lwm2m-ex-"));
    await loadExample("lwm2m-request.json", dir, "lw-rq-server", 3);
    const seen = capture(["lw-rq-debug", "lw-rq-fw-debug", "lw-rq-errors"]);
    press("lw-rq-read");
    await waitFor(() => seen["lw-rq-debug"].length === 1, "the read");
    assert.equal(seen["lw-rq-debug"][0].payload["0"], "m2mflow");
    press("lw-rq-observe");
    await waitFor(() => seen["lw-rq-debug"].length === 2, "the observation's first value");
    assert.equal(typeof seen["lw-rq-debug"][1].payload, "number");
    press("lw-rq-fw");
    await waitFor(() => seen["lw-rq-fw-debug"].some((m) => m.topic === "result"), "the firmware result");
    const result = seen["lw-rq-fw-debug"].find((m) => m.topic === "result") as Msg;
    assert.equal(result.payload.status, "success");
    assert.equal(result.payload.version, "1.1.0");
    press("lw-rq-unknown");
    await waitFor(() => seen["lw-rq-errors"].length === 1, "the error at Catch");
    assert.match(seen["lw-rq-errors"][0].error.message, /unknown endpoint "no-such-device"/);
    seen.dispose();
  });

  it("examples/lwm2m-device-sim.json: list, a poor signal, breaking a device live, a reboot seen as a restart", async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-lwm2m-ex-"));
    await loadExample("lwm2m-device-sim.json", dir, "lw-sim-server", 4);
    const seen = capture(["lw-sim-debug", "lw-sim-read-debug", "lw-sim-events-debug", "lw-sim-errors"]);
    press("lw-sim-list");
    await waitFor(() => seen["lw-sim-debug"].length === 1, "the list");
    assert.deepEqual(seen["lw-sim-debug"][0].payload.map((d: Msg) => d.profile), ["healthy", "poor-signal", "dying-battery", "memory-leak"]);
    press("lw-sim-signal");
    await waitFor(() => seen["lw-sim-read-debug"].length === 1, "the signal read");
    assert.ok(seen["lw-sim-read-debug"][0].payload["2"] < -115, `RSRP ${seen["lw-sim-read-debug"][0].payload["2"]}`);
    press("lw-sim-break");
    await waitFor(() => seen["lw-sim-debug"].length === 2, "the profile change");
    assert.deepEqual(seen["lw-sim-debug"][1].payload, { profile: "hardware-fault", devices: ["sim-1"] });
    press("lw-sim-reboot");
    await waitFor(() => seen["lw-sim-events-debug"].some((m) => m.payload.endpoint === "sim-4"), "the restart");
    assert.equal(seen["lw-sim-errors"].length, 0);
    seen.dispose();
  });
});
