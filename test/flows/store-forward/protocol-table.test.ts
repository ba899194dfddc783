// The seeds' "Store-and-Forward Testing Protocol, Step 1: Lab Connectivity Stress Testing" (seeds
// 000_4ff04d9bb7eaafa8.txt, the table after "How to Fix It"), run where a machine can, through the real chain:
//
//   readings → store-forward → core mqtt out (QoS 1) → a real broker (aedes, in-process, 127.0.0.1) → core mqtt in
//   → a counting receiver, with the ack loop (Complete), the link state (Status) and nacks (Catch) wired back
//   (test/helpers/sf-flow.ts).
//
// The table's rows and where each is tested:
// - 30-minute outage ("buffer 30 min of data, upload on reconnect, zero gaps"): broker.test.ts "outage" (the
//   broker stops under steady traffic and starts again), and test/e2e's 4-hour proof (issue 13 §4).
// - 24-hour outage ("buffer fills to limit, oldest data optionally discarded, depends on policy"): broker.test.ts
//   "max records with drop-oldest / drop-newest / reject" and "max age", recovery.test.ts "drop-oldest" (disk full).
// - connection flapping, bandwidth throttling, DNS failure, TLS handshake timeout: here, one `it` each.
// - broker restart (the seeds' "skipping edge cases: connection flapping, DNS failures, TLS handshake timeouts,
//   broker restarts"): here, a broker that loses its state; broker.test.ts "outage" for one that keeps it.
//
// No test asserts a duration: waits only bound how long a test may take.
import { after, afterEach, before, describe, it } from "mocha";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import dns from "node:dns";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import tls from "node:tls";
import { promisify } from "node:util";
import { Aedes } from "aedes";
import { FIELDS } from "../../../nodes/store-forward/fields";
import { TestBroker } from "../../helpers/broker";
import { init } from "../../helpers/node-red";
import { freePort } from "../../helpers/ports";
import { ThrottleProxy } from "../../helpers/throttle-proxy";
import {
  NODES, Observer, bothConnected, feed, feedSteadily, helper, keyOf, removeTmpDirs, rxClient, sfFlow, sleep, tmpDir, waitFor, type FlowOptions, type Msg,
} from "../../helpers/sf-flow";

/* eslint-disable @typescript-eslint/no-require-imports */
const CORE = path.dirname(require.resolve("@node-red/nodes/package.json"));
const tlsConfigNode = require(path.join(CORE, "core/network/05-tls.js")) as (red: unknown) => void;
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Flapping's time scale: the seeds' rhythm (down 10 s, up 10 s, 20 cycles: 400 s) and every time constant that
 * rules what happens in it, divided by the same factor: store-forward's ack timeout (30 s by default) and retry
 * cap (300 s by default), and Node-RED's MQTT reconnect period (mqttReconnectTime, 5 s by default). The whole
 * file runs with that reconnect period.
 */
const SCALE = 40;
const NODE_RED_RECONNECT_MS = 5000;
const FLAP = {
  cycles: 20,
  downMs: 10_000 / SCALE,
  upMs: 10_000 / SCALE,
  ackTimeoutS: FIELDS.ackTimeout.default / SCALE,
  retryMaxS: FIELDS.retryMax.default / SCALE,
  reconnectMs: NODE_RED_RECONNECT_MS / SCALE,
};

/** 100 kbit/s, the seeds' throttle (`tc ... tbf rate 100kbit burst 10kb`), and store-forward's default replay rate (12,500 bytes/s). */
const LINK_BYTES_PER_S = 100_000 / 8;

