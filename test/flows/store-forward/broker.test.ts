// store-forward with a real MQTT broker (aedes, in-process on 127.0.0.1): readings → store-forward → core
// mqtt out (QoS 1) → broker → core mqtt in → a counting receiver, with the ack loop (Complete), the link
// state (Status) and nacks (Catch) wired back. Times are compressed: ack timeout 1 s, retry 0.5 s, MQTT
// reconnect every 100 ms. No test asserts a duration; waits only bound how long a test may take.
import { after, afterEach, before, describe, it } from "mocha";
import assert from "node:assert/strict";
import { TestBroker } from "../../helpers/broker";
import {
  NODES, Observer, bothConnected, feed, feedSteadily, helper, keyOf, reading, removeTmpDirs, rxClient, sfFlow, sleep, tmpDir, waitFor, type FlowOptions, type Msg,
  initSf,
} from "../../helpers/sf-flow";

describe("store-forward through a real MQTT broker", () => {
  before(initSf);
  let broker: TestBroker;
  before(async () => {
    broker = await TestBroker.start();
    await new Promise<void>((r) => helper.startServer(r));
  });
  after(async () => {
    await helper.unload();
    await new Promise<void>((r) => helper.stopServer(r));
    await broker.close();
  });
  let obs: Observer;
  let stats: () => Promise<Msg>;
  afterEach(async () => {
    await helper.unload();
    obs?.dispose();
    await broker.up();
    removeTmpDirs();
  });

  /** Load the flow and wait until the receiver has subscribed and both clients are connected. */
  async function start(opts: Partial<FlowOptions> = {}): Promise<{ obs: Observer; dir: string; rx: string }> {
    const dir = opts.dir ?? tmpDir();
    const rx = opts.rxClient ?? rxClient();
    obs = new Observer();
    stats = () => obs.stats();
    await helper.load(NODES, sfFlow({ port: broker.port, dir, rxClient: rx, ...opts }));
    await waitFor(() => broker.subscribed.has(rx) && bothConnected(), "both MQTT clients connected, the receiver subscribed");
    return { obs, dir, rx };
  }

  const allArrived = (obs: Observer, keys: string[]) => () => obs.missing(keys).length === 0;

  it("passthrough: online and empty, a reading goes straight through and is released after the broker's ack", async () => {
    const { obs } = await start({ spy: true });
    const [key] = feed("m-pass", 0, 1);
    await waitFor(allArrived(obs, [key]), "the reading at the receiver");
    assert.deepEqual(obs.received[0], reading("m-pass", 0), "the payload arrives unchanged, with its original timestamp");
    assert.equal(obs.sent.length, 1);
    const sf = obs.sent[0]._sf as Msg;
    assert.equal(sf.node, "sf1");
    assert.equal(sf.key, key, "the idempotency key is deviceId/timestamp");
    assert.equal(sf.attempt, 1);
    await waitFor(async () => (await stats()).depth === 0, "depth 0 after the ack");
    const s = await stats();
    assert.equal(s.acked, 1);
    assert.equal(s.timeouts, 0);
    assert.equal(obs.duplicates, 0);
    // The record may be sent and acked before its batch is synced: upstream done() follows the sync.
    await waitFor(() => obs.stored.has(key), "upstream done() for the reading");
    assert.equal(obs.errors.length, 0);
  });

  it("a message that is not acknowledged is sent again with attempt 2 and stays stored", async () => {
    const { obs } = await start({ ack: false, spy: true });
    const [key] = feed("m-noack", 0, 1);
    await waitFor(() => obs.sent.length >= 2, "a second attempt");
    assert.deepEqual(obs.sent.slice(0, 2).map((m) => [m._sf.key, m._sf.attempt]), [[key, 1], [key, 2]]);
    assert.equal(obs.sent[0]._sf.id, obs.sent[1]._sf.id, "the same record");
    const s = await stats();
    assert.equal(s.depth, 1, "never released without an ack");
    assert.equal(s.acked, 0);
    assert.ok(s.timeouts >= 1);
    await waitFor(() => (obs.count.get(key) ?? 0) >= 2, "both copies at the receiver (at-least-once)");
  });

  it("a nack (mqtt out fails, its Catch wires msg.error back) resends the record before any ack timeout", async () => {
    // An unknown msg.action makes mqtt out call done(err) without publishing: a real transport error.
    const { obs } = await start({ spy: true, sf: { ackTimeout: "600" } });
    const [key] = feed("m-nack", 0, 1, { action: "not-an-action" });
    await waitFor(() => obs.sent.length >= 2, "a resend after the nack");
    assert.deepEqual(obs.sent.slice(0, 2).map((m) => [m._sf.key, m._sf.attempt]), [[key, 1], [key, 2]]);
    const s = await stats();
    assert.ok(s.nacked >= 1, "counted as a nack");
    assert.equal(s.timeouts, 0, "not a timeout: the ack timeout is 10 minutes");
    assert.equal(s.depth, 1, "a nack does not release the record");
    assert.equal(s.acked, 0);
    assert.equal(obs.received.length, 0);
    // A good reading still goes through beside it.
    const [good] = feed("m-nack", 1, 1);
    await waitFor(allArrived(obs, [good]), "the good reading");
  });

  it("outage: the broker stops for a while under steady traffic and starts again; every reading arrives, with its original timestamp", async () => {
    const { obs } = await start();
    const feeder = feedSteadily("m-out", 5);
    const keys = feeder.keys;
    await waitFor(() => obs.received.length >= 100, "traffic before the outage");
    await broker.down(); // mid-traffic: messages are in flight
    await waitFor(async () => (await stats()).online === false, "store-forward to see the link down (Status)");
    const atDown = keys.length;
    await sleep(1500); // longer than the ack timeout: whatever was in flight times out during the outage
    const s = await stats();
    assert.equal(s.online, false);
    assert.ok(keys.length - atDown >= 100, "readings kept coming during the outage");
    assert.ok(s.depth >= keys.length - atDown, `the outage's readings are buffered (depth ${s.depth})`);
    await broker.up();
    await waitFor(async () => (await stats()).online === true, "the link seen up");
    await sleep(300);
    await feeder.stop();
    await waitFor(allArrived(obs, keys), "every reading after the outage", 20_000, () => ({ missing: obs.missing(keys).length }));
    await waitFor(async () => (await stats()).depth === 0, "an empty buffer");
    const byKey = new Map(obs.received.map((p) => [keyOf(p), p]));
    for (let i = 0; i < keys.length; i++) assert.deepEqual(byKey.get(keys[i]), reading("m-out", i), `reading ${i} arrived unchanged`);
    // The broker stopped with both legs open, so the receiver's leg may redeliver what it had not acked yet
    // (QoS 1); what the publisher sent twice is what store-forward (or its MQTT client) resent.
    const fromPublisher = [...broker.ingress].filter(([k, c]) => c > 1 && k.includes('"m-out"')).length;
    console.log(`outage: ${keys.length} readings, ${keys.length - atDown} during the outage; ${obs.duplicates} duplicates at the receiver, ${fromPublisher} sent twice by the publisher; ${s.timeouts} ack timeouts`);
    assert.ok(fromPublisher <= 10, `at most the window in flight at the cut is sent twice (${fromPublisher})`);
    assert.equal(obs.errors.length, 0);
  });

  it("flapping: 20 cycles of uplink down and up under steady traffic, no loss, and duplicates at the receiver under 0.1%", async () => {
    // The uplink (a TCP link in front of the broker) flaps; the broker and the receiver stay up, so every
    // duplicate at the receiver comes from the sending side: store-forward's resends, or the MQTT client's
    // own QoS 1 retransmission after a reconnect of a PUBLISH the broker had taken but whose PUBACK the cut
    // lost (at-least-once: inherent to QoS 1, at most the messages in flight at the cut). Those are a few per
    // cut whatever the traffic, so the share depends on how much flows between cuts: a cycle here is 1,000
    // readings up (2 s at 500 readings/s), then 0.1-0.3 s down, far more often than a real uplink flaps.
    const link = await broker.link();
    try {
      const { obs } = await start({ pubPort: link.port, sf: { ackTimeout: "2" }, spy: true });
      const feeder = feedSteadily("m-flap", 4);
      const keys = feeder.keys;
      let buffered = 0;
      for (let c = 0; c < 20; c++) {
        const upTo = obs.received.length + 1000;
        await waitFor(() => obs.received.length >= upTo, "1,000 readings between the cuts", 30_000);
        await link.down();
        await waitFor(async () => (await stats()).online === false, "the link seen down");
        await sleep(100 + Math.random() * 200);
        if ((await stats()).depth > 10) buffered++;
        await link.up();
        await waitFor(async () => (await stats()).online === true, "the link seen up");
      }
      await feeder.stop();
      await waitFor(allArrived(obs, keys), "every reading", 30_000, () => ({ missing: obs.missing(keys).length, of: keys.length }));
      await waitFor(async () => (await stats()).depth === 0, "an empty buffer");
      const s = await stats();
      const sends = new Map<string, number>();
      for (const m of obs.sent) sends.set(m._sf.key, (sends.get(m._sf.key) ?? 0) + 1);
      let bySf = 0;
      for (const [k, c] of obs.count) bySf += Math.min(c - 1, (sends.get(k) ?? 1) - 1);
      const total = obs.duplicates;
      console.log(
        `flapping: ${keys.length} readings, ${link.cuts} cuts, ${total} duplicates at the receiver: ${bySf} from store-forward's resends, ` +
          `${total - bySf} from MQTT QoS 1 retransmission; ${s.timeouts} ack timeouts (messages mqtt out dropped while disconnected)`,
      );
      assert.equal(link.cuts, 20);
      assert.ok(buffered >= 15, `readings were buffered during the outages (${buffered} of 20)`);
      assert.deepEqual(obs.missing(keys), [], "no loss");
      assert.ok(total < keys.length * 0.001, `duplicates at the receiver: ${total} of ${keys.length} readings, must be under 0.1%`);
      assert.ok(bySf < keys.length * 0.001, `store-forward's own duplicates: ${bySf} of ${keys.length} readings`);
      assert.equal(obs.errors.length, 0);
    } finally {
      await helper.unload();
      await link.down();
    }
  });

  it("priorities: after an outage P0 is replayed first, then P1, then P2, oldest first within each", async () => {
    const link = await broker.link();
    try {
      const { obs } = await start({ pubPort: link.port });
      await link.down();
      await waitFor(async () => (await stats()).online === false, "the link seen down");
      const want: Record<string, string[]> = { P0: [], P1: [], P2: [] };
      for (let i = 0; i < 90; i++) {
        const p = ["P2", "P1", "P0"][i % 3];
        want[p].push(...feed(`m-${p.toLowerCase()}`, i, 1, { priority: p }));
      }
      await waitFor(() => obs.stored.size === 90, "all 90 stored");
      assert.deepEqual((await stats()).byPriority, { P0: 30, P1: 30, P2: 30 });
      await link.up();
      const all = [...want.P0, ...want.P1, ...want.P2];
      await waitFor(allArrived(obs, all), "every reading after the outage");
      assert.equal(obs.duplicates, 0);
      assert.deepEqual(obs.received.map(keyOf), all, "P0 first, then P1, then P2; oldest first within each");
    } finally {
      await helper.unload();
      await link.down();
    }
  });

  it("commands: pause/resume, offline/online, flush, purge, stats, and an unknown command", async () => {
    const { obs } = await start({ spy: true });
    const sf = helper.getNode("sf1");
    const cmd = (command: string) => sf.receive({ command });
    const quiet = () => sleep(300); // room for a message that should not go out to show up

    cmd("pause");
    const paused = feed("m-cmd", 0, 5);
    await waitFor(() => paused.every((k) => obs.stored.has(k)), "the readings stored while paused");
    await quiet();
    let s = await stats();
    assert.equal(s.paused, true);
    assert.equal(s.depth, 5);
    assert.equal(obs.sent.length, 0, "nothing is sent while paused");
    cmd("resume");
    await waitFor(allArrived(obs, paused), "the readings after resume");

    cmd("offline");
    const offline = feed("m-cmd", 5, 5);
    await waitFor(() => offline.every((k) => obs.stored.has(k)), "the readings stored while offline");
    await quiet();
    s = await stats();
    assert.equal(s.online, false);
    assert.equal(s.depth, 5);
    assert.equal(obs.sent.length, 5, "nothing is sent while offline");
    cmd("online");
    await waitFor(allArrived(obs, offline), "the readings after online");
    await waitFor(async () => (await stats()).depth === 0, "an empty buffer");

    // flush: a record that waits for its retry (after a nack, 0.5 s or more) goes out at once.
    const [nacked] = feed("m-cmd", 10, 1, { action: "not-an-action" });
    await waitFor(async () => (await stats()).waitingRetry === 1, "the nacked record waiting for its retry");
    const before = obs.sent.filter((m) => m._sf.key === nacked).length;
    cmd("flush");
    await stats(); // answered after flush has been handled
    const attempts = obs.sent.filter((m) => m._sf.key === nacked).map((m) => m._sf.attempt);
    assert.equal(attempts.length, before + 1, "flush sent the waiting record at once");
    assert.equal(attempts[attempts.length - 1], 2);

    // purge: everything stored is dropped and counted; the reply carries how many.
    cmd("offline");
    const purged = feed("m-cmd", 11, 7);
    await waitFor(() => purged.every((k) => obs.stored.has(k)), "the readings to purge stored");
    const reply = obs.nextSide("stats");
    cmd("purge");
    const p = await reply;
    assert.equal(p.purged, 8, "7 readings and the nacked one");
    assert.equal(p.payload.depth, 0);
    assert.equal(p.payload.drops.purged, 8);
    cmd("online");
    const [later] = feed("m-cmd", 18, 1);
    await waitFor(allArrived(obs, [later]), "a reading after the purge");
    await quiet();
    assert.deepEqual(purged.filter((k) => obs.count.has(k)), [], "purged readings are never sent");

    // stats on demand; an unknown command is an error for a Catch node.
    s = await stats();
    assert.equal(s.node, "sf1");
    for (const f of ["depth", "bytes", "percentFull", "oldestAgeMs", "inRate", "outRate", "inFlight", "drops", "bytesWritten"]) assert.ok(f in s, `stats has ${f}`);
    cmd("explode");
    await waitFor(() => obs.errors.length === 1, "the unknown command at the Catch node");
    assert.match(obs.errors[0].error.message, /explode|command/);

    // A message without a payload (an mqtt out link control that a Complete node routed back) is refused, not
    // stored to be replayed later; a Status node's cleared status (no colour) changes nothing.
    const depth = (await stats()).depth;
    sf.receive({ action: "disconnect" });
    await waitFor(() => obs.errors.length === 2, "the message without a payload at the Catch node");
    assert.match(obs.errors[1].error.message, /noPayload|payload is missing/);
    sf.receive({ status: { text: "" } });
    s = await stats();
    assert.equal(s.depth, depth, "nothing was stored");
    assert.equal(s.online, true, "a status without a colour leaves the link state alone");
  });

  for (const overflow of ["drop-oldest", "drop-newest", "reject"] as const) {
    it(`max records with ${overflow}: the policy applies, drops are counted, watermarks are raised`, async () => {
      const { obs } = await start({ sf: { maxRecords: "10", overflow } });
      helper.getNode("sf1").receive({ command: "offline" });
      const keys = feed(`m-${overflow}`, 0, 15);
      await waitFor(() => obs.stored.size + obs.errors.length === 15, "an outcome for every reading");
      const s = await stats();
      assert.equal(s.depth, 10);
      if (overflow === "reject") {
        assert.equal(obs.errors.length, 5, "refused with done(err), for a Catch node");
        assert.match(obs.errors[0].error.message, /full/);
        assert.deepEqual(obs.errors.map((m) => keyOf(m.payload)), keys.slice(10), "the newest are refused");
        assert.equal(s.drops.overflow, 0, "nothing stored is dropped");
      } else {
        assert.equal(obs.errors.length, 0, "no error: upstream done() for every reading");
        assert.equal(s.drops.overflow, 5);
      }
      assert.deepEqual(obs.alerts("watermark").map((a) => a.level), [50, 75, 90]);
      assert.equal(obs.alerts("degrade").length, 1);
      helper.getNode("sf1").receive({ command: "online" });
      const kept = overflow === "drop-oldest" ? keys.slice(5) : keys.slice(0, 10);
      await waitFor(allArrived(obs, kept), "the kept readings");
      await waitFor(async () => (await stats()).depth === 0, "an empty buffer");
      assert.deepEqual(obs.received.map(keyOf).sort(), [...kept].sort(), "exactly the kept readings are delivered");
    });
  }

  it("max age: records older than maxAgeHours expire unsent and are counted", async () => {
    const { obs } = await start({ sf: { maxAgeHours: "0.001" } }); // 3.6 s, the smallest allowed
    helper.getNode("sf1").receive({ command: "offline" });
    const old = feed("m-age", 0, 5);
    await waitFor(() => obs.stored.size === 5, "stored");
    await waitFor(async () => (await stats()).drops.expired === 5, "the records to expire", 15_000);
    assert.equal((await stats()).depth, 0);
    helper.getNode("sf1").receive({ command: "online" });
    const [fresh] = feed("m-age", 5, 1);
    await waitFor(allArrived(obs, [fresh]), "a fresh reading");
    await sleep(300);
    assert.deepEqual(old.filter((k) => obs.count.has(k)), [], "expired readings are never sent");
  });
});
