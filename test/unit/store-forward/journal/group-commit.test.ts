import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { Journal } from "../../../../nodes/store-forward/journal";
import { tmp, opts, fill } from "./helpers";

describe("journal: group commit and durability", () => {
  it("each durability mode resolves appends, and data written in each survives reopening", async () => {
    for (const durability of ["always", "batch", "os"] as const) {
      const dir = tmp();
      let j = Journal.open(opts(dir, { durability }));
      await fill(j, 50);
      await j.close();
      j = Journal.open(opts(dir, { durability }));
      assert.equal(j.recovery.records, 50, durability);
      await j.close();
    }
  });
});
