// examples/tariff-bill.json as it ships, run by pressing its buttons: each does what its Comment node says.
// The user directory is a temporary folder.
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { capture, getNode, load, logged, waitFor, useTempUserDir, type Msg } from "../../helpers/node-red";
import tariffBill = require("../../../nodes/tariff-bill/tariff-bill");

/* eslint-disable @typescript-eslint/no-require-imports */
const CORE = ["common/20-inject.js", "common/21-debug.js", "common/90-comment.js", "function/10-function.js"].map((f) => require(`@node-red/nodes/core/${f}`));
/* eslint-enable @typescript-eslint/no-require-imports */
const FLOW: Msg[] = JSON.parse(fs.readFileSync(path.join(__dirname, "../../../examples/tariff-bill.json"), "utf8"));

describe("tariff-bill: the example flow", () => {
  useTempUserDir("m2m-tariff-bill-example-", { server: true });

  it("uses only core nodes and tariff-bill, and explains itself in a Comment node", () => {
    for (const n of FLOW) assert.ok(["tab", "comment", "inject", "function", "debug", "tariff-bill"].includes(n.type), n.type);
    assert.ok(FLOW.some((n) => n.type === "comment" && String(n.info).length > 200));
  });

  it("each button does what the comment says: estimate, a replay that changes nothing, a refusal, the final bill", async () => {
    const seen = capture(["tb-ex-bills", "tb-ex-rejected", "tb-ex-bill"]);
    try {
      await load([tariffBill as never, ...CORE], FLOW);
      const press = async (name: string, out: string) => {
        const before = seen[out].length;
        getNode(FLOW.find((n) => n.type === "inject" && n.name === name)!.id).receive({});
        await waitFor(() => seen[out].length > before, `${name} to land`);
        return seen[out][seen[out].length - 1];
      };
      await waitFor(() => ["tb-ex-day", "tb-ex-gen", "tb-ex-bill"].every((id) => getNode(id)), "the flow to start");
      getNode("tb-ex-day").receive({});
      await waitFor(() => seen["tb-ex-bill"].length === 1, "the day's readings to reach tariff-bill");
      const first = await press("estimate", "tb-ex-bills");
      assert.equal(first.payload.final, false);
      getNode("tb-ex-replay").receive({});
      await waitFor(() => seen["tb-ex-bill"].length === 3, "the replay to reach tariff-bill");
      const again = await press("estimate", "tb-ex-bills");
      assert.equal(again.payload.total, first.payload.total, "a replay charges nothing twice");
      assert.match((await press("negative", "tb-ex-rejected")).reason, /negative consumption/);
      const bill = await press("close", "tb-ex-bills");
      assert.equal(bill.payload.final, true);
      assert.equal(bill.payload.customerId, "cust-42");
      assert.equal(bill.payload.energy.total, "46.4"); // 32 off-peak quarter-hours × 0.2 + 44 mid × 0.5 + 20 on-peak × 0.9
      // all 46.4 kWh in tier 1 (under 100 kWh): one energy line per TOU period
      assert.deepEqual(bill.payload.lines.map((l: Msg) => l.kind), ["fixed", "energy", "energy", "energy", "tax"]);
    } catch (err) {
      console.log(logged("error"), logged("warn"), JSON.stringify(seen).slice(0, 500));
      throw err;
    } finally {
      seen.dispose();
    }
  });
});
