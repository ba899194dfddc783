/**
 * Requests to a device leave from the server's own port (the one the device registered with), so a NAT mapping
 * that only lets that address and port in passes them: the device here is a bare UDP socket that registers, then
 * sees the server's GET arrive from the server's port, and answers it (RFC 7252 §4.2: a piggybacked ACK).
 */
import { afterEach, describe, it } from "mocha";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { generate, parse } from "coap-packet";
import { Lwm2mServer } from "../../../nodes/lwm2m-server/server";

describe("lwm2m-server: requests from the server's own port", () => {
  let server: Lwm2mServer | undefined;
  let device: dgram.Socket | undefined;
  afterEach(async () => {
    await server?.close();
    await new Promise<void>((r) => (device ? device.close(() => r()) : r()));
    server = undefined;
    device = undefined;
  });

  it("a GET to a device comes from the port its Register went to", async () => {
    server = new Lwm2mServer({ port: 0, bind: "127.0.0.1" });
    const { port } = (await server.start(), server.address());
    const dev = dgram.createSocket("udp4");
    device = dev;
    await new Promise<void>((r) => dev.bind(0, "127.0.0.1", () => r()));
    const sources: number[] = [];
    dev.on("message", (buf, rinfo) => {
      const p = parse(buf);
      if (p.code === "0.01") {
        sources.push(rinfo.port);
        // Answer the GET with 2.05 "42" in text/plain, piggybacked on the ACK.
        const ack = generate({ messageId: p.messageId, token: p.token, code: "2.05", ack: true, confirmable: false, options: [{ name: "Content-Format", value: Buffer.of(0) }], payload: Buffer.from("42") });
        dev.send(ack, rinfo.port, rinfo.address);
      }
    });
    const register = generate({
      messageId: 1,
      token: Buffer.from([1, 2]),
      code: "POST",
      confirmable: true,
      options: [
        { name: "Uri-Path", value: Buffer.from("rd") },
        { name: "Content-Format", value: Buffer.of(40) },
        { name: "Uri-Query", value: Buffer.from("ep=behind-nat") },
        { name: "Uri-Query", value: Buffer.from("lt=60") },
      ],
      payload: Buffer.from("</3/0>"),
    });
    dev.send(register, port, "127.0.0.1");
    for (let i = 0; i < 100 && !server.registration("behind-nat"); i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(server.registration("behind-nat")?.port, dev.address().port);
    const res = await server.request("behind-nat", { method: "GET", path: "/3/0/9", timeoutMs: 2000 });
    assert.equal(res.code, "2.05");
    assert.equal(res.payload.toString(), "42");
    assert.deepEqual(sources, [port], "the request came from the server's port");
  });
});
