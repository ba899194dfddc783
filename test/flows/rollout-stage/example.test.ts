// examples/rollout-stage.json as it ships, run by pressing its buttons: the campaign halts in wave 1 when the
// simulated fleet's firmware fails its health check during the soak, and rolls back the 2 pilot meters (the ones
// with the weakest signal), as its Comment node says. The user directory is a temporary folder.
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { capture, getNode, load, waitFor, useTempUserDir, type Msg } from "../../helpers/node-red";
import rolloutStage = require("../../../nodes/rollout-stage/rollout-stage");

/* eslint-disable @typescript-eslint/no-require-imports */
const CORE = ["common/20-inject.js", "common/21-debug.js", "common/90-comment.js", "function/10-function.js"].map((f) => require(`@node-red/nodes/core/${f}`));
/* eslint-enable @typescript-eslint/no-require-imports */
const FLOW: Msg[] = JSON.parse(fs.readFileSync(path.join(__dirname, "../../../examples/rollout-stage.json"), "utf8"));

describe("rollout-stage: the example flow", () => {
  useTempUserDir("m2m-rollout-stage-example-");

  it("uses only core nodes and rollout-stage, and explains itself in a Comment node", () => {
    for (const n of FLOW) assert.ok(["tab", "comment", "inject", "function", "debug", "rollout-stage"].includes(n.type), n.type);
    assert.ok(FLOW.some((n) => n.type === "comment" && String(n.info).length > 200));
  });

  it("start campaign: wave 1 halts on the unhealthy reports and rolls back its 2 pilot meters; a second press sends nothing", async () => {
    const seen = capture(["rs-ex-commands", "rs-ex-events"]);
    try {
      await load([rolloutStage as never, ...CORE], FLOW);
      getNode("rs-ex-start").receive({});
      await waitFor(() => seen["rs-ex-events"].some((m) => m.topic === "rolled-back"), "the rollback", 20_000, () => seen["rs-ex-events"].map((m) => m.topic));
      assert.deepEqual(
        seen["rs-ex-events"].map((m) => m.topic),
        ["wave-started", "halted", "rolling-back", "rolled-back"],
      );
      const halted = seen["rs-ex-events"][1].payload;
      assert.match(halted.reason, /1 of 2 devices failed, unhealthy or timed out \(50%\)/);
      const cmds = seen["rs-ex-commands"].map((m) => m.payload);
      const updated = cmds.filter((c) => c.action === "update").map((c) => c.deviceId);
      assert.equal(updated.length, 2, "1% of 200, only");
      // The pilot: two of the four weakest signals of the example's fleet (-60 - (i × 37 mod 50) dBm is -109 for i = 27, 77, 127, 177).
      const signal = (id: string) => -60 - ((Number(id.slice(6)) * 37) % 50);
      assert.ok(updated.every((id) => signal(id) === -109), `the pilot is the weakest signal (${updated.join(", ")})`);
      assert.deepEqual(cmds.filter((c) => c.action === "rollback").map((c) => [c.deviceId, c.version]).sort(), updated.map((id) => [id, "2.4.1"]).sort());

      const before = seen["rs-ex-commands"].length;
      getNode("rs-ex-start").receive({});
      getNode("rs-ex-status").receive({});
      await waitFor(() => seen["rs-ex-events"].some((m) => m.topic === "status" && m.payload.phase === "rolled-back"), "status");
      assert.equal(seen["rs-ex-commands"].length, before, "the same campaign again is idempotent");
    } finally {
      seen.dispose();
    }
  });
});
