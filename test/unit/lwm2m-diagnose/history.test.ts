// The per-endpoint history survives a restart of the logic: saved as the node saves it (the shared StateFile's
// document), loaded into a new Diagnoser, the tree finds the same reboots, sawtooth and version change.
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Diagnoser, DEFAULT_RULES, type HistoryState } from "../../../nodes/lwm2m-diagnose";
import { StateFile } from "../../../nodes/shared/state-file";
import { conn, device, HOUR, snapshot, T0 } from "./fixtures";

describe("lwm2m-diagnose history", () => {
  it("reboots, memory samples and the firmware change survive a save and a load", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lwm2m-diagnose-"));
    try {
      const a = new Diagnoser({ ...DEFAULT_RULES });
      a.input(snapshot("ep", T0, device({ "3": "1.0", "10": 100 }), conn()), 0);
      for (let i = 1; i <= 3; i++) a.input(snapshot("ep", T0 + i * 6 * HOUR, device({ "3": "1.1", "10": 100 - 10 * i }), conn()), 0);
      a.input({ event: "registered", endpoint: "ep", at: T0 + 19 * HOUR }, 0);
      a.input({ event: "restarted", endpoint: "ep", at: T0 + 20 * HOUR }, 0);
      const file = new StateFile<HistoryState>({ dir, sync: false });
      file.changed(() => a.snapshot());
      file.close();

      const b = new Diagnoser({ ...DEFAULT_RULES });
      const loaded = new StateFile<HistoryState>({ dir, sync: false }).load();
      assert.ok(b.restore(loaded.state));
      const before = a.diagnose("ep", T0 + 21 * HOUR);
      const after = b.diagnose("ep", T0 + 21 * HOUR);
      assert.deepEqual(after, before);
      assert.equal(after?.reboots, 1);
      assert.equal(b.history("ep")?.firmware?.previous, "1.0");
      assert.equal(b.history("ep")?.memory.length, 4);
      // and the next restart counts on top of the restored ones
      b.input({ event: "restarted", endpoint: "ep", at: T0 + 22 * HOUR }, 0);
      assert.equal(b.diagnose("ep", T0 + 22 * HOUR)?.reboots, 2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a state of another format is not taken", () => {
    const d = new Diagnoser({ ...DEFAULT_RULES });
    assert.equal(d.restore({ format: 2, endpoints: {} }), false);
    assert.equal(d.restore(undefined), false);
  });

  it("beyond maxEndpoints, the endpoint seen longest ago is forgotten", () => {
    const d = new Diagnoser({ ...DEFAULT_RULES, maxEndpoints: 2 });
    d.input(snapshot("a", T0, device(), conn()), 0);
    d.input(snapshot("b", T0 + 1, device(), conn()), 0);
    d.input(snapshot("a", T0 + 2, device(), conn()), 0);
    d.input(snapshot("c", T0 + 3, device(), conn()), 0);
    assert.equal(d.size, 2);
    assert.ok(d.history("a") && d.history("c") && !d.history("b"));
  });
});
