// msg.command: recognised case-insensitively, an unknown one refused with the locale's message, and each
// applied to the forwarder.
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { COMMANDS, CommandError, applyCommand, parseCommand, type CommandTarget } from "../../../nodes/store-forward/commands";

function fake() {
  const calls: string[] = [];
  const target: CommandTarget = {
    setOnline: (on: boolean) => void calls.push(on ? "online" : "offline"),
    pause: () => void calls.push("pause"),
    resume: () => void calls.push("resume"),
    flush: () => void calls.push("flush"),
    purge: () => (calls.push("purge"), 7),
    metrics: () => (calls.push("metrics"), { depth: 0 }),
  };
  return { calls, target };
}

describe("store-forward commands", () => {
  it("a string msg.command is a command, any case, spaces ignored; anything else is not one", () => {
    assert.equal(parseCommand({ command: " Pause " }), "pause");
    assert.equal(parseCommand({ command: "STATS" }), "stats");
    assert.equal(parseCommand({ payload: 1 }), undefined);
    assert.equal(parseCommand({ command: { write: 1 } }), undefined, "an object is data");
  });

  it("an unknown command is refused with the locale's message, naming it", () => {
    const locale = JSON.parse(fs.readFileSync(path.join(__dirname, "../../../nodes/store-forward/locales/en-US/store-forward.json"), "utf8"));
    assert.throws(() => parseCommand({ command: "reboot" }), (err: unknown) => {
      assert.ok(err instanceof CommandError);
      assert.equal(err.key, "store-forward.errors.command");
      assert.deepEqual(err.params, { command: "reboot" });
      assert.equal(err.message, locale["store-forward"].errors.command.replace("__command__", "reboot"));
      return true;
    });
  });

  it("each command calls the forwarder; stats and purge give the metrics to send, purge the count", () => {
    const expected: Record<string, string[]> = {
      pause: ["pause"], resume: ["resume"], flush: ["flush"], online: ["online"], offline: ["offline"], stats: ["metrics"], purge: ["purge", "metrics"],
    };
    for (const c of COMMANDS) {
      const { calls, target } = fake();
      const r = applyCommand(target, c);
      assert.deepEqual(calls, expected[c], c);
      assert.equal(r.command, c);
      assert.equal(r.stats !== undefined, c === "stats" || c === "purge", c);
      assert.equal(r.purged, c === "purge" ? 7 : undefined);
    }
  });
});
