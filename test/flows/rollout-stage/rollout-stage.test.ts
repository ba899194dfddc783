// rollout-stage on the Node-RED runtime, with Catch and Complete: a 1,000-device campaign through its three waves
// (a function node plays the fleet), a halt in wave 1 that rolls back, restarts between waves and mid-wave that
// send nothing twice, and bad input that reaches the Catch node with a message naming the cause. The staging rule
// (1% → 10% → the rest) is the seeds' (/work/shared/seeds/000_… "Staged Firmware Rollout"). No test asserts a duration.
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import path from "node:path";
import { capture, catchAndComplete, core, getNode, load, redeploy, unload, waitFor, useTempUserDir, type Msg } from "../../helpers/node-red";
import rolloutStage = require("../../../nodes/rollout-stage/rollout-stage");

const NODES = [rolloutStage as never, core.catch, core.complete, core.function];
const ids = (n: number) => Array.from({ length: n }, (_, i) => `meter-${String(i + 1).padStart(4, "0")}`);

/** The fleet: answers each command with a result; `rule` is function-node code that sets `status`. */
const player = (rule = 'status = "success";'): Msg => ({
  id: "fleet",
  z: "tab",
  type: "function",
  func: `let status; ${rule}\nreturn { topic: "result", payload: { deviceId: msg.payload.deviceId, campaign: msg.payload.campaign, action: msg.payload.action, status } };`,
  outputs: 1,
  wires: [["rs"]],
});

