// store-forward, told straight (issue 7, "The benchmark tells the truth"):
//   A. the NODE in a flow with the ack loop, as a user wires it: store-forward -> a transport stand-in
//      (a sink that calls done()) -> a Complete node scoped to it -> back into store-forward (the ack).
//      Messages/s from receive() until every one is acknowledged, per durability mode, with the node's
//      defaults (read from the package). These are the headline figures.
//   B. the journal LIBRARY alone (the public API's Journal): append, replay (next + ack) of a backlog, and
//      append + deliver + ack, for scale: what the node adds is the difference.
//   C. recovery of a 1,000,000-record backlog in a fresh process, page cache warm and cold; RSS growth.
//   D. baselines: lowdb (a document rewritten per message; its speed falls as 1/N, so its scaling over N)
//      and Node-RED's localfilesystem context store.
//   E. write amplification at gateway rates (issue 7 item 23): bytes the kernel writes for the journal per
//      payload byte at 0.1, 10, 100 and 1,000 readings/s, per durability mode, on a virtual clock.
// Figures never fail the run. Sizes: BENCH_SF_* below. bench/results/store-forward.json holds every figure.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawnSync } = require("child_process");
const lib = require("./lib");

const env = (name, dflt) => (process.env[name] !== undefined && process.env[name] !== "" ? Number(process.env[name]) : dflt);
const cfg = {
  nodeN: env("BENCH_SF_NODE_N", 20_000), // messages per node run
  nodeRounds: env("BENCH_SF_NODE_ROUNDS", 3),
  appendN: env("BENCH_SF_N", 100_000), // records per library append run
  rounds: env("BENCH_SF_ROUNDS", 3),
  perTick: 20, // messages per event-loop turn, as Node-RED delivers a burst
  backlog: env("BENCH_SF_BACKLOG", 1_000_000),
  warmOpens: env("BENCH_SF_OPEN_RUNS", 3),
  coldOpens: env("BENCH_SF_COLD_RUNS", 2),
  lowdbDepths: (process.env.BENCH_SF_LOWDB_N || "100,1000,10000,100000").split(",").map(Number),
  ctxN: env("BENCH_SF_CTX_N", 20_000),
  // item 23: readings/s and the simulated duration (s) of each
  ampRates: (process.env.BENCH_SF_AMP_RATES || "0.1:3600,10:300,100:30,1000:5").split(",").map((p) => p.split(":").map(Number)),
};
const MODES = ["always", "batch", "os"];
const MiB = 1024 * 1024;

// ---- readings and messages ---------------------------------------------------------------------------

const T0 = Date.UTC(2026, 0, 1);
const r3 = (x) => Math.round(x * 1000) / 1000;
/** A canonical reading as meter-normalize emits it, about 250 bytes of JSON. */
function reading(i) {
  return {
    deviceId: "meter-000123",
    timestamp: new Date(T0 + i * 1000).toISOString(),
    measurements: {
      energy: { value: r3(12345.678 + i / 1000), unit: "kWh" },
      voltage: { value: r3(229.5 + (i % 17) / 10), unit: "V" },
      current: { value: r3(5.1 + (i % 23) / 100), unit: "A" },
      power: { value: r3(1.2 + (i % 31) / 1000), unit: "kW" },
    },
    quality: "GOOD",
  };
}
/** The message meter-normalize sends on (store-forward stores the message, not just the payload). */
const message = (i) => ({ _msgid: `b${i.toString(16).padStart(15, "0")}`, topic: "meter-000123", payload: reading(i) });
const payloadBytes = (from, n) => {
  let b = 0;
  for (let i = from; i < from + n; i++) b += Buffer.byteLength(JSON.stringify(reading(i)));
  return b;
};

/** Journal options as the node derives them from its defaults, with `def` over them and storage in `dir`. */
const journalOptions = (dir, def = {}) => lib.nodeConfig(def, dir).journal;
/** For a backlog larger than the node's default cap (64 MiB): lift the caps, everything else the node's. */
const uncapped = { maxBytes: 1024 ** 4, maxRecords: 1e9, maxAgeHours: 87_600 };

