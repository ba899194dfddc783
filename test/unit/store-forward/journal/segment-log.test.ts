import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { Journal } from "../../../../nodes/store-forward/journal";
import { tmp, opts, data, idx, fill, drain, settle } from "./helpers";

describe("journal: the segment log: order and reading", () => {
  it("hands records out P0 first, oldest first within a priority, and forgets them only on ack", async () => {
    const j = Journal.open(opts(tmp()));
    await j.append(2, "a", data(1));
    await j.append(1, "b", data(2));
    await j.append(0, "c", data(3));
    await j.append(1, "d", data(4));
    const r = j.next();
    assert.ok(r);
    assert.equal(r.priority, 0);
    assert.equal(r.key, "c");
    assert.deepEqual(drain(j, false), [2, 4, 1]);
    assert.equal(j.depth, 4, "nothing acknowledged yet");
    assert.equal(j.ack(r.id), true);
    assert.equal(j.ack(r.id), false, "a second ack is ignored");
    assert.equal(j.depth, 3);
    await j.close();
  });

  it("a record that starts a new segment while the last one is out is still handed out once the old segment is deleted", async () => {
    const j = Journal.open(opts(tmp(), { segmentBytes: 1000 }));
    await fill(j, 60);
    const out = Array.from({ length: 60 }, () => j.next()!);
    for (const r of out.slice(0, 59)) j.ack(r.id);
    await j.append(1, "k60", data(60)); // the last segment is full: this one starts a new one
    j.ack(out[59].id); // the head reaches the end of the old segment
    await settle(); // the cursor is written and the delivered segments are deleted
    const r = j.next();
    assert.ok(r, "the new record is handed out");
    assert.equal(idx(r.data), 60);
    await j.close();
  });
});
