/**
 * The firmware-update procedure against a fake server API: a node that closes ends a wait at once (no poll timer
 * outlives it), and the result codes of Object 5 (OMA registry 5.xml) map onto the result message.
 */
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { firmwareUpdate, parseJob } from "../../../nodes/lwm2m-request/firmware";
import type { DeviceRequest, DeviceResponse, Lwm2mServerApi } from "../../../nodes/shared/lwm2m/registry";

/** A device whose Object 5 answers from `fw`, in text/plain (Content-Format 0). */
function fakeServer(fw: { state: number; result: number; version: string }): Lwm2mServerApi & { requests: string[] } {
  const requests: string[] = [];
  const answer = (text: string): DeviceResponse => ({ code: "2.05", payload: Buffer.from(text), contentFormat: 0 });
  return {
    requests,
    events: new EventEmitter(),
    address: () => ({ address: "127.0.0.1", port: 1 }),
    listeningOn: async () => ({ address: "127.0.0.1", port: 1 }),
    registrations: () => [],
    registration: () => undefined,
    cancelObservations: () => 0,
    async request(_ep: string, r: DeviceRequest) {
      requests.push(`${r.method} ${r.path}`);
      if (r.method !== "GET") return { code: "2.04", payload: Buffer.alloc(0) };
      if (r.path === "/5/0/3") return answer(String(fw.state));
      if (r.path === "/5/0/5") return answer(String(fw.result));
      if (r.path === "/3/0/3") return answer(fw.version);
      return { code: "4.04", payload: Buffer.alloc(0) };
    },
    async observe() {
      throw new Error("observe not supported"); // best effort: the procedure re-reads instead
    },
  };
}

const opts = { writeFormat: 0, queueWaitMs: 0, stateTimeoutMs: 600_000, pollMs: 60_000 };

describe("lwm2m-request firmware procedure", () => {
  it("a close (abort) ends the wait for Downloaded at once, as a retryable failure", async function () {
    this.timeout(5_000); // the poll interval is a minute: only the abort can end this in time
    const server = fakeServer({ state: 1, result: 0, version: "1.0.0" });
    const closing = new AbortController();
    const run = firmwareUpdate(server, "dev", { uri: "coap://x/pkg", version: "2.0.0" }, opts, () => undefined, closing.signal);
    while (!server.requests.includes("GET /5/0/5")) await new Promise((r) => setTimeout(r, 5));
    closing.abort();
    const out = await run;
    assert.equal(out.status, "failure");
    assert.equal(out.retryable, true);
    assert.match(out.resultText, /closed during the update/);
  });

  it("a failure result while downloading ends the procedure with that result (2: not enough flash, permanent)", async () => {
    const out = await firmwareUpdate(fakeServer({ state: 0, result: 2, version: "1.0.0" }), "dev", { uri: "coap://x/pkg" }, opts, () => undefined);
    assert.deepEqual(out, { deviceId: "dev", status: "failure", result: 2, resultText: "Not enough flash memory for the new firmware package", version: "1.0.0", retryable: false });
  });

  it("the payload must name a uri, and the version must be text", () => {
    assert.throws(() => parseJob({ version: "1" }), /needs msg\.payload = \{ uri/);
    assert.throws(() => parseJob({ uri: "coap://x", version: 2 }), /version must be a string/);
    assert.deepEqual(parseJob({ uri: "coap://x", version: "2" }), { uri: "coap://x", version: "2" });
  });
});