function feedTurns(n, perTick, fn) {
  return new Promise((resolve) => {
    let i = 0;
    (function turn() {
      for (let k = 0; k < perTick && i < n; k++, i++) fn(i);
      if (i < n) setImmediate(turn);
      else resolve();
    })();
  });
}

// ---- A. the node in a flow with the ack loop ---------------------------------------------------------

function nodeFlow() {
  const flow = [{ id: "t", type: "tab", label: "bench" }];
  const add = (tag, def) => {
    flow.push(
      { id: `sf-${tag}`, z: "t", type: "store-forward", ...def, wires: [[`tx-${tag}`], [`st-${tag}`]] },
      { id: `tx-${tag}`, z: "t", type: "bench-sink", wires: [] },
      { id: `done-${tag}`, z: "t", type: "complete", scope: [`tx-${tag}`], uncaught: false, wires: [[`sf-${tag}`, `acks-${tag}`]] },
      { id: `acks-${tag}`, z: "t", type: "bench-sink", wires: [] },
      { id: `st-${tag}`, z: "t", type: "bench-sink", wires: [] },
    );
  };
  for (const m of MODES) add(m, { durability: m, rateBytes: "0" });
  add("defaults", {});
  return flow;
}

async function nodeBench(report) {
  const rt = await lib.startRuntime(nodeFlow());
  const stats = async (tag) => {
    const got = rt.expect(`st-${tag}`, 1);
    rt.RED.nodes.getNode(`sf-${tag}`).receive({ command: "stats" });
    await got;
    return rt.last(`st-${tag}`).payload;
  };
  const runs = Object.fromEntries(MODES.map((m) => [m, []]));
  let base = 0;
  await (async () => {
    for (const m of MODES) {
      const acked = rt.expect(`acks-${m}`, 2000);
      await rt.feed(`sf-${m}`, 2000, (i) => message(i)); // warm-up
      await acked;
    }
    base = 2000;
    for (let r = 0; r < cfg.nodeRounds; r++) {
      for (const m of MODES) {
        lib.gc();
        const t = await lib.timed(async () => {
          const acked = rt.expect(`acks-${m}`, cfg.nodeN);
          await rt.feed(`sf-${m}`, cfg.nodeN, (i) => message(base + i), cfg.perTick);
          await acked;
        });
        runs[m].push({ rate: cfg.nodeN / t.wall, cpuRate: cfg.nodeN / t.cpu });
      }
      base += cfg.nodeN;
    }
  })();
  const depth = {};
  for (const m of MODES) depth[m] = (await stats(m)).depth;
  // full defaults, rateBytes included: what a user gets without touching the dialog
  const acks0 = rt.expect("acks-defaults", 1e9);
  void acks0;
  await rt.feed("sf-defaults", 1000, (i) => message(i), 50);
  await new Promise((r) => setTimeout(r, 1000));
  const w = global.__benchSinks["acks-defaults"];
  const at1 = w.got;
  await new Promise((r) => setTimeout(r, 2000));
  const limitedRate = (w.got - at1) / 2;
  await rt.stop();

  const d = lib.storeForwardDefaults();
  const j = journalOptions("/x");
  report.section(
    "A. the node in a flow, with the ack loop (headline)",
    `store-forward -> transport stand-in (a sink calling done()) -> Complete node scoped to it -> back into store-forward, as a user wires it. Messages/s from the first receive() until all ${lib.fmt(cfg.nodeN)} are acknowledged, ${cfg.perTick} per event-loop turn, median of ${cfg.nodeRounds} rounds. The node's defaults (${d.from}: syncInterval ${d.values.syncInterval} ms, inFlight ${d.values.inFlight}, batchSize ${d.values.batchSize}; segments ${lib.fmt(j.segmentBytes / 1024)} KiB), except rateBytes 0: the default ${lib.fmt(d.values.rateBytes)} B/s paces live traffic too (last row).`,
  );
  const nodeRate = {};
  for (const m of MODES) {
    const s = lib.spread(runs[m].map((x) => x.rate));
    nodeRate[m] = s.median;
    report.figure({ name: `node, durability ${m}`, value: s.median, unit: "msgs/s", spread: s, note: `per CPU-second: ${lib.num(lib.median(runs[m].map((x) => x.cpuRate)))}; depth after the runs: ${depth[m]}${depth[m] ? " (NOT drained)" : ""}` });
  }
  report.figure({
    name: "node, all defaults (rateBytes 12,500 B/s)",
    value: limitedRate,
    unit: "msgs/s",
    note: `acknowledged per second once the burst allowance is spent, a 1,000-message backlog waiting: the byte budget (~${lib.num(d.values.rateBytes / Buffer.byteLength(JSON.stringify(message(0))))} messages of this size per second) paces live traffic as well as replay (issue 7 item 24)`,
  });
  return nodeRate;
}