describe("the seeds' store-and-forward testing protocol, step 1: lab connectivity stress testing", () => {
  before(() => init({ mqttReconnectTime: FLAP.reconnectMs }));
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
  let obs: Observer | undefined;
  const stats = () => (obs as Observer).stats();
  afterEach(async () => {
    await helper.unload();
    obs?.dispose();
    obs = undefined;
    removeTmpDirs();
  });

  /**
   * Load the flow (changed by `patch`, e.g. mqtt out's broker) and wait until `ready` (by default: the receiver
   * has subscribed and both MQTT clients are connected).
   */
  async function start(
    opts: Partial<FlowOptions> = {},
    o: { patch?: (flow: Msg[]) => void; ready?: (rx: string) => boolean; extraNodes?: unknown[] } = {},
  ): Promise<{ obs: Observer; rx: string }> {
    const rx = opts.rxClient ?? rxClient();
    const observer = new Observer();
    obs = observer;
    const flow = sfFlow({ port: broker.port, dir: tmpDir(), rxClient: rx, ...opts });
    o.patch?.(flow);
    await helper.load([...NODES, ...((o.extraNodes ?? []) as typeof NODES)], flow);
    const ready = o.ready ?? ((id: string) => broker.subscribed.has(id) && bothConnected());
    await waitFor(() => ready(rx), "the receiver subscribed (and the clients connected)");
    return { obs: observer, rx };
  }

  /** mqtt out's broker config node ("bout") in the flow. */
  const bout = (flow: Msg[]) => flow.find((n) => n.id === "bout") as Msg;
  const allArrived = (o: Observer, keys: string[]) => () => o.missing(keys).length === 0;
  const receiverSubscribed = (rx: string) => broker.subscribed.has(rx) && helper.getNode("bin")?.connected === true;

  it(
    `connection flapping (row 3: "disconnect 10 sec, connect 10 sec, repeat 20 cycles" → "no duplicate messages (use idempotency keys), ` +
      `no data loss"): the seeds' rhythm with every time constant divided by ${SCALE}`,
    async function () {
      this.timeout(120_000);
      // Down 250 ms, up 250 ms, 20 cycles (10 s in all); ack timeout 0.75 s, retry at most every 7.5 s, MQTT
      // reconnect every 125 ms. The traffic is steady and heavy (about 400 readings/s) so that every cut catches
      // messages in flight. The uplink is a TCP link in front of the broker: the broker and the receiver stay up.
      const link = await broker.link();
      try {
        const window = 10; // unacked messages (store-forward's default)
        const { obs } = await start({
          pubPort: link.port, spy: true, sf: { ackTimeout: String(FLAP.ackTimeoutS), retryMax: String(FLAP.retryMaxS), inFlight: String(window) },
        });
        const feeder = feedSteadily("m-flap", 4);
        const keys = feeder.keys;
        let buffered = 0;
        for (let c = 0; c < FLAP.cycles; c++) {
          await link.down();
          await sleep(FLAP.downMs);
          const s = await stats();
          if (s.online === false && s.depth > 0) buffered++;
          await link.up();
          await sleep(FLAP.upMs);
        }
        await feeder.stop();
        await waitFor(allArrived(obs, keys), "every reading", 60_000, () => ({ missing: obs.missing(keys).length, of: keys.length }));
        await waitFor(async () => (await stats()).depth === 0, "an empty buffer");
        const s = await stats();

        // No data loss, and after dedup by the idempotency key exactly the readings fed, each once.
        assert.equal(link.cuts, FLAP.cycles);
        assert.ok(buffered >= FLAP.cycles * 0.75, `store-forward saw the link down and buffered in most outages (${buffered} of ${FLAP.cycles})`);
        assert.deepEqual(obs.missing(keys), [], "no loss");
        const fed = new Set(keys);
        assert.deepEqual([...obs.count.keys()].filter((k) => !fed.has(k)), [], "nothing arrives that was not fed");
        assert.equal(obs.count.size, keys.length, "after dedup by the idempotency key: every reading once");
        for (const m of obs.sent) assert.equal(m._sf.key, keyOf(m.payload), "each message carries its idempotency key (deviceId/timestamp)");
        // Raw duplicates (before dedup by the key). QoS 1 is at-least-once: a cut can deliver twice what was in
        // flight at it, a PUBLISH the broker had taken but whose PUBACK the cut lost, sent again by the MQTT client
        // after the reconnect (or by store-forward, if its ack timeout ran out first). That is at most the unacked
        // window per cut, whatever the traffic. The seeds' pilot target, duplicates under 0.1%, is a share of the
        // traffic: compressed 40 times, the 20 cuts fall on a 40th of the traffic, so the share measured here is
        // 40 times the one at the real rhythm and the same reading rate (both are logged). broker.test.ts's
        // flapping test measures that share with 1,000 readings between cuts.
        const sends = new Map<string, number>();
        for (const m of obs.sent) sends.set(m._sf.key, (sends.get(m._sf.key) ?? 0) + 1);
        let bySf = 0;
        for (const [k, c] of obs.count) bySf += Math.min(c - 1, (sends.get(k) ?? 1) - 1);
        const raw = obs.duplicates;
        const pct = (x: number) => `${((100 * raw) / x).toFixed(3)}%`;
        console.log(
          `flapping (÷${SCALE}): ${keys.length} readings, ${link.cuts} cuts, ${buffered} outages buffered; ${raw} raw duplicates at the receiver ` +
            `(${bySf} from store-forward's resends, ${raw - bySf} from MQTT QoS 1 retransmission): ${pct(keys.length)} of the readings here, ` +
            `${pct(keys.length * SCALE)} over the real 400 s; ${s.timeouts} ack timeouts, ${s.nacked} nacks`,
        );
        assert.ok(raw <= link.cuts * window, `raw duplicates at the receiver: ${raw}, at most the ${window} unacked messages per cut (${link.cuts} cuts)`);
        assert.equal(obs.errors.length, 0);
      } finally {
        await helper.unload();
        await link.down();
      }
    },
  );

  it(
    "broker restart (\"broker restarts\", an edge case the seeds name): the broker killed and replaced by a fresh one on the same port under steady " +
      "traffic, three times; store-forward loses nothing, and the receiver misses at most what a killed broker had acknowledged last",
    async function () {
      // The fresh broker has none of the old one's sessions, queues and packet ids (a broker without a persistent
      // store; broker.test.ts's "outage" is the broker that keeps them). store-forward releases a record only on
      // the broker's PUBACK, so its guarantee ends there: every reading must be acknowledged by some broker. A
      // broker killed between its PUBACK and the delivery to the subscriber loses that reading itself (it did
      // here: a killed aedes loses the last message it took); the receiver may miss those, and only those.
      this.timeout(90_000);
      const window = 10; // unacked messages (store-forward's default)
      const rx = rxClient();
      const fresh = await FreshBroker.start(rx);
      try {
        const { obs } = await start({ port: fresh.port, rxClient: rx, sf: { inFlight: String(window) } }, { ready: (id) => fresh.subscribed.has(id) && bothConnected() });
        const feeder = feedSteadily("m-restart", 5);
        const keys = feeder.keys;
        for (let r = 0; r < 3; r++) {
          const upTo = obs.received.length + 300;
          await waitFor(() => obs.received.length >= upTo, "traffic before the restart");
          await fresh.replace(300); // mid-traffic, no broker at all for 300 ms
          await waitFor(() => fresh.subscribed.has(rx) && bothConnected(), "both clients on the fresh broker");
        }
        const upTo = obs.received.length + 300;
        await waitFor(() => obs.received.length >= upTo, "traffic after the last restart");
        await feeder.stop();
        await waitFor(async () => (await stats()).depth === 0, "store-forward's buffer empty: every reading acknowledged", 30_000);
        const s = await stats();

        // The gateway: every reading was taken by a broker.
        const taken = new Set(fresh.taken.flat());
        assert.deepEqual(keys.filter((k) => !taken.has(k)), [], "store-forward lost nothing: every reading was acknowledged by a broker");
        // The cloud side: everything arrives but, at most, what a killed broker had taken last.
        const takenLast = new Set(fresh.taken.slice(0, -1).flatMap((g) => g.slice(-window)));
        const onlyBrokerLosses = () => obs.missing(keys).every((k) => takenLast.has(k));
        await waitFor(onlyBrokerLosses, "every reading at the receiver but what a killed broker took last", 30_000, () => ({
          missing: obs.missing(keys).filter((k) => !takenLast.has(k)),
        }));
        const lostByBroker = obs.missing(keys);
        console.log(
          `broker restart: ${keys.length} readings across ${fresh.generation} brokers, every one acknowledged by a broker; ${lostByBroker.length} lost by a ` +
            `killed broker after its PUBACK (${lostByBroker.join(", ")}); ${obs.duplicates} duplicates at the receiver; ${s.timeouts} ack timeouts, ${s.nacked} nacks`,
        );
        assert.equal(fresh.generation, 4, "three fresh brokers after the first");
        assert.equal(s.acked, keys.length, "one ack per reading");
        const fed = new Set(keys);
        assert.deepEqual([...obs.count.keys()].filter((k) => !fed.has(k)), [], "nothing arrives that was not fed");
        assert.equal(obs.errors.length, 0);
      } finally {
        await helper.unload();
        await fresh.close();
      }
    },
  );

  it("bandwidth throttling (row 4: \"tc limit to 100 Kbps\" → \"upload completes within acceptable time, no timeout errors\"): a backlog replayed at rateBytes 12,500 through a 100 kbit/s token bucket", async function () {
    this.timeout(90_000);
    // The uplink is a proxy that paces the upload with a token bucket of 100 kbit/s and 10 kB (tc's tbf); store-forward
    // replays at its default byte rate, 12,500 bytes/s, and 10 unacked messages. The ack timeout is 5 s, not 30 s,
    // so that a queue building up in the link would show as timeouts within the test.
    const proxy = await ThrottleProxy.start(broker.port, { upBytesPerSecond: LINK_BYTES_PER_S, burstBytes: 10_240 });
    try {
      const { obs } = await start({ pubPort: proxy.port, spy: true, sf: { rateBytes: String(LINK_BYTES_PER_S), ackTimeout: "5" } });
      const sf = helper.getNode("sf1");
      sf.receive({ command: "offline" });
      const keys = feed("m-throttle", 0, 500);
      await waitFor(() => keys.every((k) => obs.stored.has(k)), "the backlog stored");
      const backlog = await stats();
      assert.equal(backlog.depth, keys.length);
      // The bucket counts the stored records' bytes (the message's JSON, more than the MQTT payload on the wire):
      // twice the time that takes at the rate, and 10 s of slack, bound the wait.
      const bound = Math.ceil((2 * backlog.bytes * 1000) / LINK_BYTES_PER_S) + 10_000;
      sf.receive({ command: "online" });
      await waitFor(allArrived(obs, keys), `the backlog (${backlog.bytes} bytes) uploaded`, bound, () => ({ missing: obs.missing(keys).length, of: keys.length }));
      await waitFor(async () => (await stats()).depth === 0, "an empty buffer");
      const s = await stats();
      const wire = obs.received.reduce((n, p) => n + Buffer.byteLength(JSON.stringify(p)), 0);
      console.log(
        `throttling: ${keys.length} readings, ${backlog.bytes} bytes stored, ${proxy.up.bytes} bytes up the 100 kbit/s link ` +
          `(${proxy.up.waits} waits for its bucket, at most ${proxy.up.maxQueued} bytes queued); ${s.timeouts} ack timeouts, ${s.nacked} nacks`,
      );
      assert.ok(proxy.up.bytes >= wire, `the upload went through the throttled link (${proxy.up.bytes} bytes for ${wire} bytes of payloads)`);
      assert.deepEqual(obs.received.map(keyOf), keys, "each reading once, in order");
      assert.deepEqual(obs.sent.filter((m) => m._sf.attempt !== 1).map((m) => [m._sf.key, m._sf.attempt]), [], "every message sent once: no ack timeout, no nack");
      assert.equal(s.timeouts, 0, "no ack timeout");
      assert.equal(s.nacked, 0, "no nack (no error from mqtt out)");
      assert.equal(obs.errors.length, 0);
    } finally {
      await helper.unload();
      await proxy.close();
    }
  });

  it("DNS failure (row 5: \"block port 53\" → \"gateway buffers, retries\"): the broker's host name does not resolve, then resolves; the gateway keeps buffering and delivers everything", async function () {
    this.timeout(120_000);
    // mqtt out's broker is "broker.invalid" (RFC 6761: never resolves). While the DNS is "down" every lookup goes
    // to the system's resolver, and fails; once it is "up" that name resolves to the test broker, as a name whose
    // resolver answers again. Only that name is ever answered by the test.
    const HOST = "broker.invalid";
    const realLookup = dns.lookup;
    let resolves = false;
    let lookups = 0;
    let failures = 0;
    type LookupCb = (err: NodeJS.ErrnoException | null, address?: string | dns.LookupAddress[], family?: number) => void;
    const patched = (hostname: string, options: unknown, callback?: LookupCb) => {
      const cb = (typeof options === "function" ? options : callback) as LookupCb;
      const opts = (typeof options === "function" ? {} : typeof options === "number" ? { family: options } : (options ?? {})) as dns.LookupOptions;
      if (hostname !== HOST) return (realLookup as (h: string, o: dns.LookupOptions, c: LookupCb) => void)(hostname, opts, cb);
      lookups++;
      if (resolves) return process.nextTick(() => (opts.all ? cb(null, [{ address: "127.0.0.1", family: 4 }]) : cb(null, "127.0.0.1", 4)));
      return (realLookup as (h: string, o: dns.LookupOptions, c: LookupCb) => void)(hostname, opts, (err, ...rest) => {
        if (err) failures++;
        cb(err, ...rest);
      });
    };
    (dns as { lookup: unknown }).lookup = patched;
    try {
      const { obs } = await start({}, { patch: (flow) => (bout(flow).broker = HOST), ready: receiverSubscribed });
      const feeder = feedSteadily("m-dns", 50);
      const keys = feeder.keys;
      // A resolver that cannot reach its server answers only after its own timeouts (seconds each).
      await waitFor(() => failures >= 3, `three failed lookups of ${HOST} (the gateway retries)`, 60_000);
      const down = await stats();
      assert.equal(down.online, false, "store-forward sees the link down");
      await waitFor(() => obs.stored.size >= 20, "readings stored while the name does not resolve");
      assert.equal(obs.received.length, 0, "nothing could be delivered");
      assert.equal(obs.errors.length, 0, "no error: the gateway buffers");
      const s1 = await stats();
      assert.ok(s1.depth >= 20, `buffered (${s1.depth})`);
      resolves = true;
      await waitFor(() => bothConnected(), "mqtt out connected once the name resolves");
      await sleep(300);
      await feeder.stop();
      await waitFor(allArrived(obs, keys), "every reading", 20_000, () => ({ missing: obs.missing(keys).length, of: keys.length }));
      await waitFor(async () => (await stats()).depth === 0, "an empty buffer");
      console.log(`DNS failure: ${failures} failed lookups of ${HOST} of ${lookups}; ${keys.length} readings, ${s1.depth} buffered, all delivered; ${obs.duplicates} duplicates`);
      assert.deepEqual(obs.missing(keys), []);
      assert.equal(obs.errors.length, 0);
    } finally {
      (dns as { lookup: unknown }).lookup = realLookup;
      await helper.unload();
    }
  });

  it("TLS handshake timeout (row 6: \"simulate slow TLS\" → \"gateway handles gracefully, no crash\"): a TLS port that accepts TCP and does not answer the handshake, until it does", async function () {
    // mqtt.js gives up a connection whose CONNACK has not come after its connectTimeout (30 s; Node-RED does not
    // change it): this row waits for one, so it takes about half a minute.
    this.timeout(120_000);
    const certs = await makeCert(tmpDir("sf-tls-"));
    assert.ok(certs, "this row needs openssl to make its certificate (Debian: apt-get install openssl; .ci/run installs it)");
    const slow = await SlowTls.start(certs, (socket) => broker.aedes.handle(socket));
    try {
      const { obs } = await start({}, {
        extraNodes: [tlsConfigNode],
        ready: receiverSubscribed,
        patch: (flow) => {
          Object.assign(bout(flow), { port: String(slow.port), usetls: true, tls: "tls1" });
          flow.push({ id: "tls1", type: "tls-config", cert: "", key: "", ca: certs.caFile, verifyservercert: true, servername: "" });
        },
      });
      const feeder = feedSteadily("m-tls", 500);
      const keys = feeder.keys;
      await waitFor(() => slow.connections >= 1, "mqtt out's first connection");
      await waitFor(() => slow.gaveUp >= 1 && slow.connections >= 2, "mqtt out to give up the unanswered handshake and try again", 60_000);
      const s1 = await stats();
      assert.equal(s1.online, false, "store-forward sees the link down");
      assert.ok(obs.stored.size > 0 && s1.depth >= obs.stored.size, `the readings are buffered (${s1.depth} queued, ${obs.stored.size} stored, ${keys.length} fed)`);
      assert.equal(obs.received.length, 0);
      assert.equal(obs.errors.length, 0, "no error: the gateway buffers");
      slow.answer(); // the handshake that waits now is answered, late
      await waitFor(() => bothConnected(), "mqtt out connected over TLS", 40_000);
      await sleep(300);
      await feeder.stop();
      await waitFor(allArrived(obs, keys), "every reading", 20_000, () => ({ missing: obs.missing(keys).length, of: keys.length }));
      await waitFor(async () => (await stats()).depth === 0, "an empty buffer");
      console.log(`TLS handshake timeout: ${slow.connections} connections, ${slow.gaveUp} given up by the client; ${keys.length} readings, ${s1.depth} buffered, all delivered`);
      assert.deepEqual(obs.missing(keys), []);
      assert.equal(obs.errors.length, 0);
    } finally {
      await helper.unload();
      await slow.close();
    }
  });
});

