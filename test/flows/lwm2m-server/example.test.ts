/**
 * examples/lwm2m-in.json as it ships (only its port, 0 here, and its state directory changed): coap-client-notls
 * registers as its comment says, the debug node gets `registered`, and the inject button's list names the device.
 */
import { afterEach, before, describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import lwm2mServer = require("../../../nodes/lwm2m-server/lwm2m-server");
import lwm2mIn = require("../../../nodes/lwm2m-in/lwm2m-in");
import { serverOf } from "../../../nodes/shared/lwm2m/registry";
import { capture, getNode, init, load, unload, waitFor, type Msg } from "../../helpers/node-red";
import { coapClient } from "./libcoap";

/* eslint-disable @typescript-eslint/no-require-imports */
const CORE = ["common/20-inject.js", "common/21-debug.js", "common/90-comment.js"].map((f) => require(`@node-red/nodes/core/${f}`));
/* eslint-enable @typescript-eslint/no-require-imports */

describe("examples/lwm2m-in.json", () => {
  let dir = "";
  before(() => init());
  afterEach(async () => {
    await unload();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a device registered by coap-client-notls reaches the debug node, and the list button names it", async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-lwm2m-example-"));
    const flow = (JSON.parse(fs.readFileSync(path.join(__dirname, "../../../examples/lwm2m-in.json"), "utf8")) as Msg[]).map((n) =>
      n.type === "lwm2m-server" ? { ...n, port: "0", dir } : n,
    );
    assert.ok(flow.some((n) => n.type === "comment"));
    await load([lwm2mServer, lwm2mIn, ...CORE], flow);
    const seen = capture(["lw-in-debug"]);
    const { port } = await serverOf("lw-in-server")!.listeningOn();
    const r = await coapClient("post", `coap://127.0.0.1:${port}/rd?ep=demo-1&lt=60&lwm2m=1.1&b=U`, { payload: "</1/0>,</3/0>", contentFormat: 40 });
    assert.equal(r.code, "2.01");
    await waitFor(() => seen["lw-in-debug"].some((m) => m.topic === "registered"), "registered at the debug node");
    getNode("lw-in-list").receive({});
    await waitFor(() => seen["lw-in-debug"].some((m) => m.topic === "list"), "the list");
    const list = seen["lw-in-debug"].find((m) => m.topic === "list") as Msg;
    assert.deepEqual(list.payload.endpoints.map((e: Msg) => e.endpoint), ["demo-1"]);
    seen.dispose();
  });

  it("examples/lwm2m-server.json: a device that registers twice reaches the alarm as a restart", async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-lwm2m-example-"));
    const flow = (JSON.parse(fs.readFileSync(path.join(__dirname, "../../../examples/lwm2m-server.json"), "utf8")) as Msg[]).map((n) =>
      n.type === "lwm2m-server" ? { ...n, port: "0", dir } : n,
    );
    await load([lwm2mServer, lwm2mIn, ...CORE], flow);
    const seen = capture(["lw-srv-debug"]);
    const { port } = await serverOf("lw-srv-server")!.listeningOn();
    for (let i = 0; i < 2; i++) await coapClient("post", `coap://127.0.0.1:${port}/rd?ep=demo-2&lt=30`, { payload: "</3/0>", contentFormat: 40 });
    await waitFor(() => seen["lw-srv-debug"].some((m) => m.topic === "restarted"), "the restart at the alarm");
    assert.deepEqual(seen["lw-srv-debug"].map((m) => m.topic), ["restarted"], "registered is filtered out");
    seen.dispose();
  });
});
