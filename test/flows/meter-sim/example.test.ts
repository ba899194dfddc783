// examples/meter-sim.json as it ships (Import > Examples): its buttons drive the simulator, readings of all three
// meter types and the store reach the debug node as canonical readings, and the offline gas meter's failed reads
// reach the Catch node.
import { after, afterEach, before, describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { capture, core, getNode, helper, init, load, unload, waitFor, type Msg } from "../../helpers/node-red";
import { assertCanonical } from "../../helpers/fixtures";
import meterSim = require("../../../nodes/meter-sim/meter-sim");
import meterNormalize = require("../../../nodes/meter-normalize/meter-normalize");

/* eslint-disable @typescript-eslint/no-require-imports */
const CORE = ["common/20-inject.js", "common/21-debug.js", "common/90-comment.js"].map((f) => require(`@node-red/nodes/core/${f}`));
/* eslint-enable @typescript-eslint/no-require-imports */
const FLOW = JSON.parse(fs.readFileSync(path.join(__dirname, "../../../examples/meter-sim.json"), "utf8")) as Msg[];

describe("meter-sim example flow", () => {
  before(() => init());
  before(async () => new Promise<void>((r) => helper.startServer(r)));
  after(async () => new Promise<void>((r) => helper.stopServer(r)));
  afterEach(() => unload());

  it("has a Comment, and its buttons give readings of every meter and the store, and failed reads at the Catch node", async () => {
    assert.ok(FLOW.some((n) => n.type === "comment" && String(n.info).length > 100));
    await load([meterSim, meterNormalize, core.catch, ...CORE], FLOW);
    const seen = capture(["ms-ex-debug", "ms-ex-errors"]);
    getNode("ms-ex-i-offline").receive({});
    getNode("ms-ex-i-door").receive({});
    getNode("ms-ex-i-advance").receive({});
    await waitFor(() => new Set(seen["ms-ex-debug"].flatMap((m) => (Array.isArray(m.payload) ? m.payload : [m.payload]).map((r: Msg) => r.deviceId))).size >= 10,
      "electric, water and the store's 8 units");
    await waitFor(() => seen["ms-ex-errors"].length >= 4, "the gas meter's failed reads");
    for (const m of seen["ms-ex-debug"]) for (const r of Array.isArray(m.payload) ? m.payload : [m.payload]) assertCanonical(r);
    assert.ok(seen["ms-ex-errors"].every((m) => /Modbus read failed: Timed out/.test(m.error.message)));
    assert.ok(!seen["ms-ex-debug"].some((m) => m.payload.deviceId === "gas-001"), "the gas meter is offline");
    const units3 = seen["ms-ex-debug"].flatMap((m) => (Array.isArray(m.payload) ? m.payload : [m.payload])).filter((r: Msg) => r.deviceId === "store-001-u3");
    const last = units3[units3.length - 1].measurements.product.value as number;
    assert.ok(last > 5, `unit 3's product past 41 °F (5 °C) after an hour with the door open: ${last} °C`);
    for (const id of ["ms-ex-i-spike", "ms-ex-i-drift", "ms-ex-i-dup", "ms-ex-i-clear"]) getNode(id).receive({});
    seen.dispose();
  });
});