/**
 * A broker that can be replaced by a fresh one on the same port: the old one's sessions, queued messages and
 * in-flight packet ids are lost, as when a broker without a persistent store restarts. A fresh broker lets the
 * receiver (client id `receiver`) in first and holds other clients' CONNECT until it has subscribed: the cloud's
 * consumer is there before the gateway publishes, so what the test checks is the gateway's side (a reading the
 * broker took while nobody was subscribed would be lost by the broker, not by the gateway).
 */
class FreshBroker {
  private aedes: Aedes | undefined;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  /** Brokers started so far (1 for the first). */
  generation = 0;
  /** Client ids that subscribed to the current broker. */
  subscribed = new Set<string>();
  /** The readings (deviceId/timestamp) each broker took from a publisher, in order: one list per broker. */
  readonly taken: string[][] = [];

  private constructor(
    readonly port: number,
    private readonly receiver: string,
  ) {}

  static async start(receiver: string): Promise<FreshBroker> {
    const b = new FreshBroker(await freePort(), receiver);
    await b.boot();
    return b;
  }

  private async boot(): Promise<void> {
    const subscribed = new Set<string>();
    const held: Array<() => void> = [];
    const aedes = await Aedes.createBroker({
      heartbeatInterval: 60_000,
      preConnect: (_client, packet, callback) => {
        if (packet.clientId === this.receiver || subscribed.has(this.receiver)) callback(null, true);
        else held.push(() => callback(null, true));
      },
    });
    const taken: string[] = [];
    aedes.on("publish", (packet, client) => {
      if (!client || packet.topic.startsWith("$SYS")) return;
      try {
        taken.push(keyOf(JSON.parse(packet.payload.toString()) as Msg));
      } catch {
        taken.push(`(not a reading: ${packet.payload.toString().slice(0, 40)})`);
      }
    });
    aedes.on("subscribe", (_subs, client) => {
      if (!client) return;
      subscribed.add(client.id);
      if (client.id === this.receiver) for (const go of held.splice(0)) go();
    });
    const server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      socket.on("error", () => undefined);
      aedes.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.aedes = aedes;
    this.server = server;
    this.subscribed = subscribed;
    this.taken.push(taken);
    this.generation++;
  }

