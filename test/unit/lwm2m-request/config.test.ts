/**
 * lwm2m-request's pure parts: what a message may override, write-attributes' query (OMA LwM2M 1.1 Core §5.1.2:
 * pmin, pmax, gt, lt, st, epmin, epmax; a bare name removes the attribute), and the config's formats.
 */
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { attributesQuery, parseRequestConfig, resolveTarget } from "../../../nodes/lwm2m-request/config";

describe("lwm2m-request config", () => {
  const cfg = parseRequestConfig({ server: "srv", op: "read", path: "/3/0", endpoint: "dev-1", format: "senml-cbor" });

  it("msg.op, msg.path and msg.endpoint override the config; the config fills what the message leaves out", () => {
    assert.deepEqual(resolveTarget(cfg, {}), { op: "read", path: "/3/0", endpoint: "dev-1" });
    assert.deepEqual(resolveTarget(cfg, { op: "observe", path: "/3/0/9", endpoint: "dev-2" }), { op: "observe", path: "/3/0/9", endpoint: "dev-2" });
  });

  it("a rollout-stage device command names its device in payload.deviceId: that is the endpoint when nothing else is set", () => {
    const none = parseRequestConfig({ server: "srv", op: "firmware-update", path: "/5/0" });
    const command = { topic: "meter-7", payload: { deviceId: "meter-7", action: "update", version: "2.0.0", uri: "coap://fw/p", campaign: "c1", wave: 1 } };
    assert.equal(resolveTarget(none, command).endpoint, "meter-7");
    assert.equal(resolveTarget(none, { ...command, endpoint: "other" }).endpoint, "other", "msg.endpoint still wins");
    assert.equal(resolveTarget(cfg, command).endpoint, "dev-1", "so does the configured endpoint");
  });

  it("a bad override is refused naming the property", () => {
    assert.throws(() => resolveTarget(cfg, { op: "delete-everything" }), /msg\.op "delete-everything" is not an operation/);
    assert.throws(() => resolveTarget(cfg, { path: "3/0" }), /msg\.path "3\/0" is not an LwM2M path/);
    assert.throws(() => resolveTarget(parseRequestConfig({ server: "srv" }), {}), /no endpoint: set the node's Endpoint, msg\.endpoint or msg\.payload\.deviceId/);
  });

  it("the format is the Accept of reads and the Content-Format of writes; auto lets the device choose and writes TLV", () => {
    assert.equal(cfg.accept, 112);
    assert.equal(cfg.writeFormat, 112);
    const auto = parseRequestConfig({ server: "srv" });
    assert.equal(auto.accept, undefined);
    assert.equal(auto.writeFormat, 11542);
  });

  it("write-attributes: an object becomes the query; null removes an attribute; anything else is refused", () => {
    assert.equal(attributesQuery({ pmin: 10, pmax: 60, gt: 25.5 }), "pmin=10&pmax=60&gt=25.5");
    assert.equal(attributesQuery({ st: null }), "st");
    assert.throws(() => attributesQuery({ every: 5 }), /"every" is not an LwM2M attribute/);
    assert.throws(() => attributesQuery({ pmin: "ten" }), /pmin must be a number/);
    assert.throws(() => attributesQuery([]), /needs msg\.payload as an object/);
    assert.throws(() => attributesQuery({}), /names no attribute/);
  });
});
