/**
 * The LwM2M server's registration bookkeeping with a fake clock: lifetime expiry (OMA LwM2M 1.1 Core §6.2.1: a
 * registration lives `lt` seconds after its last Register or Update), registrations kept across a restart, and
 * the objects a Register announces (RFC 6690 link format).
 */
import { afterEach, describe, it } from "mocha";
import assert from "node:assert/strict";
import { Agent, type IncomingMessage } from "coap";
import { Lwm2mServer, announcedObjects } from "../../../nodes/lwm2m-server/server";
import type { Lwm2mEvent, Registration } from "../../../nodes/shared/lwm2m/registry";

function post(port: number, pathname: string, query: string, payload?: string): Promise<IncomingMessage> {
  const agent = new Agent({ type: "udp4" });
  return new Promise((resolve, reject) => {
    const req = agent.request({ hostname: "127.0.0.1", port, method: "POST", pathname, query, confirmable: true } as never);
    req.on("response", (res: IncomingMessage) => {
      setImmediate(() => agent.close()); // once coap is done with the answer
      resolve(res);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

describe("lwm2m-server: registrations", () => {
  let server: Lwm2mServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("announcedObjects keeps object instances and objects, not the root link nor its attributes", () => {
    assert.deepEqual(announcedObjects('</>;rt="oma.lwm2m";ct="60 110 112 11542",</1/0>,</3/0>;ver=1.1,</5>,</3303/0>'), ["/1/0", "/3/0", "/5", "/3303/0"]);
  });

  it("a registration expires once its lifetime has passed since the last Register or Update, not before", async () => {
    let now = 1_000_000;
    server = new Lwm2mServer({ port: 0, bind: "127.0.0.1", sweepMs: 3_600_000, now: () => now });
    const { port } = (await server.start(), server.address());
    const events: Lwm2mEvent[] = [];
    server.events.on("event", (e: Lwm2mEvent) => events.push(e));
    const res = await post(port, "/rd", "ep=clocked&lt=60", "</3/0>");
    assert.equal(res.code, "2.01");
    const id = server.registration("clocked")!.id;
    now += 59_000;
    server.expire();
    assert.ok(server.registration("clocked"), "59 s into a 60 s lifetime");
    assert.equal((await post(port, `/rd/${id}`, "")).code, "2.04"); // an Update restarts the lifetime
    now += 59_000;
    server.expire();
    assert.ok(server.registration("clocked"), "59 s after the Update");
    now += 2_000;
    server.expire();
    assert.equal(server.registration("clocked"), undefined);
    assert.deepEqual(events.map((e) => e.event), ["registered", "updated", "expired"]);
  });

  it("registrations kept from before a restart are served (Update 2.04), and expire if their lifetime ran out meanwhile", async () => {
    const now = 5_000_000;
    const kept = (endpoint: string, lastSeen: number): Registration => ({ id: `id-${endpoint}`, endpoint, address: "127.0.0.1", port: 1, lifetime: 60, lwm2m: "1.1", binding: "U", queue: false, objects: ["/3/0"], links: "</3/0>", registeredAt: lastSeen, lastSeen });
    server = new Lwm2mServer({ port: 0, bind: "127.0.0.1", sweepMs: 3_600_000, now: () => now });
    server.load([kept("fresh", now - 10_000), kept("stale", now - 120_000)]);
    await server.start();
    const events: string[] = [];
    server.events.on("event", (e: Lwm2mEvent) => events.push(`${e.event} ${e.endpoint}`));
    server.expire();
    assert.deepEqual(events, ["expired stale"]);
    assert.equal((await post(server.address().port, "/rd/id-fresh", "")).code, "2.04");
    assert.equal(server.registration("fresh")!.port > 1, true, "the Update's source address is the device's address from now on");
  });

  it("a Register without an endpoint name, or with a lifetime that is not a positive integer, is refused 4.00", async () => {
    server = new Lwm2mServer({ port: 0, bind: "127.0.0.1" });
    await server.start();
    const { port } = server.address();
    assert.equal((await post(port, "/rd", "lt=60", "</3/0>")).code, "4.00");
    assert.equal((await post(port, "/rd", "ep=x&lt=-5", "</3/0>")).code, "4.00");
    assert.deepEqual(server.registrations(), []);
  });
});