describe("rollout-stage on the runtime", () => {
  const userDir = useTempUserDir("m2m-rollout-stage-");

  const flow = (id: string, cfg: Msg = {}, fleet?: Msg): Msg[] => [
    { id: "tab", type: "tab" },
    { id: "rs", z: "tab", type: "rollout-stage", soakMinutes: "0", timeoutMinutes: "60", ...cfg, dir: path.join(userDir.dir, id), wires: [["cmds", ...(fleet ? ["fleet"] : [])], ["events"]] },
    { id: "cmds", z: "tab", type: "helper", wires: [] },
    { id: "events", z: "tab", type: "helper", wires: [] },
    ...(fleet ? [fleet] : []),
    ...catchAndComplete("rs"),
  ];
  const WATCH = ["cmds", "events", "rs-caught", "rs-done"];
  const topics = (ms: Msg[]) => ms.map((m) => m.topic);

  it("a 1,000-device campaign: 10, then 90, then 900 devices, each sent the update once, then completed", async () => {
    const seen = capture(WATCH);
    try {
      await load(NODES, flow("full", {}, player()));
      getNode("rs").receive({ topic: "campaign", payload: { id: "fw-2.1", version: "2.1.0", uri: "coap://fw.example/2.1.0", previous: "2.0.3", devices: ids(1000) } });
      await waitFor(() => seen.events.some((m) => m.topic === "completed"), "the campaign to complete", 60_000, () => topics(seen.events));
      assert.deepEqual(topics(seen.events), ["wave-started", "wave-passed", "wave-started", "wave-passed", "wave-started", "wave-passed", "completed"]);
      const started = seen.events.filter((m) => m.topic === "wave-started").map((m) => m.payload.stats.targeted);
      assert.deepEqual(started, [10, 90, 900], "the help's worked example");
      const devices = seen.cmds.map((m) => m.payload.deviceId);
      assert.equal(devices.length, 1000);
      assert.equal(new Set(devices).size, 1000, "no device sent the update twice");
      assert.ok(seen.cmds.every((m) => m.topic === m.payload.deviceId && m.payload.action === "update" && m.payload.version === "2.1.0"));
      const done = seen.events[seen.events.length - 1].payload;
      assert.deepEqual(done.total, { targeted: 1000, succeeded: 1000, failed: 0, unhealthy: 0, timedOut: 0, pending: 0 });
      assert.equal(seen["rs-caught"].length, 0);
      assert.equal(seen["rs-done"].length, 1 + 1000, "Complete once per input (the campaign and each result)");
    } finally {
      seen.dispose();
    }
  });

  it("a failure in wave 1 halts it and rolls back the devices sent the update, never the untouched fleet", async () => {
    const seen = capture(WATCH);
    try {
      // The first device to answer fails its update; everything else (rollbacks included) succeeds.
      const rule = 'const n = context.get("n") || 0; context.set("n", n + 1); status = n === 0 ? "failure" : "success";';
      await load(NODES, flow("halt", { onHalt: "rollback" }, player(rule)));
      getNode("rs").receive({ topic: "campaign", payload: { id: "bad-fw", version: "3.0.0", uri: "coap://fw.example/3.0.0", previous: "2.0.3", devices: ids(1000) } });
      await waitFor(() => seen.events.some((m) => m.topic === "rolled-back"), "the rollback to finish", 20_000, () => topics(seen.events));
      assert.deepEqual(topics(seen.events), ["wave-started", "halted", "rolling-back", "rolled-back"]);
      assert.match(seen.events[1].payload.reason, /wave 1: 1 of 10 devices failed.*above the failure threshold of 5%/);
      const updates = seen.cmds.filter((m) => m.payload.action === "update").map((m) => m.payload.deviceId);
      const rollbacks = seen.cmds.filter((m) => m.payload.action === "rollback").map((m) => m.payload.deviceId);
      assert.equal(updates.length, 10, "only the canary was sent the update");
      const failed = updates[0];
      assert.deepEqual(rollbacks.sort(), updates.filter((d) => d !== failed).sort(), "every canary device but the failed one");
      assert.ok(seen.cmds.filter((m) => m.payload.action === "rollback").every((m) => m.payload.version === "2.0.3"));
      assert.deepEqual(seen.events[3].payload.rollback, { targeted: 9, rolledBack: 9, failed: 0, timedOut: 0, pending: 0 });
    } finally {
      seen.dispose();
    }
  });

  it("restarts between waves and mid-wave resume without sending anything twice", async () => {
    const seen = capture(WATCH);
    const f = flow("restart", { approval: "manual", maxConcurrent: "5" });
    const answer = (deviceId: string, status = "success") => getNode("rs").receive({ topic: "result", payload: { deviceId, status } });
    const settled = async (n: number, what: string) => waitFor(() => seen["rs-done"].length + seen["rs-caught"].length >= n, what);
    let inputs = 0;
    try {
      await load(NODES, f);
      getNode("rs").receive({ topic: "campaign", payload: { id: "c-restart", version: "2", uri: "u", previous: "1", devices: ids(100) } });
      await settled(++inputs, "the campaign");
      assert.equal(seen.cmds.length, 1, "wave 1: 1% of 100");
      answer(seen.cmds[0].payload.deviceId);
      await settled(++inputs, "wave 1's result");
      assert.deepEqual(topics(seen.events), ["wave-started", "wave-passed"], "manual approval: waiting");

      // Restart between waves (a full redeploy: the node closes and a new one loads the state).
      await redeploy(f);
      getNode("rs").receive({ command: "approve" });
      await settled(++inputs, "approve");
      assert.equal(seen.cmds.length, 1 + 5, "wave 2 starts with maxConcurrent 5");
      for (const m of seen.cmds.slice(1, 3)) answer(m.payload.deviceId);
      inputs += 2;
      await settled(inputs, "two results");
      assert.equal(seen.cmds.length, 1 + 7, "two more fed");

      // Restart mid-wave: the runtime stops and starts again on the same state.
      await unload();
      await load(NODES, f);
      getNode("rs").receive({ command: "status" });
      inputs = 1;
      seen["rs-done"].length = 0;
      seen["rs-caught"].length = 0;
      await settled(inputs, "status");
      assert.equal(seen.cmds.length, 1 + 7, "nothing sent again at restart");
      const status = seen.events[seen.events.length - 1].payload;
      assert.equal(status.event, "status");
      assert.deepEqual([status.wave, status.stats.succeeded, status.stats.pending], [2, 2, 7]);

      // The rest of wave 2 answers: the 5 in flight, then the 2 fed after them.
      for (const m of seen.cmds.slice(3, 8)) answer(m.payload.deviceId);
      inputs += 5;
      await settled(inputs, "five results");
      assert.equal(seen.cmds.length, 1 + 9);
      for (const m of seen.cmds.slice(8)) answer(m.payload.deviceId);
      inputs += 2;
      await settled(inputs, "the last two");
      assert.equal(seen.events[seen.events.length - 1].topic, "wave-passed");
      const devices = seen.cmds.map((m) => m.payload.deviceId);
      assert.equal(new Set(devices).size, devices.length, "no command twice across two restarts");
      assert.equal(seen["rs-caught"].length, 0);
    } finally {
      seen.dispose();
    }
  });

  it("a device that never reports times out after a restart, from its stored deadline", async () => {
    const seen = capture(WATCH);
    const f = flow("timeout", { timeoutMinutes: "0.01" }); // 0.6 s
    try {
      await load(NODES, f);
      getNode("rs").receive({ topic: "campaign", payload: { id: "c-timeout", version: "2", uri: "u", previous: "1", devices: ids(10) } });
      await waitFor(() => seen.cmds.length === 1, "wave 1");
      await unload();
      await load(NODES, f);
      await waitFor(() => seen.events.some((m) => m.topic === "halted"), "the timeout to halt the campaign");
      const halted = seen.events.find((m) => m.topic === "halted")?.payload;
      assert.equal(halted.stats.timedOut, 1);
      assert.equal(seen.cmds.length, 1, "nothing sent again");
    } finally {
      seen.dispose();
    }
  });

  it("bad input reaches the Catch node with a message naming the cause; Complete fires for the rest", async () => {
    const seen = capture(WATCH);
    try {
      await load(NODES, flow("bad"));
      const rs = getNode("rs");
      rs.receive({ topic: "result", payload: { deviceId: "ghost-7", status: "success" } });
      rs.receive({ topic: "campaign", payload: { id: "c-bad", version: "2", uri: "u", previous: "1" } });
      rs.receive({ topic: "campaign", payload: { id: "c-bad", version: "2", uri: "u", devices: ["a", "b"] } });
      rs.receive({ topic: "campaign", payload: { id: "c-ok", version: "2", uri: "u", previous: "1", devices: ["a", "b"] } });
      rs.receive({ topic: "result", payload: { deviceId: "a", status: "bricked" } });
      rs.receive({ topic: "firmware", payload: 42 });
      rs.receive({ command: "launch" });
      await waitFor(() => seen["rs-caught"].length + seen["rs-done"].length === 7, "every message handled");
      const errors = seen["rs-caught"].map((m) => m.error.message);
      assert.equal(errors.length, 6);
      assert.match(errors[0], /a result for device "ghost-7", which is in no campaign/);
      assert.match(errors[1], /bad campaign: campaign "c-bad": payload.devices must be a non-empty list/);
      assert.match(errors[2], /2 device\(s\) have no version and the campaign has no "previous"/);
      assert.match(errors[3], /payload.status must be one of success, failure, unhealthy, got "bricked"/);
      assert.match(errors[4], /msg.topic must be "campaign" or "result".*got topic "firmware"/);
      assert.match(errors[5], /unknown msg.command "launch"/);
      assert.equal(seen["rs-done"].length, 1, "the good campaign");
      assert.equal(seen.cmds.length, 1);
    } finally {
      seen.dispose();
    }
  });
});