  private async stop(): Promise<void> {
    const { server, aedes } = this;
    this.server = undefined;
    this.aedes = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((r) => server.close(() => r()));
    if (aedes) await new Promise<void>((r) => aedes.close(() => r()));
  }

  /** Kill the broker (every connection cut at once), wait `gapMs`, and start a fresh one on the same port. */
  async replace(gapMs: number): Promise<void> {
    await this.stop();
    await sleep(gapMs);
    await this.boot();
  }

  close(): Promise<void> {
    return this.stop();
  }
}

/**
 * A TLS port on 127.0.0.1 that accepts TCP connections and does not answer their handshake (it keeps what the
 * client sends), until answer(): then every connection, the waiting ones included, reaches a real TLS server
 * (the client's ClientHello replayed to it), whose sockets go to `onSecure`.
 */
class SlowTls {
  private readonly waiting = new Map<net.Socket, Buffer[]>();
  private readonly sockets = new Set<net.Socket>();
  private answering = false;
  /** TCP connections accepted. */
  connections = 0;
  /** Connections the client closed while their handshake was unanswered. */
  gaveUp = 0;

  private constructor(
    private readonly front: net.Server,
    private readonly back: tls.Server,
    readonly port: number,
    private readonly backPort: number,
  ) {}

  static async start(certs: { cert: Buffer; key: Buffer }, onSecure: (s: tls.TLSSocket) => void): Promise<SlowTls> {
    const back = tls.createServer({ cert: certs.cert, key: certs.key }, (s) => {
      s.on("error", () => undefined);
      onSecure(s);
    });
    back.on("tlsClientError", () => undefined);
    const backPort = await freePort();
    await listenOn(back, backPort);
    const front = net.createServer();
    const self = new SlowTls(front, back, await freePort(), backPort);
    front.on("connection", (socket: net.Socket) => self.accept(socket));
    await listenOn(front, self.port);
    return self;
  }