// ---- B. the journal library alone --------------------------------------------------------------------

async function libAppend(Journal, enc, mode) {
  const dir = lib.tmpDir(`append-${mode}`);
  lib.gc();
  const j = Journal.open(journalOptions(dir, { ...uncapped, durability: mode }));
  const ps = [];
  const io0 = lib.procIo();
  const t0 = process.hrtime.bigint();
  await feedTurns(cfg.appendN, cfg.perTick, (i) => {
    const r = enc.encode(message(i));
    ps.push(j.append(1, r.key, r.data));
  });
  await Promise.all(ps);
  const s = lib.seconds(t0);
  const io = lib.ioDelta(io0, lib.procIo());
  const bytesWritten = j.stats().bytesWritten;
  await j.close();
  lib.rmDir(dir);
  return { rate: cfg.appendN / s, bytesWritten, io };
}

/** Append and deliver in the same turns, as the node does with the link up: the library's round trip. */
async function libRoundTrip(Journal, enc, mode) {
  const dir = lib.tmpDir(`rt-${mode}`);
  lib.gc();
  const j = Journal.open(journalOptions(dir, { ...uncapped, durability: mode }));
  let acked = 0;
  const t0 = process.hrtime.bigint();
  await new Promise((resolve) => {
    let i = 0;
    const deliver = () => {
      for (let r = j.next(); r; r = j.next()) {
        j.ack(r.id);
        if (++acked === cfg.appendN) resolve();
      }
    };
    j.onWritten = deliver;
    (function turn() {
      for (let k = 0; k < cfg.perTick && i < cfg.appendN; k++, i++) {
        const r = enc.encode(message(i));
        j.append(1, r.key, r.data).then(deliver);
      }
      if (i < cfg.appendN) setImmediate(turn);
    })();
  });
  const s = lib.seconds(t0);
  await j.close();
  lib.rmDir(dir);
  return { rate: cfg.appendN / s };
}

async function buildBacklog(Journal, enc, dir, n) {
  const j = Journal.open(journalOptions(dir, { ...uncapped, durability: "os" }));
  for (let from = 0; from < n; from += 10_000) {
    const ps = [];
    for (let i = from; i < Math.min(n, from + 10_000); i++) {
      const r = enc.encode(message(i));
      ps.push(j.append(1, r.key, r.data));
    }
    await Promise.all(ps);
  }
  const bytesWritten = j.stats().bytesWritten;
  await j.close();
  return { bytesWritten, onDisk: lib.du(dir) };
}

async function replayBacklog(Journal, dir) {
  const j = Journal.open(journalOptions(dir, { ...uncapped, durability: "batch" }));
  const w0 = j.stats().bytesWritten;
  const t0 = process.hrtime.bigint();
  let n = 0;
  await new Promise((resolve) => {
    (function turn() {
      for (let k = 0; k < 1000; k++) {
        const r = j.next();
        if (!r) return resolve();
        j.ack(r.id);
        n++;
      }
      setImmediate(turn);
    })();
  });
  const s = lib.seconds(t0);
  await j.close();
  return { n, rate: n / s, bytesWritten: j.stats().bytesWritten - w0 };
}

