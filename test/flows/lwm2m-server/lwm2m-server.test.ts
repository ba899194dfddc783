/**
 * lwm2m-server + lwm2m-in (issue 11, priority 1): the Registration interface tested with peers that are not ours:
 * Debian's coap-client-notls (libcoap) registering, updating and de-registering, and the npm `coap-node` LwM2M 1.0
 * client registering and answering a read from the server's own socket. Registrations survive a full redeploy;
 * a bad server config makes the lwm2m-in node that uses it refuse its input with the real cause.
 *
 * Expected codes: OMA LwM2M 1.1 Transport §6.4 (Register 2.01 Created with Location-Path rd/{id}; Update 2.04,
 * 4.04 for an unknown registration; De-register 2.02).
 */
import { after, afterEach, before, beforeEach, describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import lwm2mServer = require("../../../nodes/lwm2m-server/lwm2m-server");
import lwm2mIn = require("../../../nodes/lwm2m-in/lwm2m-in");
import { decode } from "../../../nodes/shared/lwm2m";
import { serverOf } from "../../../nodes/shared/lwm2m/registry";
import { capture, catchAndComplete, core, getNode, helper, init, load, redeploy, unload, waitFor, type Msg } from "../../helpers/node-red";
import { freePort } from "../../helpers/ports";
import { coapClient } from "./libcoap";

/* eslint-disable @typescript-eslint/no-require-imports */
const SmartObject = require("smartobject");
const CoapNode = require("coap-node");
/* eslint-enable @typescript-eslint/no-require-imports */

const NODES = [lwm2mServer, lwm2mIn, core.catch, core.complete];

function flow(dir: string, port: number, extra: Msg = {}): Msg[] {
  return [
    { id: "tab", type: "tab", label: "lwm2m" },
    { id: "srv", type: "lwm2m-server", port: String(port), bind: "127.0.0.1", dir, ...extra },
    { id: "in", z: "tab", type: "lwm2m-in", server: "srv", wires: [["events"]] },
    { id: "events", z: "tab", type: "helper", wires: [] },
    ...catchAndComplete("in"),
  ];
}

const events = (list: Msg[], name: string) => list.filter((m) => m.payload.event === name);

describe("lwm2m-server with lwm2m-in", function () {
  this.timeout(30_000);
  let dir: string;
  before(() => init());
  before(() => new Promise<void>((r) => helper.startServer(r)));
  after(() => new Promise<void>((r) => helper.stopServer(r)));
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-lwm2m-server-"));
  });
  afterEach(async () => {
    await unload();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("coap-client-notls registers (2.01, Location-Path rd/{id}), updates (2.04), an unknown id gets 4.04, it de-registers (2.02); lwm2m-in tells each", async () => {
    await load(NODES, flow(dir, 0));
    const seen = capture(["events"]);
    const { port } = await serverOf("srv")!.listeningOn();
    const base = `coap://127.0.0.1:${port}`;
    const reg = await coapClient("post", `${base}/rd?ep=libcoap-1&lt=300&lwm2m=1.1&b=U`, { payload: "</1/0>,</3/0>,</5/0>", contentFormat: 40 });
    assert.equal(reg.code, "2.01", reg.log.slice(-2000));
    assert.equal(reg.locationPath.length, 2, `Location-Path rd/{id}: ${reg.locationPath.join("/")}`);
    assert.equal(reg.locationPath[0], "rd");
    await waitFor(() => events(seen.events, "registered").length === 1, "registered");
    const r = events(seen.events, "registered")[0].payload;
    assert.equal(r.endpoint, "libcoap-1");
    assert.equal(r.registration.id, reg.locationPath[1]);
    assert.deepEqual(r.registration.objects, ["/1/0", "/3/0", "/5/0"]);
    assert.equal(r.registration.lifetime, 300);
    assert.equal(r.registration.lwm2m, "1.1");
    assert.ok(!Number.isNaN(Date.parse(r.at)));

    const upd = await coapClient("post", `${base}/rd/${reg.locationPath[1]}?lt=600`);
    assert.equal(upd.code, "2.04");
    await waitFor(() => events(seen.events, "updated").length === 1, "updated");
    assert.equal(events(seen.events, "updated")[0].payload.registration.lifetime, 600);

    const unknown = await coapClient("post", `${base}/rd/no-such-id`);
    assert.equal(unknown.code, "4.04");

    // The endpoint table (what the editor shows) through lwm2m-in's list command.
    getNode("in").receive({ command: "list" });
    await waitFor(() => events(seen.events, "list").length === 1, "the list");
    assert.deepEqual(events(seen.events, "list")[0].payload.endpoints.map((e: Msg) => e.endpoint), ["libcoap-1"]);

    const del = await coapClient("delete", `${base}/rd/${reg.locationPath[1]}`);
    assert.equal(del.code, "2.02");
    await waitFor(() => events(seen.events, "deregistered").length === 1, "deregistered");
    assert.deepEqual(serverOf("srv")!.registrations(), []);
    seen.dispose();
  });

  it("a Register over a live registration is a restart; a registration whose lifetime passes expires", async () => {
    await load(NODES, flow(dir, 0));
    const seen = capture(["events"]);
    const base = `coap://127.0.0.1:${(await serverOf("srv")!.listeningOn()).port}`;
    const first = await coapClient("post", `${base}/rd?ep=rebooter&lt=300`, { payload: "</3/0>", contentFormat: 40 });
    const again = await coapClient("post", `${base}/rd?ep=rebooter&lt=300`, { payload: "</3/0>", contentFormat: 40 });
    assert.equal(again.code, "2.01");
    await waitFor(() => events(seen.events, "restarted").length === 1, "restarted");
    const restarted = events(seen.events, "restarted")[0].payload;
    assert.equal(restarted.previous.id, first.locationPath[1]);
    assert.equal(restarted.registration.id, again.locationPath[1]);
    assert.equal(events(seen.events, "registered").length, 1, "the second Register is a restart, not a new device");
    // The old registration id is gone.
    assert.equal((await coapClient("post", `${base}/rd/${first.locationPath[1]}`)).code, "4.04");

    await coapClient("post", `${base}/rd?ep=short-lived&lt=1`, { payload: "</3/0>", contentFormat: 40 });
    await waitFor(() => events(seen.events, "expired").some((m) => m.payload.endpoint === "short-lived"), "expired", 10_000);
    assert.equal(serverOf("srv")!.registration("short-lived"), undefined);
    seen.dispose();
  });

  it("LwM2M 1.1 Send: coap-client-notls posts SenML JSON to /dp from its registered port; lwm2m-in gives the decoded values", async () => {
    await load(NODES, flow(dir, 0));
    const seen = capture(["events"]);
    const base = `coap://127.0.0.1:${(await serverOf("srv")!.listeningOn()).port}`;
    const devPort = await freePort();
    assert.equal((await coapClient("post", `${base}/rd?ep=sender&lt=300&lwm2m=1.1`, { payload: "</3/0>", contentFormat: 40, bindPort: devPort })).code, "2.01");
    // SenML JSON per LwM2M 1.1 Core §7.4.4 (names are paths, bn + n concatenated).
    const senml = JSON.stringify([{ bn: "/3/0/", n: "9", v: 87 }, { n: "10", v: 120 }]);
    const sent = await coapClient("post", `${base}/dp`, { payload: senml, contentFormat: 110, bindPort: devPort });
    assert.equal(sent.code, "2.04");
    await waitFor(() => events(seen.events, "send").length === 1, "send");
    const e = events(seen.events, "send")[0].payload;
    assert.equal(e.endpoint, "sender");
    assert.equal(e.path, "/dp");
    assert.deepEqual(e.value, { "3": { "0": { "9": 87, "10": 120 } } });
    // A payload the codec refuses still arrives: the raw bytes (a Buffer) and why it could not be decoded.
    assert.equal((await coapClient("post", `${base}/dp`, { payload: "not senml", contentFormat: 110, bindPort: devPort })).code, "2.04");
    await waitFor(() => events(seen.events, "send").length === 2, "the second send");
    const bad = events(seen.events, "send")[1].payload;
    assert.ok(Buffer.isBuffer(bad.value), "the raw payload, as a Buffer");
    assert.equal(bad.value.toString(), "not senml");
    assert.ok(bad.decodeError, "why it could not be decoded");
    // From an address that is not registered: 4.04, no event.
    assert.equal((await coapClient("post", `${base}/dp`, { payload: senml, contentFormat: 110 })).code, "4.04");
    seen.dispose();
  });

  it("coap-node (an LwM2M 1.0 client in JavaScript) registers, and answers a read sent from the server's own port", async () => {
    await load(NODES, flow(dir, 0));
    const seen = capture(["events"]);
    const server = serverOf("srv")!;
    const { port } = await server.listeningOn();
    const so = new SmartObject();
    so.init("temperature", 0, { sensorValue: 21, units: "C" });
    const cnode = new CoapNode("coap-node-1", so, { lifetime: 120 });
    try {
      const rsp = await new Promise<Msg>((resolve, reject) => cnode.register("127.0.0.1", port, (err: Error | null, r: Msg) => (err ? reject(err) : resolve(r))));
      assert.equal(rsp.status, "2.01");
      await waitFor(() => events(seen.events, "registered").length === 1, "registered");
      const objects = events(seen.events, "registered")[0].payload.registration.objects;
      assert.ok(objects.includes("/3/0") && objects.includes("/3303/0"), objects.join(" "));
      // Its Device object, as lwm2m-request reads it (coap-node answers in TLV).
      const res = await server.request("coap-node-1", { method: "GET", path: "/3/0" });
      assert.equal(res.code, "2.05");
      assert.equal(res.contentFormat, 11542);
      const device = decode(res.payload, res.contentFormat as number, "/3/0") as Msg;
      assert.equal(typeof device["0"], "string", JSON.stringify(device));
      assert.ok(device["0"].length > 0, "a manufacturer");
      const model = await server.request("coap-node-1", { method: "GET", path: "/3/0/1", accept: 0 });
      assert.equal(decode(model.payload, model.contentFormat as number, "/3/0/1"), device["1"], "the same model read alone, as text");
    } finally {
      await new Promise<void>((resolve) => cnode.deregister(() => resolve()));
    }
    await waitFor(() => events(seen.events, "deregistered").length === 1, "deregistered");
    seen.dispose();
  });

  it("registrations survive a full redeploy: the device's next Update is answered 2.04", async () => {
    const port = await freePort();
    const f = flow(dir, port);
    await load(NODES, f);
    const base = `coap://127.0.0.1:${port}`;
    const reg = await coapClient("post", `${base}/rd?ep=survivor&lt=300`, { payload: "</3/0>", contentFormat: 40 });
    assert.equal(reg.code, "2.01");
    await redeploy(f, "full");
    assert.equal(serverOf("srv")!.registration("survivor")?.id, reg.locationPath[1]);
    assert.equal((await coapClient("post", `${base}/rd/${reg.locationPath[1]}`)).code, "2.04");
  });

  it("the endpoint table of the editor lists what registered (GET /m2m/lwm2m-server/<id>/endpoints)", async () => {
    await load(NODES, flow(dir, 0));
    const { port } = await serverOf("srv")!.listeningOn();
    await coapClient("post", `coap://127.0.0.1:${port}/rd?ep=table-1&lt=120&b=UQ`, { payload: "</3/0>,</4/0>", contentFormat: 40 });
    const res = await helper.request().get("/m2m/lwm2m-server/srv/endpoints").expect(200);
    assert.equal(res.body.running, true);
    assert.equal(res.body.listening.port, port);
    assert.equal(res.body.endpoints.length, 1);
    const e = res.body.endpoints[0];
    assert.deepEqual([e.endpoint, e.address, e.lifetime, e.queue, e.objects], ["table-1", "127.0.0.1", 120, true, ["/3/0", "/4/0"]]);
    assert.equal(typeof e.lastSeen, "number");
    const none = await helper.request().get("/m2m/lwm2m-server/not-deployed/endpoints").expect(200);
    assert.deepEqual(none.body, { running: false, endpoints: [] });
  });

  it("a bad server config: lwm2m-in refuses its input, naming the field", async () => {
    await load(NODES, flow(dir, 70000));
    const seen = capture(["in-caught", "in-done"]);
    getNode("in").receive({ command: "list" });
    await waitFor(() => seen["in-caught"].length === 1, "the refusal at Catch");
    assert.match(seen["in-caught"][0].error.message, /server.*Port: "70000" must be from 0 to 65535/);
    assert.equal(seen["in-done"].length, 0);
    seen.dispose();
  });
});

