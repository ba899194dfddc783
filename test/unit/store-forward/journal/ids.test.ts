// Record ids ("p<priority>-<seq>") as acks bring them back: read without a regular expression, and the append's
// result gives the number as well as the id.
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { Journal, parseId } from "../../../../nodes/store-forward/journal";
import { data, opts, tmp } from "./helpers";

describe("journal record ids", () => {
  it("parseId reads p0-, p1- and p2- followed by digits, and refuses anything else", () => {
    assert.equal(parseId("p1-0"), 0);
    assert.equal(parseId("p0-42"), 42);
    assert.equal(parseId("p2-9007199254740991"), 9007199254740991);
    assert.equal(parseId("p1-007"), 7);
    for (const bad of ["", "p1-", "p3-1", "q1-1", "p1_1", "p1-1a", "p1--1", "p1-1.5", "p1- 1", " p1-1", "p1-99999999999999999", "P1-1"]) assert.equal(parseId(bad), -1, bad);
    for (const bad of [5, null, undefined, { id: "p1-1" }]) assert.equal(parseId(bad as unknown as string), -1);
  });

  it("an append resolves with the id and its number; an ack takes the id, once, and refuses ids of no record", async () => {
    const j = Journal.open(opts(tmp()));
    try {
      const a = await j.append(1, "k0", data(0));
      const b = await j.append(2, "k1", data(1));
      assert.deepEqual([a.accepted, a.id, a.seq, b.id, b.seq], [true, "p1-1", 1, "p2-1", 1]);
      const r1 = j.next();
      const r2 = j.next();
      assert.deepEqual([r1?.id, r2?.id], ["p1-1", "p2-1"]);
      for (const bad of ["p1-2", "p0-1", "p1-", "x", 7 as unknown as string]) assert.equal(j.ack(bad), false, String(bad));
      assert.equal(j.ack("p1-1"), true);
      assert.equal(j.ack("p1-1"), false, "once");
      assert.equal(j.ack("p2-01"), true, "as the regular expression read it before: a leading zero names the same number");
      assert.equal(j.depth, 0);
    } finally {
      await j.close();
    }
  });
});