// ---- C. recovery in a fresh process ------------------------------------------------------------------

function openInChild(dir) {
  const r = spawnSync(process.execPath, ["--expose-gc", __filename, "--open-child", dir], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`open child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

async function childOpen(dir) {
  const { Journal } = lib.storeForward();
  lib.gc();
  const before = process.memoryUsage();
  const io0 = lib.procIo();
  const t0 = process.hrtime.bigint();
  const j = Journal.open(journalOptions(dir, { ...uncapped, durability: "batch" }));
  const s = lib.seconds(t0);
  const io = lib.ioDelta(io0, lib.procIo());
  lib.gc();
  const after = process.memoryUsage();
  const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync("/proc/self/status", "utf8"));
  const out = { s, recovery: j.recovery, depth: j.depth, rssBefore: before.rss, rssAfter: after.rss, peakRss: hwm ? Number(hwm[1]) * 1024 : NaN, readFromDisk: io ? io.readBytes : NaN };
  await j.close();
  process.stdout.write(JSON.stringify(out) + "\n");
}

// ---- D. baselines ------------------------------------------------------------------------------------

/** lowdb 7 with `depth` messages queued: push one, await db.write() (the whole document rewritten). */
async function lowdbAtDepth(depth) {
  const { Low } = await import("lowdb");
  const { JSONFile } = await import("lowdb/node");
  const dir = lib.tmpDir("lowdb");
  const file = path.join(dir, "queue.json");
  const db = new Low(new JSONFile(file), { queue: [] });
  await db.read();
  for (let i = 0; i < depth - 1; i++) db.data.queue.push({ topic: "meter-000123", payload: reading(i) });
  await db.write();
  const writes = Math.max(5, Math.min(200, Math.round(200_000 / depth)));
  lib.gc();
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < writes; k++) {
    db.data.queue.push({ topic: "meter-000123", payload: reading(depth + k) });
    await db.write();
  }
  const s = lib.seconds(t0);
  const size = fs.statSync(file).size;
  lib.rmDir(dir);
  return { rate: writes / s, writes, fileBytes: size };
}

/** Node-RED's localfilesystem context store, cached, flushInterval 0: get, push, set per message. */
async function contextAppend() {
  const LocalFileSystem = require("@node-red/runtime/lib/nodes/context/localfilesystem");
  const dir = lib.tmpDir("context");
  const store = LocalFileSystem({ dir, cache: true, flushInterval: 0 });
  await store.open();
  const scope = "sfqueue1:flow1";
  lib.gc();
  const t0 = process.hrtime.bigint();
  await feedTurns(cfg.ctxN, cfg.perTick, (i) => {
    const q = store.get(scope, "queue") || [];
    q.push({ topic: "meter-000123", payload: reading(i) });
    store.set(scope, "queue", q);
  });
  await store.close(); // the last flush: everything is in the file
  const s = lib.seconds(t0);
  lib.rmDir(dir);
  return { rate: cfg.ctxN / s };
}

// ---- E. write amplification at gateway rates (virtual clock, in a child process) ---------------------

/**
 * In a child with the virtual clock installed: per rate, a fresh journal with the node's options in `mode`,
 * readings arriving at `rate`/s for `duration` virtual seconds. Scenario "outage": appends only (the backlog
 * grows). Scenario "online": each record delivered and acknowledged once its append resolves (the cursor is
 * written too). Kernel bytes: /proc/self/io write_bytes - cancelled_write_bytes. Under durability os the
 * kernel's own writeback (dirty pages older than dirty_expire_centisecs) is emulated with an fsync of every
 * file in the journal each such interval: skipped virtual time does not age real dirty pages.
 */
async function childAmplification(mode, scenario) {
  const { installVirtualClock } = require("./lib/virtual-clock");
  const vc = installVirtualClock();
  const { Journal } = lib.storeForward();
  const enc = lib.recordEncoder();
  let expireMs = 30_000;
  try {
    expireMs = Number(fs.readFileSync("/proc/sys/vm/dirty_expire_centisecs", "utf8")) * 10 || expireMs;
  } catch {
    /* keep 30 s */
  }
  const out = [];
  for (const [rate, duration] of cfg.ampRates) {
    const dir = lib.tmpDir(`amp-${mode}`);
    const opts = journalOptions(dir, { durability: mode });
    const j = Journal.open(opts);
    const n = Math.max(1, Math.round(rate * duration));
    const t0 = Date.now();
    const events = [];
    for (let i = 0; i < n; i++) events.push(t0 + (i * 1000) / rate);
    let writeback;
    if (mode === "os") {
      writeback = setInterval(() => {
        for (const f of lib.files(dir)) {
          const fd = fs.openSync(f, "r");
          fs.fsyncSync(fd);
          fs.closeSync(fd);
        }
      }, expireMs);
    }
    const payload = payloadBytes(0, n);
    let acked = 0;
    const deliver = () => {
      for (let r = j.next(); r; r = j.next()) {
        j.ack(r.id);
        acked++;
      }
    };
    vc.resetCounts();
    const io0 = lib.procIo();
    const w0 = j.stats().bytesWritten;
    await vc.drive(t0 + duration * 1000 + Math.max(opts.syncIntervalMs, opts.cursorIntervalMs || 1000, mode === "os" ? expireMs : 0) + 1000, events, (i) => {
      const r = enc.encode(message(i));
      const p = j.append(1, r.key, r.data);
      if (scenario === "online") p.then(deliver, () => undefined);
    });
    const io = lib.ioDelta(io0, lib.procIo());
    const counts = vc.counts();
    if (writeback) clearInterval(writeback);
    out.push({
      rate,
      duration,
      n,
      acked,
      payload,
      appended: j.stats().bytesWritten - w0,
      kernel: io.kernel,
      dirtied: io.dirtied,
      fsyncs: (counts.fsync || 0) + (counts.fsyncSync || 0) + (counts.fdatasync || 0),
      amplification: io.kernel / payload,
      syncIntervalMs: opts.syncIntervalMs,
    });
    await j.close();
    lib.rmDir(dir);
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

function amplificationInChild(mode, scenario) {
  const r = spawnSync(process.execPath, ["--expose-gc", __filename, "--amp-child", mode, scenario], { encoding: "utf8", env: process.env });
  if (r.status !== 0) throw new Error(`amplification child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

// ---- main --------------------------------------------------------------------------------------------

async function main() {
  const report = new lib.Report("store-forward", "the node with its ack loop, the journal library alone, recovery, baselines, write amplification at gateway rates");
  const { Journal } = lib.storeForward();
  const enc = lib.recordEncoder();
  const rec = enc.encode(message(0));
  const P1 = Buffer.byteLength(JSON.stringify(reading(0)));
  report.note(`reading: ${P1} B of JSON (msg.payload); stored as the message: ${rec.data.length} B (record encoder: ${enc.source}). ${os.cpus().length} CPUs, ${os.tmpdir()} on this machine's disk, Node ${process.version}, load average ${os.loadavg()[0].toFixed(2)}.`);

  // A
  const nodeRate = await nodeBench(report);

  // B
  const app = Object.fromEntries(MODES.map((m) => [m, []]));
  const trip = Object.fromEntries(MODES.map((m) => [m, []]));
  for (let r = 0; r < cfg.rounds; r++) {
    for (const m of MODES) {
      app[m].push(await libAppend(Journal, enc, m));
      trip[m].push(await libRoundTrip(Journal, enc, m));
    }
  }
  const backlogDir = lib.tmpDir("backlog");
  const built = await buildBacklog(Journal, enc, backlogDir, cfg.backlog);
  const backlogPayload = payloadBytes(0, cfg.backlog);
  const warm = [];
  for (let r = 0; r < cfg.warmOpens; r++) warm.push(openInChild(backlogDir));
  const cold = [];
  let coldWhy;
  for (let r = 0; r < cfg.coldOpens; r++) {
    const d = lib.dropCaches();
    if (!d.ok) {
      coldWhy = d.why;
      break;
    }
    cold.push(openInChild(backlogDir));
  }
  const replayed = await replayBacklog(Journal, backlogDir);
  lib.rmDir(backlogDir);

  report.section(
    "B. the journal library alone (Journal from the public API; no Node-RED, no forwarder)",
    `${lib.fmt(cfg.appendN)} records per run, ${cfg.perTick} appends per event-loop turn, median of ${cfg.rounds} rounds; the node's journal options with the caps lifted. "round trip" appends and delivers (next + ack) in the same turns, as the node does with the link up.`,
  );
  const appRate = {};
  for (const m of MODES) {
    const s = lib.spread(app[m].map((x) => x.rate));
    appRate[m] = s.median;
    report.figure({ name: `library append, ${m}`, value: s.median, unit: "records/s", spread: s, goal: m === "batch" ? lib.atLeast(50_000, " records/s") : undefined });
  }
  for (const m of MODES) {
    const s = lib.spread(trip[m].map((x) => x.rate));
    report.figure({
      name: `library round trip, ${m}`,
      value: s.median,
      unit: "records/s",
      spread: s,
      note: `the node in a flow (A) does ${lib.num(nodeRate[m])} msgs/s: ${lib.num(s.median / nodeRate[m])}x less than the library alone`,
    });
  }
  report.figure({ name: `library replay of a ${lib.fmt(cfg.backlog)}-record backlog, next + ack`, value: replayed.rate, unit: "records/s" });

  const mid = (xs) => xs.find((o) => o.s === lib.median(xs.map((x) => x.s))) || xs[0];
  const w = mid(warm);
  report.section(
    `C. recovery of a ${lib.fmt(cfg.backlog)}-record backlog (${lib.fmt(built.onDisk / MiB, 1)} MiB on disk): Journal.open() in a fresh process`,
    `warm: the files in the page cache (just written); cold: after echo 1 > /proc/sys/vm/drop_caches (read from disk shows it was).`,
  );
  report.figure({
    name: "recovery, page cache warm",
    value: w.s,
    unit: "s",
    spread: lib.spread(warm.map((x) => x.s)),
    goal: lib.atMost(2, " s"),
    note: `${lib.fmt(w.recovery.records)} records recovered (expected ${lib.fmt(cfg.backlog)}), torn ${w.recovery.tornBytes} B, lost ${w.recovery.lost}; read from disk ${lib.fmt(w.readFromDisk / MiB, 1)} MiB`,
  });
  if (cold.length) {
    const c = cold.length === 1 ? cold[0] : mid(cold);
    report.figure({
      name: "recovery, page cache cold",
      value: c.s,
      unit: "s",
      spread: lib.spread(cold.map((x) => x.s)),
      goal: lib.atMost(2, " s"),
      note: `read from disk ${lib.fmt(c.readFromDisk / MiB, 1)} MiB (${os.tmpdir()} on ${lib.fmt(built.onDisk / MiB, 1)} MiB of segments); a gateway's SD card reads at 20-90 MB/s, so expect more there`,
    });
  } else report.figure({ name: "recovery, page cache cold", value: "not measurable here", unit: "", note: coldWhy });
  report.figure({ name: "RSS growth opening that backlog", value: (w.rssAfter - w.rssBefore) / MiB, unit: "MiB", goal: lib.atMost(32, " MiB"), note: `peak RSS ${lib.fmt(w.peakRss / MiB, 1)} MiB, ${lib.fmt(w.rssBefore / MiB, 1)} MiB before the open` });

  // D
  report.section(
    "D. baselines: lowdb 7 (push, await db.write() per message: the document rewritten) and Node-RED's context store",
    "lowdb's speed falls as 1/N with the queue depth N, so its ratio to the journal grows without bound: it is given per depth, not as one number. lowdb writes a temporary file and renames it, without fsync.",
  );
  for (const depth of cfg.lowdbDepths) {
    const l = await lowdbAtDepth(depth);
    report.figure({
      name: `lowdb, ${lib.fmt(depth)} messages queued`,
      value: l.rate,
      unit: "msgs/s",
      ratio: appRate.batch / l.rate,
      note: `ratio = journal batch append / lowdb; the node (A, batch) / lowdb: ${lib.num(nodeRate.batch / l.rate)}x; ${lib.fmt(l.fileBytes / MiB, 2)} MiB rewritten per message (${l.writes} writes timed)`,
      data: { depth, writes: l.writes, fileBytes: l.fileBytes, journalBatchAppend: appRate.batch, nodeBatch: nodeRate.batch },
    });
  }
  const ctx = await contextAppend();
  report.figure({ name: `context store, flushInterval 0, ${lib.fmt(cfg.ctxN)} msgs`, value: ctx.rate, unit: "msgs/s", ratio: appRate.batch / ctx.rate, note: `ratio = journal batch append / context store; the node (A, batch) / context store: ${lib.num(nodeRate.batch / ctx.rate)}x. The store rewrites the whole queue per flush, so its rate also falls with the queue's length` });

  // E
  const fullP = payloadBytes(0, cfg.appendN);
  report.section(
    "E. write amplification: bytes the kernel writes for the journal / payload bytes (issue 7 item 23)",
    `Kernel bytes: /proc/self/io write_bytes - cancelled_write_bytes (4 KiB per page dirtied after it was last written back; file system metadata and its journal not counted). Payload: msg.payload as JSON (${P1} B). Slow rates are simulated on a virtual clock (the journal's timers and Date.now), the time in which nothing happens skipped, fsyncs real. "outage": appends only, the backlog grows; "online": every record delivered and acknowledged (cursor writes included). Under os, the kernel's writeback every dirty_expire_centisecs is emulated.`,
  );
  const shown = journalOptions("/x", { durability: "batch" });
  delete shown.dir;
  report.note(`the node's journal options (batch): ${JSON.stringify(shown)}`);
  const amp = {};
  for (const scenario of ["outage", "online"]) {
    for (const m of MODES) {
      amp[`${m}/${scenario}`] = amplificationInChild(m, scenario);
      for (const a of amp[`${m}/${scenario}`]) {
        report.figure({
          name: `${scenario}, ${m}, ${a.rate} readings/s`,
          value: a.amplification,
          unit: "x",
          goal: m === "batch" && a.rate === 10 ? lib.atMost(2, "× at 10 readings/s under batch") : undefined,
          note: `${lib.fmt(a.n)} readings over ${a.duration} s simulated; ${a.fsyncs} fsyncs; ${lib.fmt(a.kernel / 1024)} KiB by the kernel for ${lib.fmt(a.payload / 1024, 1)} KiB of payload (journal appended ${lib.fmt(a.appended / 1024, 1)} KiB); syncInterval ${a.syncIntervalMs} ms`,
          data: a,
        });
      }
    }
  }
  const a0 = app.batch[0];
  report.figure({
    name: "full speed, batch append: bytes appended / payload",
    value: lib.median(app.batch.map((x) => x.bytesWritten)) / fullP,
    unit: "x",
    note: `kernel: ${lib.num(a0.io ? a0.io.kernel / fullP : NaN)}x; append + replay + ack of the ${lib.fmt(cfg.backlog)} backlog: ${lib.num((built.bytesWritten + replayed.bytesWritten) / backlogPayload)}x (journal's own count)`,
    goal: lib.atMost(1.3, "×"),
  });
  report.write();
}

if (process.argv[2] === "--open-child") {
  childOpen(process.argv[3]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else if (process.argv[2] === "--amp-child") {
  childAmplification(process.argv[3], process.argv[4]).then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
} else {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
