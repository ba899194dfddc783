// Backlogs left on disk by deleted or re-imported nodes: found by folder, with their size; live nodes'
// folders (by id or by an adopted dir) and empty folders are not orphans.
import { afterEach, describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Journal } from "../../../nodes/store-forward/journal";
import { findOrphans, storageDirName } from "../../../nodes/store-forward/orphans";

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) fs.rmSync(dirs.pop() as string, { recursive: true, force: true });
});

async function backlog(dir: string, n: number): Promise<void> {
  const j = Journal.open({ dir, durability: "os", syncIntervalMs: 5, segmentBytes: 1 << 20, maxBytes: 1e9, maxRecords: 1e9, maxAgeMs: 1e12, overflow: "drop-oldest" });
  await Promise.all(Array.from({ length: n }, (_, i) => j.append(1, "", Buffer.from(JSON.stringify({ payload: { i } })))));
  await j.close();
}

describe("store-forward orphaned backlogs", () => {
  it("finds the folders with stored records that belong to no live node, with their size", async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "sf-orphans-"));
    dirs.push(base);
    await backlog(path.join(base, "dead1"), 20);
    await backlog(path.join(base, storageDirName("live:1")), 5);
    await backlog(path.join(base, "adopted"), 3);
    fs.mkdirSync(path.join(base, "empty", "p1"), { recursive: true });
    fs.writeFileSync(path.join(base, "stray.txt"), "x");
    const found = await findOrphans(base, ["live:1", "other"], [path.join(base, "adopted")]);
    assert.deepEqual(found.map((o) => o.name), ["dead1"]);
    assert.equal(found[0].dir, path.join(base, "dead1"));
    assert.ok(found[0].segments >= 1);
    assert.ok(found[0].bytes >= 20 * 10, `size on disk (${found[0].bytes})`);
    assert.ok(found[0].modifiedAt > 0);
    assert.equal(storageDirName("live:1"), "live_1");
  });

  it("a missing base folder gives none", async () => {
    assert.deepEqual(await findOrphans(path.join(os.tmpdir(), "sf-orphans-none-" + process.pid), []), []);
  });
});
