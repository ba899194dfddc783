// store-forward recovery with a real MQTT broker (aedes, in-process on 127.0.0.1): Node-RED stopped and
// started again, redeploys, a process killed with SIGKILL while writing, torn and corrupt segments, and a
// full disk. No test asserts a duration; waits only bound how long a test may take.
import { after, afterEach, before, describe, it } from "mocha";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Journal, type Durability, type JournalOptions } from "../../../nodes/store-forward/journal";
import { TestBroker, type Link } from "../../helpers/broker";
import { NODES, Observer, initSf, bothConnected, feed, helper, keyOf, redeploy, removeTmpDirs, rxClient, sfFlow, tmpDir, waitFor, type FlowOptions, type Msg
} from "../../helpers/sf-flow";

describe("store-forward recovery", () => {
  before(initSf);
  let broker: TestBroker;
  let link: Link;
  let obs: Observer | undefined;
  before(async () => {
    broker = await TestBroker.start();
    await new Promise<void>((r) => helper.startServer(r));
  });
  after(async () => {
    await helper.unload();
    await new Promise<void>((r) => helper.stopServer(r));
    await broker.close();
  });
  afterEach(async () => {
    await helper.unload();
    obs?.dispose();
    obs = undefined;
    await link?.down();
    removeTmpDirs();
  });

  /** The flow with mqtt out behind a link that the test can cut; the receiver connects to the broker directly. */
  async function start(opts: Partial<FlowOptions> & { dir: string; rxClient: string }): Promise<Observer> {
    obs ??= new Observer();
    await helper.load(NODES, sfFlow({ port: broker.port, pubPort: link.port, ...opts }));
    await waitFor(() => broker.subscribed.has(opts.rxClient) && (!link.running || bothConnected()), "the receiver's subscription (and the sender connected if the link is up)");
    return obs;
  }
  const stats = () => (obs as Observer).stats();
  const offline = () => waitFor(async () => (await stats()).online === false, "the link seen down");

  it("restart and redeploy: Node-RED stopped with records queued and started again, redeploys mid-replay; everything is delivered", async () => {
    link = await broker.link();
    const dir = tmpDir();
    const rx = rxClient();
    const flowOpts = { dir, rxClient: rx, sf: { rateMsgs: "200" } };
    let o = await start(flowOpts);
    await link.down();
    await offline();
    const keys = feed("m-restart", 0, 400);
    await waitFor(() => keys.every((k) => o.stored.has(k)), "upstream done() for every reading");
    assert.equal((await stats()).depth, 400);

    // Node-RED stops with 400 records queued and starts again, on the same directory (the link still down).
    await helper.unload();
    o = await start(flowOpts);
    assert.equal((await stats()).depth, 400, "the queue survived the restart");
    await link.up();
    // Redeploy store-forward alone (a changed setting restarts that node) while it replays, twice.
    const flow = sfFlow({ port: broker.port, pubPort: link.port, ...flowOpts });
    for (const rate of ["150", "250"]) {
      await waitFor(() => o.received.length >= (rate === "150" ? 80 : 200), "replay under way");
      const old = helper.getNode("sf1");
      flow[1].rateMsgs = rate;
      await redeploy(flow, "nodes");
      assert.notEqual(helper.getNode("sf1"), old, "store-forward was restarted");
    }
    // And a full redeploy.
    const pub = helper.getNode("pub1");
    await redeploy(flow, "full");
    assert.notEqual(helper.getNode("pub1"), pub, "everything was restarted");
    const more = feed("m-restart", 400, 50);
    await waitFor(() => o.missing([...keys, ...more]).length === 0, "every reading", 20_000, () => ({ missing: o.missing([...keys, ...more]).length }));
    await waitFor(async () => (await stats()).depth === 0, "an empty buffer");
    // At-least-once: what was out and unacknowledged, and what was acknowledged behind the oldest
    // unacknowledged record, is sent again after a restart (duplicates with the same key, never a loss).
    console.log(`restart: ${keys.length + more.length} readings, ${o.duplicates} duplicates after 1 restart and 3 redeploys`);
    assert.equal(o.errors.length, 0);
    // A clean stop with everything delivered leaves nothing to send again.
    await helper.unload();
    o = await start(flowOpts);
    assert.equal((await stats()).depth, 0, "nothing is replayed after a clean restart");
  });

  it("crash: SIGKILL while writing, again and again; every record whose append had resolved is recovered", async () => {
    const child = path.join(__dirname, "../../helpers/sf-crash-child.ts");
    const opts = (dir: string, durability: Durability): JournalOptions => ({
      dir, durability, syncIntervalMs: 5, segmentBytes: 8192, maxBytes: 1e12, maxRecords: 1e9, maxAgeMs: 1e12, overflow: "drop-oldest",
    });
    for (const durability of ["always", "batch"] as const) {
      const dir = tmpDir();
      const acked = new Set<string>();
      const delivered = new Set<string>();
      let torn = 0;
      for (let run = 0; run < 6; run++) {
        const killAfter = 50 + Math.floor(Math.random() * 1500);
        const lines = await new Promise<string[]>((resolve, reject) => {
          const p = spawn(process.execPath, ["--import", "tsx", child, dir, durability], { stdio: ["ignore", "pipe", "inherit"] });
          let text = "";
          let appends = 0;
          p.stdout.setEncoding("utf8");
          p.stdout.on("data", (chunk: string) => {
            text += chunk;
            appends += chunk.split("\nA ").length - 1;
            if (appends >= killAfter && p.exitCode === null && !p.killed) p.kill("SIGKILL");
          });
          p.on("error", reject);
          p.on("close", (code, signal) => {
            if (signal !== "SIGKILL") reject(new Error(`the child ended by itself (${code}): ${text.slice(-500)}`));
            else resolve(text.split("\n").slice(0, -1)); // the last piece is empty or a line cut short
          });
        });
        for (const l of lines) {
          const [tag, a, b, c] = l.split(" ");
          if (tag === "A") acked.add(a);
          else if (tag === "C") delivered.add(a);
          else if (tag === "R") {
            assert.equal(Number(b), 0, `run ${run}: the child's recovery lost nothing`);
            if (Number(c) > 0) torn++;
          } else if (tag === "E") assert.fail(`the child failed: ${l}`);
        }
        const j = Journal.open(opts(dir, durability));
        assert.equal(j.recovery.lost, 0, "a kill never corrupts a segment");
        if (j.recovery.tornBytes > 0) torn++;
        const present = new Map<string, number>();
        for (let r = j.next(); r; r = j.next()) present.set(r.key, (present.get(r.key) ?? 0) + 1);
        await j.close();
        const missing = [...acked].filter((k) => !delivered.has(k) && !present.has(k));
        assert.deepEqual(missing, [], `${durability}, run ${run}: acknowledged records missing after SIGKILL`);
        assert.deepEqual([...present].filter(([, n]) => n > 1), [], "no record is recovered twice");
        assert.equal(j.recovery.records, present.size);
      }
      console.log(`crash (${durability}): ${acked.size} appends acknowledged over 6 SIGKILLs, ${delivered.size} delivered; ${torn} recoveries cut a torn tail`);
      assert.ok(acked.size > 300, "the children wrote something");
    }
  });

  /** The records of a segment file: offset, size, and the key of the reading in each. */
  function frames(file: string): { off: number; size: number; key: string }[] {
    const buf = fs.readFileSync(file);
    const out: { off: number; size: number; key: string }[] = [];
    for (let off = 0; off + 8 <= buf.length; ) {
      const size = 8 + buf.readUInt32LE(off);
      if (off + size > buf.length) break;
      const body = buf.subarray(off + 8, off + size);
      const keyLen = body.readUInt16LE(2);
      const msg = JSON.parse(body.subarray(20 + keyLen).toString("utf8")) as Msg;
      out.push({ off, size, key: keyOf(msg.payload) });
      off += size;
    }
    return out;
  }

  it("torn and corrupt segments: recovery cuts the torn tail, quarantines a copy of the corrupt segment, counts the one unreadable record and delivers everything else", async () => {
    link = await broker.link();
    const dir = tmpDir();
    const rx = rxClient();
    const flowOpts = { dir, rxClient: rx, sf: { maxBytes: "1048576" } }; // 64 KiB segments
    let o = await start(flowOpts);
    await link.down();
    await offline();
    const keys = feed("m-torn", 0, 1200);
    await waitFor(() => keys.every((k) => o.stored.has(k)), "upstream done() for every reading");
    await helper.unload();

    const p1 = path.join(dir, "p1");
    const segs = fs.readdirSync(p1).filter((f) => f.endsWith(".seg")).sort().map((f) => path.join(p1, f));
    assert.ok(segs.length >= 3, `several segments (${segs.length})`);
    // Corrupt one byte in the middle of the second segment: that record is lost, the records after it are kept.
    const second = frames(segs[1]);
    const hit = Math.floor(second.length / 2);
    const fd = fs.openSync(segs[1], "r+");
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, second[hit].off + 40);
    b[0] ^= 0xff;
    fs.writeSync(fd, b, 0, 1, second[hit].off + 40);
    fs.closeSync(fd);
    const lost = [second[hit].key];
    // Tear the last segment: half a record at its end, as a power loss in the middle of a write leaves it.
    const last = segs[segs.length - 1];
    const lastFrames = frames(last);
    const tail = fs.readFileSync(last).subarray(lastFrames[0].off, lastFrames[0].off + Math.floor(lastFrames[0].size / 2));
    fs.appendFileSync(last, tail);

    await link.up();
    o = await start(flowOpts);
    const expected = keys.filter((k) => !lost.includes(k));
    await waitFor(() => o.missing(expected).length === 0, "every readable reading", 20_000, () => ({ missing: o.missing(expected).length }));
    await waitFor(async () => (await stats()).depth === 0, "an empty buffer");
    const s = await stats();
    assert.deepEqual(o.alerts("lost").map((a) => a.lost), [lost.length], "one 'lost' alert with the count");
    assert.equal(s.drops.corrupt, lost.length, "drops.corrupt counts the loss");
    const statuses = (helper.getNode("sf1").status as { args: Array<[{ fill?: string; text?: string }]> }).args.map((a) => a[0]);
    assert.ok(statuses.some((st) => st.fill === "yellow" && /lost on start|status\.lost$/.test(String(st.text))), `the status reports the loss: ${JSON.stringify(statuses.slice(0, 5))}`);
    assert.deepEqual(lost.filter((k) => o.count.has(k)), [], "nothing unreadable is sent");
    const quarantined = fs.readdirSync(path.join(dir, "quarantine"));
    assert.equal(quarantined.length, 1, "the corrupt segment is kept for inspection");
    assert.equal(o.received.length - o.duplicates, expected.length);
    assert.equal(o.errors.length, 0);
  });

  describe("disk full (a 512 KiB tmpfs)", () => {
    let point: string;
    let mnt: string | undefined;
    let mountError: string | undefined;
    before(() => {
      point = fs.mkdtempSync(path.join(os.tmpdir(), "sf-tmpfs-"));
      try {
        execFileSync("mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", point], { stdio: "pipe" });
        mnt = point;
      } catch (err) {
        mountError = String((err as { stderr?: Buffer }).stderr ?? err).trim();
      }
    });
    after(() => {
      if (mnt) execFileSync("umount", [mnt]);
      fs.rmSync(point, { recursive: true, force: true });
    });
    afterEach(async () => {
      await helper.unload(); // before the files go
      if (mnt) for (const f of fs.readdirSync(mnt)) fs.rmSync(path.join(mnt, f), { recursive: true, force: true });
    });

    it("drop-oldest: the node keeps running, drops the oldest and counts every drop, and recovers once delivered", async function () {
      if (!mnt) {
        console.log(`cannot mount a tmpfs here (needs root): ${mountError}`);
        return this.skip();
      }
      link = await broker.link();
      const rx = rxClient();
      const flowOpts = { dir: path.join(mnt, "sf"), rxClient: rx, sf: { maxBytes: "1048576", overflow: "drop-oldest" } };
      const o = await start(flowOpts);
      await link.down();
      await offline();
      const keys: string[] = [];
      for (let i = 0; i < 3000; i += 100) {
        keys.push(...feed("m-full", i, 100));
        await waitFor(() => keys.every((k) => o.stored.has(k) || o.errors.some((e) => keyOf(e.payload) === k)), "an outcome for every reading");
      }
      const s = await stats();
      console.log(`disk full, drop-oldest: ${keys.length} readings, depth ${s.depth}, drops ${JSON.stringify(s.drops)}`);
      assert.equal(o.errors.length, 0, "no error upstream: drop-oldest drops and counts");
      assert.ok(s.drops["disk-full"] > 0, "the disk filled up and drops are counted as disk-full");
      assert.ok(s.depth > 0);
      await link.up();
      await waitFor(async () => (await stats()).depth === 0, "the buffer to drain");
      // The store's ack is the broker's PUBACK to mqtt out: the receiver gets the last readings a moment later.
      const after = await stats();
      const outcomes = () => keys.filter((k) => o.count.has(k)).length + after.drops["disk-full"] + after.drops.overflow;
      await waitFor(() => outcomes() >= keys.length, "every reading received or counted as dropped", 20_000, () => ({ outcomes: outcomes() }));
      assert.equal(outcomes(), keys.length, "every reading is delivered or counted as dropped");
      assert.ok(o.count.has(keys[keys.length - 1]), "the newest reading is delivered");
      // The space is reclaimed: new readings are stored and delivered again.
      const more = feed("m-full", 3000, 50);
      await waitFor(() => o.missing(more).length === 0, "readings after the disk was full", 20_000, () => ({ missing: o.missing(more).length }));
    });

    it("drop-oldest when another process fills the disk to the last block: old segments make room, new readings are kept", async function () {
      if (!mnt) {
        console.log(`cannot mount a tmpfs here (needs root): ${mountError}`);
        return this.skip();
      }
      link = await broker.link();
      const rx = rxClient();
      const flowOpts = { dir: path.join(mnt, "sf"), rxClient: rx, sf: { maxBytes: "1048576", overflow: "drop-oldest" } };
      const o = await start(flowOpts);
      await link.down();
      await offline();
      const keys = feed("m-filler", 0, 600);
      await waitFor(() => keys.every((k) => o.stored.has(k)), "the first readings stored");
      // Someone else takes every free block.
      const filler = fs.openSync(path.join(mnt, "filler"), "w");
      const chunk = Buffer.alloc(4096, 1);
      try {
        for (;;) fs.writeSync(filler, chunk);
      } catch (err) {
        assert.equal((err as NodeJS.ErrnoException).code, "ENOSPC");
      } finally {
        fs.closeSync(filler);
      }
      for (let i = 600; i < 900; i += 50) {
        keys.push(...feed("m-filler", i, 50));
        await waitFor(() => keys.every((k) => o.stored.has(k)), "an outcome for every reading");
      }
      const s = await stats();
      console.log(`disk filled by another process, drop-oldest: depth ${s.depth}, drops ${JSON.stringify(s.drops)}`);
      assert.ok(s.drops["disk-full"] > 0, "the disk was full");
      await link.up();
      await waitFor(async () => (await stats()).depth === 0, "the buffer to drain");
      const after = await stats();
      // The store's ack is the broker's PUBACK to mqtt out: the receiver gets the last readings a moment later.
      const outcomes = () => keys.filter((k) => o.count.has(k)).length + after.drops["disk-full"];
      await waitFor(() => outcomes() >= keys.length, "every reading received or counted as dropped", 20_000, () => ({ outcomes: outcomes() }));
      assert.equal(outcomes(), keys.length, "every reading is delivered or counted as dropped");
      assert.ok(keys.slice(-50).every((k) => o.count.has(k)), "the newest readings are kept: the oldest made room");
      assert.equal(o.errors.length, 0);
    });

    it("reject: done(err) for a Catch node, nothing stored is dropped, and once delivered the store accepts again", async function () {
      if (!mnt) {
        console.log(`cannot mount a tmpfs here (needs root): ${mountError}`);
        return this.skip();
      }
      link = await broker.link();
      const rx = rxClient();
      // 64 MiB max bytes: one 4 MiB segment is larger than the whole disk.
      const flowOpts = { dir: path.join(mnt, "sf"), rxClient: rx, sf: { maxBytes: "67108864", overflow: "reject" } };
      const o = await start(flowOpts);
      await link.down();
      await offline();
      const keys: string[] = [];
      for (let i = 0; i < 3000; i += 100) {
        keys.push(...feed("m-rej", i, 100));
        await waitFor(() => o.stored.size + o.errors.length === keys.length, "an outcome for every reading");
      }
      const s = await stats();
      console.log(`disk full, reject: ${keys.length} readings, ${o.errors.length} refused, depth ${s.depth}, drops ${JSON.stringify(s.drops)}`);
      assert.ok(o.errors.length > 0, "readings are refused once the disk is full");
      assert.match(o.errors[0].error.message, /disk full|ENOSPC/i, "a clear error");
      assert.equal(s.drops["disk-full"] + s.drops.overflow, 0, "nothing stored is dropped");
      assert.equal(s.depth, o.stored.size);
      await link.up();
      const stored = keys.filter((k) => o.stored.has(k));
      await waitFor(() => o.missing(stored).length === 0, "every stored reading delivered");
      await waitFor(async () => (await stats()).depth === 0, "an empty buffer");
      const refusedBefore = o.errors.length;
      const more = feed("m-rej", 3000, 50);
      await waitFor(() => more.every((k) => o.stored.has(k) || o.errors.some((e) => keyOf(e.payload) === k)), "an outcome for the new readings");
      assert.equal(o.errors.length, refusedBefore, "the delivered records' space is reused: nothing refused any more");
      await waitFor(() => o.missing(more).length === 0, "the new readings delivered");
    });
  });
});
