import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Journal } from "../../../../nodes/store-forward/journal";
import { data, drain, opts, tmp } from "./helpers";

describe("journal: one journal per folder", () => {
  // Issue 7, item 2: two nodes on one dir corrupted each other (999 of 2,000 readings never delivered).
  it("a second journal on the same folder is refused with an error naming the owner; after close it opens", async () => {
    const dir = tmp();
    const a = Journal.open({ ...opts(dir), owner: "node-a" });
    await a.append(1, "x", data(1));
    assert.throws(() => Journal.open({ ...opts(dir), owner: "node-b" }), /in use by node node-a \(process \d+/);
    assert.throws(() => Journal.open(opts(path.join(dir, "."))), /in use by node node-a/, "the same folder by another spelling");
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "lock"), "utf8")).owner, "node-a");
    await a.close();
    assert.equal(fs.existsSync(path.join(dir, "lock")), false, "released on close");
    const b = Journal.open({ ...opts(dir), owner: "node-b" });
    assert.deepEqual(drain(b), [1]);
    await b.close();
  });

  it("a lock left by a process that is gone is taken over", async () => {
    const dir = tmp();
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
    fs.writeFileSync(path.join(dir, "lock"), JSON.stringify({ pid: dead, owner: "old" }));
    const j = Journal.open({ ...opts(dir), owner: "new" });
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "lock"), "utf8")).owner, "new");
    await j.close();
  });
});
