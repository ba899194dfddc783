// examples/validate.json as it ships, run by pressing its buttons: each kind of bad reading lands where the
// Comment node says. (test/flows/examples/examples.test.ts runs the examples of package.json's keys; this file runs
// validate's, whose registered type differs from its key.) The user directory is a temporary folder.
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { capture, getNode, load, waitFor, useTempUserDir, type Msg } from "../../helpers/node-red";
import validateNode = require("../../../nodes/validate/validate");

/* eslint-disable @typescript-eslint/no-require-imports */
const CORE = ["common/20-inject.js", "common/21-debug.js", "common/90-comment.js", "function/10-function.js"].map((f) => require(`@node-red/nodes/core/${f}`));
/* eslint-enable @typescript-eslint/no-require-imports */

const FLOW: Msg[] = JSON.parse(fs.readFileSync(path.join(__dirname, "../../../examples/validate.json"), "utf8"));

describe("validate: the example flow", () => {
  useTempUserDir("m2m-validate-example-", { server: true });

  it("uses only core nodes and validate, and explains itself in a Comment node", () => {
    const types = new Set(FLOW.map((n) => n.type));
    for (const t of types) assert.ok(["tab", "comment", "inject", "function", "debug", "m2m-validate"].includes(t), t);
    assert.ok(FLOW.some((n) => n.type === "comment" && String(n.info).length > 200));
  });

  it("each button's reading lands where the comment says", async () => {
    const seen = capture(["va-ex-passed", "va-ex-rejected", "va-ex-alerts"]);
    try {
      await load([validateNode, ...CORE], FLOW);
      const press = async (topic: string) => {
        const before = seen["va-ex-passed"].length + seen["va-ex-rejected"].length + seen["va-ex-alerts"].length;
        const inject = FLOW.find((n) => n.type === "inject" && n.topic === topic);
        assert.ok(inject, topic);
        getNode(inject.id).receive({});
        await waitFor(() => seen["va-ex-passed"].length + seen["va-ex-rejected"].length + seen["va-ex-alerts"].length > before, `${topic} to land`);
        await new Promise((r) => setTimeout(r, 30));
      };
      const last = (id: string) => seen[id][seen[id].length - 1];

      await press("good");
      assert.equal(last("va-ex-passed").payload.quality, "GOOD");
      await press("drift 45 s");
      assert.equal(last("va-ex-passed").payload.flags, undefined);
      await press("drift 10 min");
      assert.deepEqual(last("va-ex-passed").payload.flags, ["time-corrected"]);
      await press("drift 2 h");
      assert.equal(last("va-ex-rejected").validation.rule, "drift");
      assert.equal(last("va-ex-alerts").payload.alert, "clock-drift");
      await press("out of range");
      assert.equal(last("va-ex-rejected").validation.rule, "range");
      await press("counter decrease");
      assert.deepEqual(last("va-ex-passed").payload.measurements.energyImport.flags, ["counter-decrease"]);
      await press("meter change");
      assert.deepEqual(last("va-ex-passed").payload.measurements.energyImport.flags, ["counter-reset"]);
      assert.equal(last("va-ex-alerts").payload.alert, "counter-reset");
      await press("duplicate in a batch");
      assert.equal(last("va-ex-passed").payload.length, 1);
      await press("conflicting duplicate");
      assert.equal(last("va-ex-rejected").validation.rule, "duplicate-conflict");
      await press("not a reading");
      assert.equal(last("va-ex-rejected").validation.rule, "schema");
      await press("stats");
      assert.equal(last("va-ex-alerts").topic, "stats");
      assert.equal(last("va-ex-alerts").payload.duplicates, 1);
    } finally {
      seen.dispose();
    }
  });
});
