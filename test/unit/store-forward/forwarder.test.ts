// The forwarder's timing logic on a fake clock: the token bucket that paces replay, the window, ack
// timeouts, the jittered exponential backoff, nacks and flush. Deterministic: time only moves when the
// test advances the fake clock (the journal underneath is real, on a temporary directory).
import { afterEach, describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { FRESH_MAX, FRESH_MAX_BYTES, Forwarder, replayRate, type ForwarderOptions, type Msg } from "../../../nodes/store-forward/forwarder";

class FakeClock {
  t = 1_700_000_000_000;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private seq = 0;
  now = () => this.t;
  setTimer = (fn: () => void, ms: number) => {
    const id = ++this.seq;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimer = (id: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== id);
  };
  /** Move time on by `ms`, firing due timers in order (timers they set fire too, if due). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.clearTimer(due.id);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = end;
  }
}

const dirs: string[] = [];
const forwarders: Forwarder[] = [];
afterEach(async () => {
  while (forwarders.length) await (forwarders.pop() as Forwarder).close();
  while (dirs.length) fs.rmSync(dirs.pop() as string, { recursive: true, force: true });
});

function make(opts: Partial<ForwarderOptions> = {}, random = 1, journal: { maxRecords?: number } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sf-fwd-"));
  dirs.push(dir);
  const clock = new FakeClock();
  const sent: (Msg & { at: number })[] = [];
  const alerts: Record<string, unknown>[] = [];
  const fwd = new Forwarder(
    { dir, durability: "os", syncIntervalMs: 5, segmentBytes: 1 << 20, maxBytes: 1e9, maxRecords: 1e9, maxAgeMs: 1e12, overflow: "drop-oldest", now: clock.now, ...journal },
    {
      nodeId: "sf", batchSize: 1, window: 1000, ackTimeoutMs: 1e9, backoffMs: 100, maxBackoffMs: 400, rateMsgs: 0, rateBytes: 0,
      keyProperty: "", watermarks: [50, 75, 90], degradeAt: 95, staleAfterMs: 1e12, ...opts,
    },
    { send: (m) => sent.push({ ...m, at: clock.t }), alert: (a) => alerts.push(a), now: clock.now, random: () => random, setTimer: clock.setTimer, clearTimer: clock.clearTimer },
  );
  forwarders.push(fwd);
  const store = (from: number, n: number) =>
    Promise.all(Array.from({ length: n }, (_, k) => fwd.store({ payload: { deviceId: "d", timestamp: `t${String(from + k).padStart(5, "0")}`, v: "x".repeat(60) } })));
  const ack = (m: Msg) => fwd.handleReturn({ _sf: m._sf });
  return { fwd, clock, sent, alerts, store, ack };
}
const sf = (m: Msg) => m._sf as { key: string; attempt: number; id: string };

describe("forwarder", () => {
  it("without a rate limit, a backlog is replayed at once (up to the window)", async () => {
    const { fwd, sent, store } = make();
    fwd.setOnline(false);
    await store(0, 200);
    assert.equal(sent.length, 0, "nothing is sent while offline");
    fwd.setOnline(true);
    assert.equal(sent.length, 200);
  });

  it("rateMsgs paces the replay: a full bucket at once, then rateMsgs per second", async () => {
    const { fwd, clock, sent, store } = make({ rateMsgs: 20 });
    fwd.setOnline(false);
    await store(0, 200);
    fwd.setOnline(true);
    assert.equal(sent.length, 20, "the bucket holds one second's worth");
    clock.advance(5000);
    assert.ok(Math.abs(sent.length - (20 + 5 * 20)) <= 1, `20 + 100 after 5 s of fake time, got ${sent.length}`);
    clock.advance(5000);
    assert.equal(sent.length, 200, "all of it after 10 s");
    // Oldest first, each once.
    assert.deepEqual(sent.map((m) => sf(m).key), Array.from({ length: 200 }, (_, i) => `d/t${String(i).padStart(5, "0")}`));
    // Over any fake second, at most rateMsgs (+1 for the bucket's edge) go out after the first burst.
    for (let s = 1; s < 9; s++) {
      const from = sent[0].at + s * 1000;
      assert.ok(sent.filter((m) => m.at >= from && m.at < from + 1000).length <= 21);
    }
  });

  it("rateMsgs under 1 works: 0.5 is one message every 2 s", async () => {
    const { fwd, clock, sent, store } = make({ rateMsgs: 0.5 });
    fwd.setOnline(false);
    await store(0, 5);
    fwd.setOnline(true);
    assert.equal(sent.length, 1, "the bucket holds one message");
    clock.advance(1999);
    assert.equal(sent.length, 1);
    clock.advance(1);
    assert.equal(sent.length, 2);
    clock.advance(6000);
    assert.equal(sent.length, 5);
    assert.deepEqual(sent.slice(1).map((m, i) => m.at - sent[i].at), [2000, 2000, 2000, 2000]);
  });

  it("live traffic that finds nothing waiting is not paced; the same rate paces the backlog after an outage", async () => {
    const { fwd, clock, sent, store, ack } = make({ rateMsgs: 2, window: 5 });
    for (let i = 0; i < 30; i++) {
      await store(i, 1);
      ack(sent[sent.length - 1]);
    }
    assert.equal(sent.length, 30, "30 live messages at once, above 2 msg/s");
    assert.equal(fwd.replaying, false);
    fwd.setOnline(false);
    await store(100, 10);
    fwd.setOnline(true);
    assert.equal(fwd.replaying, true);
    assert.equal(sent.length, 32, "the backlog: a bucket's worth (2) at once");
    for (const m of sent.slice(30)) ack(m);
    clock.advance(1000);
    assert.equal(sent.length, 34, "then 2 per second");
    for (let i = 0; i < 6; i++) {
      for (const m of sent.slice(-2)) ack(m);
      clock.advance(1000);
    }
    assert.equal(sent.length, 40);
    for (const m of sent.slice(-2)) ack(m);
    clock.advance(1000);
    assert.equal(fwd.replaying, false, "the backlog is drained");
    await store(200, 5);
    assert.equal(sent.length, 45, "live again: straight through");
  });

  it("replayRate: the pace of a replay for the editor, and which setting binds", () => {
    assert.deepEqual(replayRate({ rateMsgs: 0, rateBytes: 12_500 }, 250), { msgsPerSecond: 50, recordsPerSecond: 50, limitedBy: "rateBytes" });
    assert.deepEqual(replayRate({ rateMsgs: 10, rateBytes: 12_500 }, 250), { msgsPerSecond: 10, recordsPerSecond: 10, limitedBy: "rateMsgs" });
    assert.deepEqual(replayRate({ rateMsgs: 0.5, rateBytes: 0, batchSize: 20 }, 250), { msgsPerSecond: 0.5, recordsPerSecond: 10, limitedBy: "rateMsgs" });
    assert.deepEqual(replayRate({ rateMsgs: 0, rateBytes: 12_500, batchSize: 10 }, 250), { msgsPerSecond: 5, recordsPerSecond: 50, limitedBy: "rateBytes" });
    assert.deepEqual(replayRate({ rateMsgs: 0, rateBytes: 0 }, 250), { msgsPerSecond: Infinity, recordsPerSecond: Infinity, limitedBy: "none" });
  });

  it("_sf marks a replayed message: replay true from a backlog or on a resend, false live; every other field stays", async () => {
    const { fwd, clock, sent, store, ack } = make({ ackTimeoutMs: 1000, backoffMs: 10, maxBackoffMs: 10 });
    await store(0, 1);
    const live = sent[0]._sf as Record<string, unknown>;
    assert.deepEqual(Object.keys(live).sort(), ["attempt", "id", "key", "node", "replay", "storedAt"]);
    assert.equal(live.replay, false);
    assert.equal(live.attempt, 1);
    assert.equal(live.storedAt, new Date(clock.t).toISOString());
    clock.advance(1010); // no ack: resent
    assert.deepEqual({ ...(sent[1]._sf as Msg) }, { ...live, attempt: 2, replay: true });
    ack(sent[1]);
    fwd.setOnline(false);
    clock.advance(60_000);
    await store(1, 2);
    fwd.setOnline(true);
    assert.deepEqual(sent.slice(2).map((m) => (m._sf as Msg).replay), [true, true]);
    assert.equal((sent[2]._sf as Msg).storedAt, new Date(clock.t).toISOString());
    for (const m of sent.slice(2)) ack(m);
    await store(3, 1);
    assert.equal((sent[4]._sf as Msg).replay, false, "live again once the backlog is drained");
  });

  it("rateBytes paces the replay by size", async () => {
    const { fwd, clock, sent, store } = make({ rateBytes: 2000 });
    fwd.setOnline(false);
    await store(0, 300);
    const size = Buffer.byteLength(JSON.stringify({ payload: { deviceId: "d", timestamp: "t00000", v: "x".repeat(60) } }));
    fwd.setOnline(true);
    const burst = sent.length;
    assert.ok(burst >= 1 && burst <= Math.ceil(2000 / size) + 1, `a bucket's worth at once (${burst})`);
    clock.advance(10_000);
    const perSecond = (sent.length - burst) / 10;
    assert.ok(Math.abs(perSecond - 2000 / size) <= 1.5, `about ${(2000 / size).toFixed(1)} messages/s, got ${perSecond}`);
  });

  it("batches: payload is the array of stored payloads, _sf.ids and _sf.keys list the records, one ack releases them all", async () => {
    const { fwd, sent, store, ack } = make({ batchSize: 3, window: 1 });
    fwd.setOnline(false);
    await store(0, 7);
    fwd.setOnline(true);
    assert.equal(sent.length, 1, "one message in the window");
    const first = sent[0]._sf as { ids: string[]; keys: string[]; id: string; key: string };
    assert.equal((sent[0].payload as unknown[]).length, 3);
    assert.deepEqual((sent[0].payload as { timestamp: string }[]).map((p) => p.timestamp), ["t00000", "t00001", "t00002"]);
    assert.deepEqual(first.keys, ["d/t00000", "d/t00001", "d/t00002"]);
    assert.equal(first.ids.length, 3);
    assert.equal(first.id, first.ids[0]);
    assert.equal(first.key, first.keys[0]);
    ack(sent[0]);
    assert.equal(fwd.journal.depth, 4);
    assert.equal(sent.length, 2);
    ack(sent[1]);
    ack(sent[2]);
    assert.deepEqual((sent[2].payload as unknown[]).length, 1, "the rest");
    assert.equal(fwd.journal.depth, 0);
    assert.equal(fwd.metrics().acked, 7);
  });

  it("a batch whose first record was evicted while out is still released by its ack", async () => {
    const { fwd, sent, store, ack } = make({ batchSize: 2, window: 1 }, 1, { maxRecords: 3 });
    fwd.setOnline(false);
    await store(0, 2);
    fwd.setOnline(true);
    assert.equal(sent.length, 1);
    await store(2, 2); // the fourth record evicts the oldest, the first of the batch that is out
    assert.equal(fwd.journal.depth, 3);
    ack(sent[0]);
    assert.equal(fwd.journal.depth, 2, "the batch's remaining record is released");
    assert.equal(sent.length, 2, "the next batch goes out");
    assert.deepEqual((sent[1]._sf as { keys: string[] }).keys, ["d/t00002", "d/t00003"]);
    ack(sent[1]);
    assert.equal(fwd.journal.depth, 0);
  });

  it("the window bounds unacknowledged messages; an ack lets the next one out and releases its record", async () => {
    const { fwd, sent, store, ack } = make({ window: 3 });
    await store(0, 10);
    assert.equal(sent.length, 3);
    ack(sent[1]);
    assert.equal(sent.length, 4);
    assert.equal(fwd.journal.depth, 9, "only the acked record is released");
    assert.equal(fwd.handleReturn({ _sf: { ...(sent[0]._sf as Msg), node: "other" } }), false, "another node's message is not ours");
    assert.equal(fwd.journal.depth, 9);
  });

  it("no ack: resent after the ack timeout with a jittered exponential backoff capped at retryMax", async () => {
    for (const [random, factor] of [[1, 1], [0, 0.5]]) {
      const { clock, sent, store } = make({ ackTimeoutMs: 1000, backoffMs: 100, maxBackoffMs: 400 }, random);
      await store(0, 1);
      clock.advance(20_000);
      const attempts = sent.map((m) => sf(m).attempt);
      assert.deepEqual(attempts.slice(0, 6), [1, 2, 3, 4, 5, 6]);
      const gaps = sent.slice(1, 6).map((m, i) => m.at - sent[i].at);
      // ack timeout, then 100, 200, 400, 400 (capped) × (0.5 + 0.5 × random)
      assert.deepEqual(gaps, [100, 200, 400, 400, 400].map((b) => 1000 + b * factor), `random ${random}`);
      assert.ok(sent.every((m) => sf(m).key === "d/t00000"));
    }
  });

  it("a nack resends after the backoff, not after the ack timeout; an ack of the resend releases the record", async () => {
    const { fwd, clock, sent, store, ack } = make({ ackTimeoutMs: 60_000, backoffMs: 100 });
    await store(0, 1);
    clock.advance(10);
    assert.equal(fwd.handleReturn({ _sf: sent[0]._sf, error: { message: "publish failed" } }), true);
    assert.equal(fwd.metrics().nacked, 1);
    clock.advance(99);
    assert.equal(sent.length, 1, "not before the backoff");
    clock.advance(1);
    assert.equal(sent.length, 2);
    assert.equal(sf(sent[1]).attempt, 2);
    assert.equal(fwd.journal.depth, 1, "a nack does not release");
    ack(sent[1]);
    assert.equal(fwd.journal.depth, 0);
    clock.advance(120_000);
    assert.equal(sent.length, 2, "nothing more after the ack: its timers are gone");
  });

  it("a record attempted stuckAfter times raises one stuck alert with its key and last error", async () => {
    const { fwd, clock, sent, alerts, store } = make({ ackTimeoutMs: 1000, backoffMs: 10, maxBackoffMs: 10, stuckAfter: 3 });
    await store(0, 2);
    fwd.handleReturn({ _sf: sent[1]._sf }); // the second is acked
    const nack = (m: Msg) => fwd.handleReturn({ _sf: m._sf, error: { message: "broker refused", source: { id: "mqtt1", type: "mqtt out" } } });
    nack(sent[0]);
    clock.advance(10);
    nack(sent[2]);
    clock.advance(10);
    assert.equal(sf(sent[3]).attempt, 3);
    assert.deepEqual(alerts.filter((a) => a.alert === "stuck"), [], "not before the third attempt failed");
    clock.advance(1000); // the third attempt times out
    const stuck = alerts.filter((a) => a.alert === "stuck");
    assert.equal(stuck.length, 1);
    assert.deepEqual({ ...stuck[0], percentFull: undefined, depth: undefined }, { alert: "stuck", key: "d/t00000", id: sf(sent[0]).id, attempts: 3, lastError: "no ack within 1 s", percentFull: undefined, depth: undefined });
    for (let i = 0; i < 5; i++) {
      nack(sent[sent.length - 1]);
      clock.advance(10);
    }
    assert.equal(alerts.filter((a) => a.alert === "stuck").length, 1, "once");
    assert.ok(sf(sent[sent.length - 1]).attempt >= 8);
  });

  it("stuckAfter defaults to 10 attempts; the alert carries the last nack's message", async () => {
    const { fwd, clock, sent, alerts, store } = make({ backoffMs: 10, maxBackoffMs: 10 });
    await store(0, 1);
    for (let i = 0; i < 9; i++) {
      fwd.handleReturn({ _sf: sent[sent.length - 1]._sf, error: { message: `fail ${i}` } });
      clock.advance(10);
    }
    assert.equal(alerts.filter((a) => a.alert === "stuck").length, 0);
    fwd.handleReturn({ _sf: sent[sent.length - 1]._sf, error: { message: "fail 9" } });
    const stuck = alerts.filter((a) => a.alert === "stuck");
    assert.equal(stuck.length, 1);
    assert.equal(stuck[0].attempts, 10);
    assert.equal(stuck[0].lastError, "fail 9");
  });

  it("a stored message that carried msg.error is acked when it comes back with that same error; a Catch node's new error is a nack", async () => {
    const { fwd, clock, sent } = make({ ackTimeoutMs: 60_000, backoffMs: 100 });
    const own = { message: "over-temperature alarm", source: { id: "catch-meters", type: "catch", count: 1 } };
    await fwd.store({ topic: "alarm", payload: { deviceId: "d", timestamp: "t1" }, error: own });
    await fwd.store({ topic: "alarm", payload: { deviceId: "d", timestamp: "t2" }, error: own });
    assert.equal(sent.length, 2);
    assert.deepEqual(sent[0].error, own, "the stored error goes out with the message");
    // A Complete node returns a deep copy: the same error, not a new one.
    assert.equal(fwd.handleReturn(structuredClone({ ...sent[0] })), true);
    assert.equal(fwd.journal.depth, 1, "acked");
    // The transport failed: its Catch node replaces msg.error and keeps the old one in msg._error.
    const caught = { ...structuredClone(sent[1]), _error: structuredClone(own), error: { message: "publish failed", source: { id: "mqtt-out", type: "mqtt out", count: 1 } } };
    fwd.handleReturn(caught);
    const m = fwd.metrics();
    assert.equal(m.nacked, 1);
    assert.equal(m.acked, 1);
    clock.advance(100);
    assert.equal(sent.length, 3, "the nacked one is resent");
    assert.deepEqual(sent[2].error, own);
    fwd.handleReturn(structuredClone({ ...sent[2] }));
    assert.equal(fwd.journal.depth, 0);
  });

  it("a nack for a message already acknowledged is not counted and resends nothing", async () => {
    const { fwd, clock, sent, store, ack } = make({ backoffMs: 100 });
    await store(0, 1);
    ack(sent[0]);
    assert.equal(fwd.handleReturn({ _sf: sent[0]._sf, error: { message: "late failure" } }), true);
    assert.equal(fwd.metrics().nacked, 0);
    clock.advance(10_000);
    assert.equal(sent.length, 1);
  });

  it("after close, a store is refused with a reason and a return is ignored quietly", async () => {
    const { fwd, sent, store } = make();
    await store(0, 1);
    await fwd.close();
    await assert.rejects(fwd.store({ payload: { deviceId: "d", timestamp: "t9" } }), /store-forward is closed/);
    assert.equal(fwd.handleReturn({ _sf: sent[0]._sf }), true, "ours, ignored");
    assert.equal(fwd.handleReturn({ _sf: sent[0]._sf, error: { message: "x" } }), true);
  });

  it("flush sends what waits for a retry now, and refills the token bucket", async () => {
    const { fwd, clock, sent, store } = make({ ackTimeoutMs: 60_000, backoffMs: 1000, maxBackoffMs: 300_000, rateMsgs: 2 });
    fwd.setOnline(false);
    await store(0, 10);
    fwd.setOnline(true);
    assert.equal(sent.length, 2, "the bucket: 2 messages");
    fwd.handleReturn({ _sf: sent[0]._sf, error: "x" });
    fwd.flush();
    assert.equal(sent.length, 4, "the nacked record and one more, with a full bucket");
    assert.equal(sf(sent[2]).key, sf(sent[0]).key, "the retry goes first");
    assert.equal(sf(sent[2]).attempt, 2);
    clock.advance(0);
    assert.equal(sent.length, 4);
  });

  it("a Buffer payload (and Buffers inside the payload) is sent as a Buffer, on the first send and on a replay", async () => {
    const { fwd, clock, sent, ack } = make({ ackTimeoutMs: 1000 });
    const bytes = Buffer.from([0x01, 0x02, 0xff]);
    await fwd.store({ topic: "raw", payload: bytes });
    await fwd.store({ payload: { frame: Buffer.from("ab"), n: 1 } });
    clock.advance(1500); // no ack: both are sent again after the timeout and the backoff
    assert.equal(sent.length, 4);
    for (const m of [sent[0], sent[2]]) {
      assert.ok(Buffer.isBuffer(m.payload), "a Buffer, not {type, data}");
      assert.deepEqual(m.payload, bytes);
    }
    for (const m of [sent[1], sent[3]]) assert.ok(Buffer.isBuffer((m.payload as { frame: unknown }).frame));
    ack(sent[2]);
    ack(sent[3]);
    assert.equal(fwd.journal.depth, 0);
  });

  it("a message that cannot be stored (a function, a BigInt, a cycle) is refused with an error naming the property", async () => {
    const { fwd } = make();
    await assert.rejects(fwd.store({ payload: { deviceId: "d", timestamp: "t", cb: () => 1 } }), /msg\.payload\.cb is a function/);
    await assert.rejects(fwd.store({ payload: 10n }), /msg\.payload is a BigInt/);
    const cyc: Msg = { payload: 1 };
    cyc.self = cyc;
    await assert.rejects(fwd.store(cyc), /msg\.self is a circular reference/);
    assert.equal(fwd.journal.depth, 0, "nothing stored");
  });

  it("what was just stored is sent without reading it back, equal to what the store holds; records evicted before their turn are skipped", async () => {
    const { fwd, sent, ack } = make({ window: 100 }, 1, { maxRecords: 3 });
    const msg = (i: number) => ({ topic: `m${i}`, payload: { deviceId: "d", timestamp: `t${i}`, v: [i, { deep: i }] } });
    await fwd.store(msg(0));
    assert.deepEqual({ ...sent[0], at: undefined, _sf: undefined }, { ...msg(0), at: undefined, _sf: undefined });
    ack(sent[0]);
    fwd.setOnline(false);
    for (let i = 1; i <= 6; i++) await fwd.store(msg(i)); // 1..3 are evicted (max 3 records) before they are sent
    fwd.setOnline(true);
    assert.deepEqual(sent.slice(1).map((m) => m.topic), ["m4", "m5", "m6"]);
    assert.deepEqual(sent.slice(1).map((m) => m.payload), [4, 5, 6].map((i) => msg(i).payload));
    for (const m of sent.slice(1)) ack(m);
    await fwd.store(msg(7));
    assert.deepEqual(sent[4].payload, msg(7).payload);
    assert.equal(fwd.journal.depth, 1);
  });

  it("every message out has its own ack timeout, on one timer", async () => {
    const { fwd, clock, sent, store, ack } = make({ ackTimeoutMs: 1000, backoffMs: 100, maxBackoffMs: 100 });
    await store(0, 1);
    clock.advance(400);
    await store(1, 1);
    ack(sent[0]);
    clock.advance(599);
    assert.equal(sent.length, 2, "the acked one does not time out");
    clock.advance(801); // the second times out at 1400, resent at 1500
    assert.equal(sent.length, 3);
    assert.equal(sf(sent[2]).key, "d/t00001");
    assert.equal(sent[2].at - sent[1].at, 1100);
    assert.equal(fwd.metrics().timeouts, 1);
  });

  it("pause and offline hold everything back; resume and online let it go", async () => {
    const { fwd, sent, store } = make();
    fwd.pause();
    await store(0, 5);
    assert.equal(sent.length, 0);
    fwd.resume();
    assert.equal(sent.length, 5);
    fwd.setOnline(false);
    await store(5, 5);
    assert.equal(sent.length, 5);
    fwd.setOnline(true);
    assert.equal(sent.length, 10);
  });

  it("a backlog larger than the keep goes out with its oldest messages as kept, not parsed back; the keep is bounded by count and by bytes", async () => {
    const { fwd, sent } = make({ window: 5000 });
    fwd.setOnline(false);
    const payloads = Array.from({ length: FRESH_MAX + 200 }, (_, k) => ({ deviceId: "d", timestamp: `t${k}`, v: k }));
    await Promise.all(payloads.map((payload) => fwd.store({ payload })));
    fwd.setOnline(true);
    assert.equal(sent.length, payloads.length);
    // The kept message itself goes out (the same payload object); one parsed back from the store is an equal copy.
    assert.equal(sent[0].payload, payloads[0], "the oldest message of the backlog was kept");
    assert.equal(sent[FRESH_MAX - 1].payload, payloads[FRESH_MAX - 1]);
    assert.notEqual(sent[FRESH_MAX].payload, payloads[FRESH_MAX], "past the keep: parsed back from the store");
    sent.forEach((m, k) => assert.deepEqual(m.payload, payloads[k]));

    const big = make();
    big.fwd.setOnline(false);
    const heavy = Array.from({ length: 12 }, (_, k) => ({ deviceId: "d", timestamp: `t${k}`, v: "x".repeat(1 << 20) }));
    await Promise.all(heavy.map((payload) => big.fwd.store({ payload })));
    big.fwd.setOnline(true);
    const kept = big.sent.filter((m, k) => m.payload === heavy[k]).length;
    assert.equal(kept, Math.floor(FRESH_MAX_BYTES / (1 << 20)) - 1, "8 MiB of 1 MiB messages (each a little over 1 MiB stored)");
    assert.equal(big.sent[0].payload, heavy[0]);
    big.sent.forEach((m, k) => assert.deepEqual(m.payload, heavy[k]));

    // The byte bound is shared by the priorities: P0 alarms and P2 bulk together keep at most 8 MiB.
    const mixed = make();
    mixed.fwd.setOnline(false);
    const both = Array.from({ length: 12 }, (_, k) => ({ priority: k % 2 ? "P2" : "P0", payload: { deviceId: "d", timestamp: `t${k}`, v: "x".repeat(1 << 20) } }));
    await Promise.all(both.map((m) => mixed.fwd.store({ ...m })));
    mixed.fwd.setOnline(true);
    assert.equal(mixed.sent.filter((m) => both.some((b) => b.payload === m.payload)).length, Math.floor(FRESH_MAX_BYTES / (1 << 20)) - 1);
  });

  it("a canonical reading's default key is derived again, not stored: its record holds no key", async () => {
    const { fwd, sent, ack } = make();
    await fwd.store({ payload: { deviceId: "d", timestamp: "2026-02-08T14:15:00.000Z", measurements: {}, quality: "GOOD" } });
    assert.equal(sf(sent[0]).key, "d/2026-02-08T14:15:00.000Z");
    const other = make({ keyProperty: "payload.id" });
    await other.fwd.store({ payload: { id: 7, deviceId: "d", timestamp: "2026-02-08T14:15:00.000Z" } });
    assert.equal(sf(other.sent[0]).key, "7");
    ack(sent[0]);
    fwd.setOnline(false);
    await fwd.store({ payload: { deviceId: "e", timestamp: "2026-02-08T14:15:00.000Z" } });
    const r = (fwd.journal as unknown as { logs: { written: Map<number, { key: string }> }[] }).logs[1].written;
    assert.deepEqual([...r.values()].map((w) => w.key), [""]);
  });
});
