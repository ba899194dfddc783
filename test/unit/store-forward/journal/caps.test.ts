import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { Journal, JournalFullError } from "../../../../nodes/store-forward/journal";
import { tmp, opts, data, fill, drain } from "./helpers";

describe("journal: caps and eviction", () => {
  it("drop-oldest evicts the lowest priority first, P0 only when nothing else is left", async () => {
    const j = Journal.open(opts(tmp(), { maxRecords: 5 }));
    await j.append(0, "alarm", data(100));
    await fill(j, 2, 2, 200);
    await fill(j, 2, 1, 0);
    await fill(j, 3, 1, 10); // 8 offered, cap 5: the two P2 and the oldest P1 go
    assert.equal(j.depth, 5);
    assert.deepEqual(j.stats().drops.overflow, 3);
    assert.deepEqual(drain(j), [100, 1, 10, 11, 12]);
    const k = Journal.open(opts(tmp(), { maxRecords: 2 }));
    await fill(k, 3, 0);
    assert.deepEqual(drain(k), [1, 2], "only P0 left: the oldest P0 goes");
    await j.close();
    await k.close();
  });

  it("drop-newest refuses the incoming record; reject refuses it with an error and drops nothing", async () => {
    const a = Journal.open(opts(tmp(), { maxRecords: 2, overflow: "drop-newest" }));
    await fill(a, 2);
    assert.deepEqual(await a.append(1, "x", data(9)), { accepted: false, reason: "overflow" });
    assert.deepEqual(drain(a), [0, 1]);
    const b = Journal.open(opts(tmp(), { maxBytes: 300, overflow: "reject" }));
    await fill(b, 3);
    await assert.rejects(b.append(1, "x", data(9)), JournalFullError);
    assert.equal(b.stats().drops.overflow, 0);
    assert.deepEqual(drain(b), [0, 1, 2]);
    await a.close();
    await b.close();
  });

  it("a record larger than the whole store is refused with an error under every policy, and nothing is evicted for it", async () => {
    for (const overflow of ["drop-oldest", "drop-newest", "reject"] as const) {
      const j = Journal.open(opts(tmp(), { maxBytes: 2048, overflow }));
      await j.append(0, "alarm", data(100));
      await fill(j, 5);
      await assert.rejects(j.append(2, "big", Buffer.alloc(3000, 0x61)), (err: Error) => err instanceof JournalFullError && /larger than the store/.test(err.message), overflow);
      assert.equal(j.depth, 6, overflow);
      assert.equal(j.stats().drops.overflow, 0, overflow);
      assert.deepEqual(drain(j), [100, 0, 1, 2, 3, 4], overflow);
      await j.close();
    }
  });

  it("expires records older than maxAge and purges on demand, counting each reason", async () => {
    let now = 1_000_000;
    const j = Journal.open(opts(tmp(), { maxAgeMs: 1000, now: () => now }));
    await fill(j, 3);
    now += 500;
    await fill(j, 2, 1, 3);
    now += 600; // the first three are 1100 ms old
    assert.equal(j.stats().oldestEnqueuedAt, 1_000_000);
    assert.equal(j.expire(), 3);
    assert.equal(j.stats().oldestEnqueuedAt, 1_000_500);
    assert.equal(j.purge(), 2);
    assert.deepEqual(j.stats().drops, { overflow: 0, expired: 3, purged: 2, "disk-full": 0, corrupt: 0 });
    assert.equal(j.next(), undefined);
    await j.close();
  });

  it("reports a record handed out and then evicted, so delivery can forget it", async () => {
    const j = Journal.open(opts(tmp(), { maxRecords: 2 }));
    await fill(j, 2);
    const out = j.next();
    const dropped: string[] = [];
    j.onDrop = (ids) => dropped.push(...ids);
    await j.append(1, "k2", data(2));
    assert.deepEqual(dropped, [out!.id]);
    assert.equal(j.ack(out!.id), false);
    assert.deepEqual(drain(j), [1, 2]);
    await j.close();
  });

  // Issue 7, item 5: with maxBytes of 256 MiB or more, a record over 256 MiB was accepted, could never be read
  // back, blocked its priority forever and was destroyed on restart.
  it("a record larger than a frame can address (256 MiB) is refused at append, and the journal goes on", async () => {
    const dir = tmp();
    const j = Journal.open(opts(dir, { maxBytes: 2 ** 30, durability: "os" }));
    await j.append(1, "a", data(1));
    const big = Buffer.allocUnsafe(256 * 1024 * 1024 - 20 + 1);
    await assert.rejects(j.append(1, "", big), (err: Error) => err instanceof JournalFullError && /larger than a stored record can be/.test(err.message));
    await j.append(1, "b", data(2));
    assert.deepEqual(drain(j), [1, 2]);
    await j.close();
  });
});
