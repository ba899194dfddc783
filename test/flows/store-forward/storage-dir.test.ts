// Issue 7, item 7 (and issue 6 §5): a store-forward `dir` under /proc froze the whole runtime (mkdirSync with
// recursive: true loops forever there). The node must refuse it: a red status, every input to a Catch node with
// an error that names the reason, and the runtime stays responsive (another node of the same flow answers).
import { afterEach, before, describe, it } from "mocha";
import assert from "node:assert/strict";
import { capture, catchAndComplete, core, events, getNode, init, load, unload, waitFor, type Msg } from "../../helpers/node-red";
import storeForward = require("../../../nodes/store-forward/store-forward");

describe("store-forward: a storage folder under /proc", () => {
  before(() => init());
  afterEach(() => unload());

  it("is refused with a red status and errors to Catch naming the reason; the runtime stays responsive", async () => {
    const flow: Msg[] = [
      { id: "tab", type: "tab" },
      { id: "sf", z: "tab", type: "store-forward", dir: "/proc/x", wires: [[], []] },
      ...catchAndComplete("sf"),
      { id: "echo", z: "tab", type: "change", rules: [{ t: "set", p: "topic", pt: "msg", to: "alive", tot: "str" }], wires: [["echo-out"]] },
      { id: "echo-out", z: "tab", type: "helper", wires: [] },
    ];
    const got = capture(["sf-caught", "sf-done", "echo-out"]);
    // Every status the node reports, the one set in its constructor included (the runtime's node-status event).
    const statuses: Msg[] = [];
    const onStatus = (e: { id: string; status: Msg }) => {
      if (e.id === "sf") statuses.push(e.status);
    };
    events.on("node-status", onStatus);
    await load([storeForward as unknown as typeof core.catch, core.catch, core.complete, core.change], flow);
    try {
      for (let k = 0; k < 3; k++) getNode("sf").receive({ payload: { v: k } });
      await waitFor(() => got["sf-caught"].length === 3, "three inputs caught");
      for (const m of got["sf-caught"]) assert.match(String(m.error?.message), /could not start: .*\/proc\/x.*kernel file system/);
      assert.equal(got["sf-done"].length, 0, "Complete never fires for a refused input");
      assert.equal(statuses[statuses.length - 1]?.fill, "red", `a red status (statuses: ${JSON.stringify(statuses)})`);
      getNode("echo").receive({ payload: 1 });
      await waitFor(() => got["echo-out"].length === 1, "the other node answers");
      assert.equal(got["echo-out"][0].topic, "alive");
    } finally {
      got.dispose();
      events.off("node-status", onStatus);
    }
  });
});
