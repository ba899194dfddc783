// lwm2m-diagnose in a flow: a diagnosis per input with Complete, bad input at Catch naming the property, the
// histories surviving a redeploy (the StateFile under the node's folder), and the example flow's profiles.
// Snapshots: the OMA LwM2M TS example /3/0 read in the decoded shape of issue 11 (test/unit/lwm2m-diagnose/fixtures).
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { capture, catchAndComplete, core, getNode, load, logged, redeploy, waitFor, useTempUserDir, type Msg } from "../../helpers/node-red";
import diagnose = require("../../../nodes/lwm2m-diagnose/lwm2m-diagnose");
import { conn, device, HOUR, snapshot, T0 } from "../../unit/lwm2m-diagnose/fixtures";

/* eslint-disable @typescript-eslint/no-require-imports */
const CORE = ["common/20-inject.js", "common/21-debug.js", "common/90-comment.js", "function/10-function.js"].map((f) => require(`@node-red/nodes/core/${f}`));
/* eslint-enable @typescript-eslint/no-require-imports */
const EXAMPLE: Msg[] = JSON.parse(fs.readFileSync(path.join(__dirname, "../../../examples/lwm2m-diagnose.json"), "utf8"));

describe("lwm2m-diagnose node", () => {
  useTempUserDir("m2m-lwm2m-diagnose-", { server: true });

  const flow = (over: Msg = {}): Msg[] => [
    { id: "tab", type: "tab" },
    { id: "dx", z: "tab", type: "lwm2m-diagnose", ...over, wires: [["out"]] },
    { id: "out", z: "tab", type: "helper", wires: [] },
    ...catchAndComplete("dx"),
  ];

  it("a diagnosis per input, Complete once each; bad input reaches Catch naming the property", async () => {
    const seen = capture(["out", "dx-caught", "dx-done"]);
    try {
      await load([diagnose as never, core.catch, core.complete], flow());
      getNode("dx").receive({ payload: snapshot("ep-1", T0, device({ "20": 3 }), conn()) });
      getNode("dx").receive({ payload: snapshot("ep-2", T0, device(), conn({ "2": -125 })) });
      await waitFor(() => seen["dx-done"].length === 2, "two Completes");
      assert.deepEqual(seen.out.map((m) => m.payload.cause), ["hardware-fault", "poor-signal"]);
      assert.equal(seen.out[0].payload.truckRoll, true);
      assert.equal(seen.out[0].topic, "hardware-fault");
      assert.deepEqual(seen.out[0].payload.evidence[0], { path: "/3/0/20", value: 3, rule: "Battery Status 3: Damaged" });
      getNode("dx").receive({ payload: { endpoint: "ep-3", objects: { "6": { "0": { "0": 48.1 } } } } });
      getNode("dx").receive({ payload: 42 });
      getNode("dx").receive({ endpoint: "ep-4" });
      await waitFor(() => seen["dx-caught"].length === 3, "three errors at Catch");
      assert.match(seen["dx-caught"][0].error.message, /none of objects 3 \(Device\)/);
      assert.match(seen["dx-caught"][1].error.message, /msg\.payload must be a snapshot/);
      assert.match(seen["dx-caught"][2].error.message, /needs a server/);
      assert.equal(seen["dx-done"].length, 2, "no Complete for a refused message");
      assert.equal(seen.out.length, 2);
    } finally {
      seen.dispose();
    }
  });

  it("the histories survive a redeploy: restarts before and after it make one reboot loop", async () => {
    const seen = capture(["out", "dx-done"]);
    try {
      const f = flow();
      await load([diagnose as never, core.catch, core.complete], f);
      getNode("dx").receive({ payload: snapshot("loop", T0, device(), conn()) });
      for (let i = 0; i <= 2; i++) getNode("dx").receive({ payload: { event: "registered", endpoint: "loop", at: T0 + i * HOUR } });
      await waitFor(() => seen["dx-done"].length === 4, "the first inputs");
      assert.equal(seen.out[3].payload.reboots, 2);
      await redeploy(f.map((n) => (n.id === "dx" ? { ...n, name: "changed" } : n)));
      for (let i = 3; i <= 4; i++) getNode("dx").receive({ payload: { event: "restarted", endpoint: "loop", at: T0 + i * HOUR } });
      await waitFor(() => seen["dx-done"].length === 6, "the inputs after the redeploy");
      const d = seen.out[5].payload;
      assert.equal(d.reboots, 4);
      assert.equal(d.cause, "firmware-bug", "a reboot loop with good signal, battery and memory");
      assert.equal(d.severity, "critical");
      assert.deepEqual(logged("error"), []);
    } finally {
      seen.dispose();
    }
  });

  it("a bad rule is refused naming the field", async () => {
    const seen = capture(["dx-caught"]);
    try {
      await load([diagnose as never, core.catch, core.complete], flow({ rsrpMinDbm: "10" }));
      getNode("dx").receive({ payload: snapshot("ep", T0, device(), conn()) });
      await waitFor(() => seen["dx-caught"].length === 1, "the refusal");
      assert.match(seen["dx-caught"][0].error.message, /RSRP floor/);
    } finally {
      seen.dispose();
    }
  });

  it("the example flow: each profile's button gives its cause", async () => {
    for (const n of EXAMPLE) assert.ok(["tab", "comment", "inject", "function", "debug", "lwm2m-diagnose"].includes(n.type), n.type);
    assert.ok(EXAMPLE.some((n) => n.type === "comment" && String(n.info).length > 200));
    const seen = capture(["lw-dx-debug"]);
    try {
      await load([diagnose as never, ...CORE], EXAMPLE);
      // [cause, how many messages the button sends] (the series come from function nodes)
      const expect: Record<string, [string, number]> = {
        healthy: ["healthy", 1],
        "poor signal": ["poor-signal", 1],
        "dying battery": ["dying-battery", 1],
        "hardware fault": ["hardware-fault", 1],
        "NB-IoT deep coverage": ["dying-battery", 1],
        "memory leak": ["memory-leak", 6],
        "firmware bug": ["firmware-bug", 8],
      };
      for (const [name, [cause, count]] of Object.entries(expect)) {
        const before = seen["lw-dx-debug"].length;
        getNode(EXAMPLE.find((n) => n.type === "inject" && n.name === name)!.id).receive({ payload: Date.now() });
        await waitFor(() => seen["lw-dx-debug"].length === before + count, `${name} to be diagnosed`);
        const last = seen["lw-dx-debug"][seen["lw-dx-debug"].length - 1].payload;
        assert.equal(last.cause, cause, `${name}: ${JSON.stringify(last.checks)}`);
        assert.equal(last.truckRoll, cause === "hardware-fault");
      }
    } finally {
      seen.dispose();
    }
  });
});
