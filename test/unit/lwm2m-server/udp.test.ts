/**
 * The guarded UDP socket under the LwM2M server and the simulator: a send after close (coap's retransmission timer
 * firing late) is dropped instead of throwing from a timer, which would stop the runtime.
 */
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { guardedSocket } from "../../../nodes/shared/lwm2m/udp";

describe("guardedSocket", () => {
  it("a plain dgram socket throws on a send after close (what the guard is for)", async () => {
    const raw = dgram.createSocket("udp4");
    await new Promise<void>((r) => raw.bind(0, "127.0.0.1", () => r()));
    await new Promise<void>((r) => raw.close(() => r()));
    assert.throws(() => raw.send(Buffer.from("x"), 9, "127.0.0.1"), /Not running/);
  });

  it("the guarded socket drops a send after close, and still sends while open", async () => {
    const errors: Error[] = [];
    const g = guardedSocket("udp4", (e) => errors.push(e));
    const peer = dgram.createSocket("udp4");
    await new Promise<void>((r) => peer.bind(0, "127.0.0.1", () => r()));
    await new Promise<void>((r) => g.sock.bind(0, "127.0.0.1", () => r()));
    const got = new Promise<string>((r) => peer.once("message", (m) => r(m.toString())));
    g.sock.send(Buffer.from("hello"), peer.address().port, "127.0.0.1");
    assert.equal(await got, "hello");
    await g.close();
    assert.doesNotThrow(() => g.sock.send(Buffer.from("late"), peer.address().port, "127.0.0.1"));
    assert.deepEqual(errors, []);
    await g.close(); // twice is fine
    await new Promise<void>((r) => peer.close(() => r()));
  });
});
