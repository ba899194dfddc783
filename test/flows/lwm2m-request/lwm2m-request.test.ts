/**
 * lwm2m-request (issue 11, priority 2) against simulated devices (lwm2m-device-sim) and against libcoap's
 * coap-server-notls, seeded by PUT with the spec's /3/0 TLV: read, write, execute, observe, cancel-observe,
 * discover, write-attributes and read-composite; errors to Catch (unknown endpoint, 4.04, a device that never
 * answers, a queue-mode device that stays asleep) and a queue-mode device's request held until its Update.
 */
import { afterEach, before, beforeEach, describe, it } from "mocha";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import lwm2mServer = require("../../../nodes/lwm2m-server/lwm2m-server");
import lwm2mIn = require("../../../nodes/lwm2m-in/lwm2m-in");
import lwm2mRequest = require("../../../nodes/lwm2m-request/lwm2m-request");
import deviceSim = require("../../../nodes/lwm2m-device-sim/lwm2m-device-sim");
import { decode } from "../../../nodes/shared/lwm2m";
import { serverOf } from "../../../nodes/shared/lwm2m/registry";
import { capture, catchAndComplete, core, getNode, init, load, unload, waitFor, type Msg } from "../../helpers/node-red";
import { freePort } from "../../helpers/ports";
import { coapClient, coapServer } from "../lwm2m-server/libcoap";

const NODES = [lwm2mServer, lwm2mIn, lwm2mRequest, deviceSim, core.catch, core.complete];

/** The spec's /3/0 (LwM2M 1.0 §6.4.3.1), as test/fixtures/lwm2m/vectors.json holds it (from Leshan's tests). */
const VECTORS = JSON.parse(fs.readFileSync(path.join(__dirname, "../../fixtures/lwm2m/vectors.json"), "utf8")).vectors as Msg[];
const DEVICE_3_0 = VECTORS.find((v) => v.id === "spec-device-3-0-tlv-resources") as Msg;

function flow(dir: string, port: number, sim: Msg | undefined, req: Msg = {}, srv: Msg = {}): Msg[] {
  return [
    { id: "tab", type: "tab", label: "lwm2m" },
    { id: "srv", type: "lwm2m-server", port: String(port), bind: "127.0.0.1", dir, ...srv },
    { id: "in", z: "tab", type: "lwm2m-in", server: "srv", wires: [["events"]] },
    { id: "events", z: "tab", type: "helper", wires: [] },
    ...(sim ? [{ id: "sim", z: "tab", type: "lwm2m-device-sim", serverHost: "127.0.0.1", serverPort: String(port), count: "2", prefix: "dev-", profiles: "healthy,poor-signal", speed: "60", lifetime: "60", downloadSeconds: "0.2", updateSeconds: "0.2", ...sim, wires: [["simout"]] }] : []),
    { id: "simout", z: "tab", type: "helper", wires: [] },
    { id: "req", z: "tab", type: "lwm2m-request", server: "srv", op: "read", path: "/3/0", endpoint: "dev-1", ...req, wires: [["out"]] },
    { id: "out", z: "tab", type: "helper", wires: [] },
    ...catchAndComplete("req"),
  ];
}