  private accept(socket: net.Socket): void {
    this.connections++;
    this.sockets.add(socket);
    socket.on("error", () => undefined);
    if (this.answering) return this.forward(socket, []);
    const head: Buffer[] = [];
    this.waiting.set(socket, head);
    socket.on("data", (d: Buffer) => head.push(d));
    socket.on("close", () => {
      this.sockets.delete(socket);
      if (this.waiting.delete(socket)) this.gaveUp++;
    });
  }

  private forward(socket: net.Socket, head: Buffer[]): void {
    const back = net.connect(this.backPort, "127.0.0.1");
    this.sockets.add(back);
    back.on("error", () => undefined);
    for (const s of [socket, back]) s.on("close", () => {
      this.sockets.delete(s);
      socket.destroy();
      back.destroy();
    });
    if (head.length) back.write(Buffer.concat(head));
    socket.pipe(back);
    back.pipe(socket);
  }

  /** Answer from now on, the handshakes waiting now included. */
  answer(): void {
    this.answering = true;
    for (const [socket, head] of this.waiting) {
      this.waiting.delete(socket);
      socket.removeAllListeners("data");
      this.forward(socket, head);
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.waiting.clear();
    await Promise.all([this.front, this.back].map((srv) => new Promise<void>((r) => srv.close(() => r()))));
  }
}

function listenOn(server: net.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** A self-signed certificate for 127.0.0.1 (its own CA), made with openssl; undefined if openssl is missing. */
async function makeCert(dir: string): Promise<{ cert: Buffer; key: Buffer; caFile: string } | undefined> {
  const caFile = path.join(dir, "server.crt");
  const keyFile = path.join(dir, "server.key");
  try {
    await promisify(execFile)("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", caFile,
      "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
    ]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  return { cert: fs.readFileSync(caFile), key: fs.readFileSync(keyFile), caFile };
}