describe("lwm2m-request", function () {
  this.timeout(30_000);
  let dir: string;
  let child: ChildProcess | undefined;
  before(() => init());
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-lwm2m-request-"));
  });
  afterEach(async () => {
    await unload();
    child?.kill();
    child = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(sim: Msg | undefined, req: Msg = {}, srv: Msg = {}) {
    const port = await freePort();
    await load(NODES, flow(dir, port, sim, req, srv));
    await serverOf("srv")!.listeningOn();
    const seen = capture(["out", "req-caught", "req-done", "events", "simout"]);
    if (sim) await waitFor(() => serverOf("srv")!.registrations().length === Number(sim.count ?? 2), "the simulated devices to register");
    return { port, seen };
  }
  const ask = async (seen: Msg, m: Msg): Promise<Msg> => {
    const id = `m${Math.random()}`;
    getNode("req").receive({ ...m, _msgid: id });
    await waitFor(() => seen.out.some((x: Msg) => x._msgid === id) || seen["req-caught"].some((x: Msg) => x._msgid === id), `an answer to ${JSON.stringify(m)}`);
    const caught = seen["req-caught"].find((x: Msg) => x._msgid === id);
    if (caught) return { error: caught.error.message };
    return seen.out.filter((x: Msg) => x._msgid === id)[0];
  };

  it("reads, writes, executes, discovers, writes attributes and reads a composite on a simulated device", async () => {
    const { seen } = await start({});
    const dev = await ask(seen, {});
    assert.equal(dev.code, "2.05");
    assert.equal(dev.payload["0"], "m2mflow");
    assert.equal(dev.payload["3"], "1.0.0");
    assert.equal(typeof dev.payload["9"], "number");
    assert.match(dev.payload["13"], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    // The same object in SenML JSON and SenML CBOR (Accept, by msg) decodes to the same values as TLV.
    const tlv4 = await ask(seen, { path: "/4/0" });
    assert.equal(tlv4.contentFormat, 11542);
    for (const accept of [110, 112]) {
      const res = await serverOf("srv")!.request("dev-1", { method: "GET", path: "/4/0", accept });
      assert.equal(res.contentFormat, accept);
      assert.deepEqual(decode(res.payload, accept, "/4/0"), tlv4.payload, `content format ${accept}`);
    }
    const rsrp = await ask(seen, { endpoint: "dev-2", path: "/4/0/2" });
    assert.ok(rsrp.payload < -115, `poor-signal RSRP ${rsrp.payload}`);

    const write = await ask(seen, { op: "write", path: "/1/0/1", payload: 120 });
    assert.equal(write.code, "2.04");
    const disc = await ask(seen, { op: "discover", path: "/3/0" });
    assert.equal(disc.code, "2.05");
    assert.ok(disc.payload.some((l: Msg) => l.uri === "/3/0/9"), JSON.stringify(disc.payload));
    const attrs = await ask(seen, { op: "write-attributes", path: "/3/0/9", payload: { pmin: 10, pmax: 60 } });
    assert.equal(attrs.code, "2.04");
    const composite = await ask(seen, { op: "read-composite", path: "/", payload: ["/3/0/9", "/4/0/2"] });
    assert.equal(composite.code, "2.05", JSON.stringify(composite));
    assert.equal(typeof composite.payload["3"]["0"]["9"], "number");
    assert.equal(typeof composite.payload["4"]["0"]["2"], "number");

    const reboot = await ask(seen, { op: "execute", path: "/3/0/4" });
    assert.equal(reboot.code, "2.04");
    await waitFor(() => seen.events.some((m: Msg) => m.payload.event === "restarted" && m.payload.endpoint === "dev-1"), "the reboot as a restart");
    seen.dispose();
  });

  it("observes the firmware state: each notification is a further message; cancel-observe stops them", async () => {
    const { seen } = await start({ downloadSeconds: "0.3" });
    const first = await ask(seen, { op: "observe", path: "/5/0/3" });
    assert.equal(first.payload, 0);
    await ask(seen, { op: "write", path: "/5/0/1", payload: "coap://fw.example/pkg?version=1.1.0" });
    await waitFor(() => seen.out.filter((m: Msg) => m.observe).map((m: Msg) => m.payload).includes(2), "notifications Downloading then Downloaded");
    assert.deepEqual(seen.out.filter((m: Msg) => m.observe).map((m: Msg) => m.payload), [1, 2]);
    // lwm2m-in hears them too.
    assert.ok(seen.events.some((m: Msg) => m.payload.event === "notify" && m.payload.path === "/5/0/3" && m.payload.value === 2));
    const cancel = await ask(seen, { op: "cancel-observe", path: "/5/0/3" });
    assert.deepEqual(cancel.payload, { cancelled: 1 });
    seen.dispose();
  });

  it("errors reach Catch with a clear message: unknown endpoint, 4.04, a device that never answers, a queue-mode device asleep", async () => {
    const { port, seen } = await start({}, { timeoutSeconds: "1", queueWaitSeconds: "0.5" }, { awakeSeconds: "1" });
    assert.match((await ask(seen, { endpoint: "nobody" })).error, /unknown endpoint "nobody"/);
    assert.match((await ask(seen, { path: "/9/0" })).error, /read \/9\/0 on dev-1: the device answered 4\.04 Not Found/);
    assert.match((await ask(seen, { op: "fly" })).error, /msg\.op "fly" is not an operation/);
    // coap-client-notls registers and exits: nothing answers at its address any more.
    await coapClient("post", `coap://127.0.0.1:${port}/rd?ep=gone&lt=60`, { payload: "</3/0>", contentFormat: 40 });
    assert.match((await ask(seen, { endpoint: "gone" })).error, /gone did not answer GET \/3\/0 within 1 s/);
    await coapClient("post", `coap://127.0.0.1:${port}/rd?ep=sleeper&lt=60&b=UQ`, { payload: "</3/0>", contentFormat: 40 });
    await new Promise((r) => setTimeout(r, 1100));
    assert.match((await ask(seen, { endpoint: "sleeper" })).error, /sleeper is in queue mode and did not wake up/);
    assert.equal(seen["req-done"].length, 0, "no failed request completes");
    seen.dispose();
  });

  it("a queue-mode device: the request waits for its next Update, then is answered", async () => {
    const { seen } = await start({ count: "1", binding: "UQ", lifetime: "3" }, { queueWaitSeconds: "10" }, { awakeSeconds: "1" });
    const reg = serverOf("srv")!.registration("dev-1")!;
    assert.equal(reg.queue, true);
    await new Promise((r) => setTimeout(r, 1100)); // asleep now; its Update comes 1.5 s after it registered
    const got = await ask(seen, { path: "/3/0/9" });
    assert.equal(got.code, "2.05", JSON.stringify(got));
    assert.ok(seen.events.some((m: Msg) => m.payload.event === "updated"), "answered after an Update");
    seen.dispose();
  });

  it("interop: coap-server-notls seeded by PUT with the spec's /3/0 TLV answers a read, decoded as the spec says", async () => {
    const devPort = await freePort();
    const { port, seen } = await start(undefined, { endpoint: "libcoap-dev" });
    // The device registers from its own port (as behind NAT), then serves on it.
    const reg = await coapClient("post", `coap://127.0.0.1:${port}/rd?ep=libcoap-dev&lt=300&lwm2m=1.0`, { payload: "</3/0>", contentFormat: 40, bindPort: devPort });
    assert.equal(reg.code, "2.01");
    child = await coapServer(devPort);
    const file = path.join(dir, "device.tlv");
    fs.writeFileSync(file, Buffer.from(DEVICE_3_0.hex, "hex"));
    const put = await coapClient("put", `coap://127.0.0.1:${devPort}/3/0`, { payloadFile: file, contentFormat: 11542 });
    assert.ok(put.code.startsWith("2."), put.log.slice(-1500));
    const read = await ask(seen, {});
    assert.equal(read.code, "2.05", JSON.stringify(read));
    assert.equal(read.contentFormat, 11542);
    assert.deepEqual(read.payload, DEVICE_3_0.value);
    seen.dispose();
  });
});
