// The store-forward journal against what a flow would use without it, in one run, side by side:
//   1. append throughput of a canonical reading (~250 B of JSON) in each durability mode (always, batch
//      with syncIntervalMs 100, os), one append per message as the node does it (default key derived,
//      data = the message as JSON), 20 messages per event-loop turn as Node-RED delivers them, all in
//      flight, awaited at the end;
//   2. replay throughput of a backlog on disk, next() + ack() per record (and while appends go on);
//   3. recovery time of a 1,000,000-record backlog (Journal.open in a fresh process);
//   4. RSS growth of that process when it opens that backlog;
//   5. write amplification: bytes written per payload byte (msg.payload, the reading), on append and on
//      replay + ack (cursor writes), from journal.stats().bytesWritten, file sizes and /proc/self/io.
// Baselines, same readings: lowdb 7 (a JSON document rewritten per message) and Node-RED's
// localfilesystem context store (a context array: get, push, set per message).
// Figures and ratios only, never pass/fail. Sizes: BENCH_SF_* env variables below.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawnSync } = require("child_process");

const root = path.resolve(__dirname, "..");
// BENCH_SF_JOURNAL: another build of journal.js to compare (a candidate fix), default the one in dist/.
const journalModule = path.resolve(process.env.BENCH_SF_JOURNAL || path.join(root, "dist", "nodes", "store-forward", "journal.js"));

const env = (name, dflt) => (process.env[name] !== undefined && process.env[name] !== "" ? Number(process.env[name]) : dflt);
const cfg = {
  appendN: env("BENCH_SF_N", 200_000), // records per append case
  rounds: env("BENCH_SF_ROUNDS", 3), // append rounds per mode (median)
  perTick: env("BENCH_SF_PER_TICK", 20), // messages per event-loop turn
  backlog: env("BENCH_SF_BACKLOG", 1_000_000), // recovery / RSS / replay backlog
  openRuns: env("BENCH_SF_OPEN_RUNS", 3), // fresh processes that open the backlog (median)
  liveBacklog: env("BENCH_SF_LIVE_BACKLOG", 50_000),
  liveTicks: env("BENCH_SF_LIVE_TICKS", 2_500),
  pacedSeconds: env("BENCH_SF_PACED_S", 4),
  pacedBytesPerS: env("BENCH_SF_PACED_BPS", 12_500), // the node's default replay budget (rateBytes)
  lowdbN: env("BENCH_SF_LOWDB_N", 1_000),
  ctxN: env("BENCH_SF_CTX_N", 100_000),
  ctxFlushS: env("BENCH_SF_CTX_FLUSH_S", 0), // 0: flush as soon as possible (the journal writes every turn)
  // The node's segment size: maxBytes / 16 between 64 KiB and 4 MiB (4 MiB from maxBytes 64 MiB up).
  segmentBytes: env("BENCH_SF_SEGMENT_KB", 4096) * 1024,
};

const MiB = 1024 * 1024;
const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString("en", { minimumFractionDigits: d, maximumFractionDigits: d }) : String(x));
const sign = (x, d = 0) => (x >= 0 ? "+" : "") + fmt(x, d);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
const gc = () => {
  if (global.gc) {
    global.gc();
    global.gc();
  }
};

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
/** The message meter-normalize sends on (the store-forward node stores the message, not just the payload). */
const message = (i) => ({ _msgid: `b${i.toString(16).padStart(15, "0")}`, topic: "meter-000123", payload: reading(i) });

/**
 * What the node (forwarder.ts) does per message before append(): the message copy as JSON without _msgid
 * and _sf; the default key of a canonical reading (deviceId/timestamp) is derived again on replay, so the
 * stored key is empty.
 */
function toRecord(msg) {
  const copy = {};
  for (const k of Object.keys(msg)) if (k !== "_msgid" && k !== "_sf") copy[k] = msg[k];
  return { key: "", data: Buffer.from(JSON.stringify(copy)) };
}

/** Payload bytes (compact JSON of msg.payload) and journal data bytes of records [from, from+n). */
const sizeCache = new Map();
function sizes(from, n) {
  const k = `${from}:${n}`;
  if (!sizeCache.has(k)) {
    let payload = 0;
    let data = 0;
    let key = 0;
    for (let i = from; i < from + n; i++) {
      const m = message(i);
      payload += Buffer.byteLength(JSON.stringify(m.payload));
      const r = toRecord(m);
      data += r.data.length;
      key += Buffer.byteLength(r.key);
    }
    sizeCache.set(k, { payload, data, key });
  }
  return sizeCache.get(k);
}

// ---- helpers -----------------------------------------------------------------------------------------

const tmpDirs = new Set();
function tmpDir(tag) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `m2m-sf-bench-${tag}-`));
  tmpDirs.add(d);
  return d;
}
function rmDir(d) {
  fs.rmSync(d, { recursive: true, force: true });
  tmpDirs.delete(d);
}
function cleanup() {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
  tmpDirs.clear();
}
process.on("exit", cleanup);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

/** Bytes in files under dir (recursive). */
function du(dir) {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? du(p) : fs.statSync(p).size;
  }
  return n;
}

/**
 * /proc/self/io: wchar/rchar = bytes passed to write/read calls, syscw = write calls (all threads, libuv's
 * wake-ups included), write_bytes = bytes of page-cache pages this process dirtied (4 KiB each time a clean
 * page is written to: what reaches the device, file system metadata and journal not counted).
 */
const hasProcIo = fs.existsSync("/proc/self/io");
function io() {
  if (!hasProcIo) return { rchar: NaN, wchar: NaN, syscw: NaN, write_bytes: NaN, cancelled_write_bytes: NaN };
  const o = {};
  for (const line of fs.readFileSync("/proc/self/io", "utf8").trim().split("\n")) {
    const [k, v] = line.split(": ");
    o[k] = Number(v);
  }
  return o;
}
const ioDelta = (a, b) => ({
  rchar: b.rchar - a.rchar,
  wchar: b.wchar - a.wchar,
  syscw: b.syscw - a.syscw,
  dirtied: b.write_bytes - a.write_bytes,
});

/** Cursor writes: the journal replaces cursor.json by renaming a temporary file over it (writeFileAtomic). */
let cursorWrites = 0;
const renameSync = fs.renameSync;
fs.renameSync = function (from, to) {
  if (String(to).endsWith("cursor.json")) cursorWrites++;
  return renameSync.apply(this, arguments);
};

/** Call fn(i) for i in [0, n), perTick per event-loop turn; resolves with what fn returned once all are fed. */
function feed(n, perTick, fn, from = 0) {
  const out = [];
  let i = from;
  return new Promise((resolve) => {
    (function turn() {
      for (let k = 0; k < perTick && i < from + n; k++, i++) out.push(fn(i));
      if (i < from + n) setImmediate(turn);
      else resolve(out);
    })();
  });
}

const journalOptions = (dir, durability, extra = {}) => ({
  dir,
  durability,
  syncIntervalMs: 100,
  segmentBytes: cfg.segmentBytes,
  maxBytes: 1e15,
  maxRecords: 1e12,
  maxAgeMs: 1e15,
  overflow: "drop-oldest",
  ...extra,
});

// ---- journal: append ---------------------------------------------------------------------------------

async function journalAppend(Journal, mode) {
  const dir = tmpDir(mode);
  gc();
  const j = Journal.open(journalOptions(dir, mode));
  let rejected = 0;
  let firstError;
  const io0 = io();
  const t0 = process.hrtime.bigint();
  const pending = await feed(cfg.appendN, cfg.perTick, (i) => {
    const r = toRecord(message(i));
    return j.append(1, r.key, r.data).catch((err) => {
      rejected++;
      firstError ??= err.message;
    });
  });
  await Promise.all(pending);
  const s = seconds(t0);
  const io1 = io();
  const bytesWritten = j.stats().bytesWritten;
  await j.close();
  const onDisk = du(dir);
  rmDir(dir);
  return { rate: cfg.appendN / s, s, bytesWritten, onDisk, io: ioDelta(io0, io1), rejected, firstError };
}

// ---- journal: backlog, recovery, RSS (child), replay -------------------------------------------------

async function buildBacklog(Journal, dir, n) {
  const j = Journal.open(journalOptions(dir, "os"));
  const t0 = process.hrtime.bigint();
  const step = 10_000;
  for (let from = 0; from < n; from += step) {
    const ps = [];
    for (let i = from; i < Math.min(n, from + step); i++) {
      const r = toRecord(message(i));
      ps.push(j.append(1, r.key, r.data));
    }
    await Promise.all(ps);
  }
  const s = seconds(t0);
  const bytesWritten = j.stats().bytesWritten;
  await j.close();
  return { s, bytesWritten, onDisk: du(dir) };
}

/** In a fresh `node --expose-gc` process: RSS, Journal.open(), RSS again. */
function openInChild(dir) {
  const r = spawnSync(process.execPath, ["--expose-gc", __filename, "--open-child", dir, String(cfg.segmentBytes)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`open child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

async function childOpen(dir, segmentBytes) {
  const { Journal } = require(journalModule);
  cfg.segmentBytes = segmentBytes;
  gc();
  const before = process.memoryUsage();
  const t0 = process.hrtime.bigint();
  const j = Journal.open(journalOptions(dir, "batch"));
  const s = seconds(t0);
  gc();
  const after = process.memoryUsage();
  // VmHWM: this process's own peak (getrusage's maxRSS can carry the parent's peak over fork + exec)
  const hwm = hasProcIo ? /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync("/proc/self/status", "utf8")) : null;
  const maxRss = hwm ? Number(hwm[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
  const out = {
    s,
    recovery: j.recovery,
    depth: j.depth,
    rssBefore: before.rss,
    rssAfter: after.rss,
    heapGrowth: after.heapUsed - before.heapUsed,
    externalGrowth: after.external + after.arrayBuffers - before.external - before.arrayBuffers,
    peakRss: maxRss,
  };
  await j.close();
  process.stdout.write(JSON.stringify(out) + "\n");
}

/** next() + ack() per record, yielding to the event loop every `per` records (timers, cursor writes run). */
async function replay(j, per = 1000) {
  let n = 0;
  let data = 0;
  await new Promise((resolve) => {
    (function turn() {
      for (let k = 0; k < per; k++) {
        const r = j.next();
        if (!r) return resolve();
        data += r.data.length;
        j.ack(r.id);
        n++;
      }
      setImmediate(turn);
    })();
  });
  return { n, data };
}

async function replayBacklog(Journal, dir) {
  const j = Journal.open(journalOptions(dir, "batch"));
  const w0 = j.stats().bytesWritten;
  const c0 = cursorWrites;
  const io0 = io();
  const t0 = process.hrtime.bigint();
  const { n } = await replay(j);
  const s = seconds(t0);
  await j.close(); // the last cursor
  const io1 = io();
  const bytesWritten = j.stats().bytesWritten - w0;
  return { n, s, rate: n / s, bytesWritten, cursorWrites: cursorWrites - c0, io: ioDelta(io0, io1), leftOnDisk: du(dir) };
}

/** Replay while the flow keeps appending: each turn appends perTick records and delivers perTick. */
async function replayLive(Journal) {
  const dir = tmpDir("live");
  const j = Journal.open(journalOptions(dir, "batch"));
  await Promise.all((await feed(cfg.liveBacklog, 1000, (i) => { const r = toRecord(message(i)); return j.append(1, r.key, r.data); })));
  // replay alone, for the bytes read per record
  const ioA = io();
  let alone = 0;
  for (let k = 0; k < 10_000; k++) {
    const r = j.next();
    if (!r) break;
    j.ack(r.id);
    alone++;
  }
  const readAlone = (io().rchar - ioA.rchar) / alone;
  const io0 = io();
  const t0 = process.hrtime.bigint();
  let delivered = 0;
  let i = cfg.liveBacklog;
  const ps = [];
  await new Promise((resolve) => {
    let ticks = 0;
    (function turn() {
      for (let k = 0; k < cfg.perTick; k++, i++) {
        const r = toRecord(message(i));
        ps.push(j.append(1, r.key, r.data));
      }
      for (let k = 0; k < cfg.perTick; k++) {
        const r = j.next();
        if (!r) break;
        j.ack(r.id);
        delivered++;
      }
      if (++ticks < cfg.liveTicks) setImmediate(turn);
      else resolve();
    })();
  });
  const s = seconds(t0);
  const io1 = io();
  await Promise.all(ps);
  await j.close();
  rmDir(dir);
  return { delivered, s, rate: delivered / s, readAlone, readLive: (io1.rchar - io0.rchar) / delivered };
}

/** Replay paced at the node's default byte budget: what the cursor writes cost when delivery is slow. */
async function replayPaced(Journal, cursorIntervalMs) {
  const dir = tmpDir("paced");
  const j = Journal.open(journalOptions(dir, "batch", cursorIntervalMs ? { cursorIntervalMs } : {}));
  const n = Math.ceil((cfg.pacedSeconds * cfg.pacedBytesPerS) / 250) + 100;
  await Promise.all((await feed(n, 1000, (i) => { const r = toRecord(message(i)); return j.append(1, r.key, r.data); })));
  await new Promise((r) => setTimeout(r, 300));
  const w0 = j.stats().bytesWritten;
  const c0 = cursorWrites;
  const io0 = io();
  const t0 = Date.now();
  let payload = 0;
  let delivered = 0;
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      // deliver what the budget allows up to now, 10 ms granularity
      const allowed = ((Date.now() - t0) / 1000) * cfg.pacedBytesPerS;
      while (payload < allowed) {
        const r = j.next();
        if (!r) break;
        payload += Buffer.byteLength(JSON.stringify(JSON.parse(r.data).payload));
        j.ack(r.id);
        delivered++;
      }
      if (Date.now() - t0 >= cfg.pacedSeconds * 1000) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
  const io1 = io();
  const bytesWritten = j.stats().bytesWritten - w0;
  const writes = cursorWrites - c0;
  await j.close();
  rmDir(dir);
  return { delivered, payload, bytesWritten, cursorWrites: writes, io: ioDelta(io0, io1) };
}

// ---- baselines ---------------------------------------------------------------------------------------

/** lowdb 7: db.data.queue.push(msg); await db.write() per message (the whole document rewritten). */
async function lowdbAppend() {
  const { Low } = await import("lowdb");
  const { JSONFile } = await import("lowdb/node");
  const dir = tmpDir("lowdb");
  const file = path.join(dir, "queue.json");
  const db = new Low(new JSONFile(file), { queue: [] });
  await db.read();
  gc();
  const n = cfg.lowdbN;
  const tenth = Math.max(1, Math.floor(n / 10));
  let fileBytes = 0;
  let tFirst = 0;
  let tLast0;
  const io0 = io();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    if (i === n - tenth) tLast0 = process.hrtime.bigint();
    db.data.queue.push({ topic: "meter-000123", payload: reading(i) });
    await db.write();
    fileBytes += fs.statSync(file).size;
    if (i === tenth - 1) tFirst = seconds(t0);
  }
  const s = seconds(t0);
  const io1 = io();
  const finalSize = fs.statSync(file).size;
  rmDir(dir);
  return { n, s, rate: n / s, firstRate: tenth / tFirst, lastRate: tenth / seconds(tLast0), fileBytes, finalSize, io: ioDelta(io0, io1) };
}

/** Node-RED's localfilesystem context store, cached: get, push, set per message; flushes rewrite the file. */
async function contextAppend(flushS) {
  const LocalFileSystem = require("@node-red/runtime/lib/nodes/context/localfilesystem");
  const dir = tmpDir("context");
  const store = LocalFileSystem({ dir, cache: true, flushInterval: flushS });
  await store.open();
  const scope = "sfqueue1:flow1"; // node scope: <node id>:<flow id>
  const file = path.join(dir, "context", "flow1", "sfqueue1.json");
  let flushes = 0;
  let fileBytes = 0;
  const flush = store._flushPendingWrites;
  store._flushPendingWrites = function () {
    return flush.call(this).then((r) => {
      flushes++;
      fileBytes += fs.statSync(file).size;
      return r;
    });
  };
  gc();
  const n = cfg.ctxN;
  const io0 = io();
  const t0 = process.hrtime.bigint();
  await feed(n, cfg.perTick, (i) => {
    const q = store.get(scope, "queue") || [];
    q.push({ topic: "meter-000123", payload: reading(i) });
    store.set(scope, "queue", q);
  });
  const fed = seconds(t0);
  await store.close(); // the last flush: everything is in the file
  const s = seconds(t0);
  const io1 = io();
  const finalSize = fs.statSync(file).size;
  rmDir(dir);
  return { n, s, fed, rate: n / s, flushes, fileBytes, finalSize, io: ioDelta(io0, io1) };
}

// ---- main --------------------------------------------------------------------------------------------

async function main() {
  const { Journal } = require(journalModule);
  const t00 = process.hrtime.bigint();
  const one = sizes(0, 1);
  const rec = toRecord(message(0));
  console.log(`reading: ${one.payload} B of JSON (msg.payload); stored by the node as the message: ${rec.data.length} B data + ${Buffer.byteLength(rec.key)} B key ("${rec.key}") + 28 B frame`);
  console.log(`segments ${fmt(cfg.segmentBytes / 1024)} KiB, ${cfg.perTick} messages per event-loop turn, ${os.cpus().length} CPUs, ${os.tmpdir()} on this machine's disk, Node ${process.version}`);

  // 1. append, modes interleaved round by round
  const modes = ["always", "batch", "os"];
  const res = { always: [], batch: [], os: [] };
  for (let r = 0; r < cfg.rounds; r++) for (const m of modes) res[m].push(await journalAppend(Journal, m));
  const appendSizes = sizes(0, cfg.appendN);
  const pick = (m) => {
    const xs = res[m];
    const mid = median(xs.map((x) => x.rate));
    return { ...xs.find((x) => x.rate === mid), rejected: xs.reduce((a, x) => a + x.rejected, 0), firstError: xs.map((x) => x.firstError).find(Boolean) };
  };
  const app = Object.fromEntries(modes.map((m) => [m, pick(m)]));

  // 3-5. backlog, recovery in fresh processes, RSS, replay
  const backlogDir = tmpDir("backlog");
  gc();
  const built = await buildBacklog(Journal, backlogDir, cfg.backlog);
  const backlogSizes = sizes(0, cfg.backlog);
  const opens = [];
  for (let r = 0; r < cfg.openRuns; r++) opens.push(openInChild(backlogDir));
  const openMid = opens.find((o) => o.s === median(opens.map((x) => x.s)));
  const replayed = await replayBacklog(Journal, backlogDir);
  rmDir(backlogDir);
  const live = await replayLive(Journal);
  const paced = await replayPaced(Journal);
  const pacedSlow = await replayPaced(Journal, 2000);

  // baselines
  const low = await lowdbAppend();
  const lowSizes = sizes(0, low.n);
  // the flushInterval-0 store batches itself (a flush takes longer as the queue grows): median of rounds
  const ctxRuns = [];
  for (let r = 0; r < cfg.rounds; r++) ctxRuns.push(await contextAppend(cfg.ctxFlushS));
  const ctx = ctxRuns.find((x) => x.rate === median(ctxRuns.map((y) => y.rate)));
  const ctxDefault = await contextAppend(30);
  const ctxSizes = sizes(0, ctx.n);

  // ---- report ----
  const P = appendSizes.payload;
  console.log(`\n1. append throughput, ${fmt(cfg.appendN)} records per case, median of ${cfg.rounds} rounds per mode:`);
  for (const m of modes) {
    const a = app[m];
    const label = m === "batch" ? "batch (fsync every 100 ms)" : m === "always" ? "always (fsync before resolve)" : "os (no fsync)";
    const goal = m === "batch" ? "  (goal >= 50,000/s)" : "";
    console.log(`  ${label.padEnd(30)} ${fmt(a.rate).padStart(9)} readings/s  [${res[m].map((x) => fmt(x.rate)).join(", ")}]${goal}`);
  }
  for (const m of modes) if (app[m].rejected) console.log(`  !! ${m}: ${app[m].rejected} appends rejected over ${cfg.rounds} rounds, e.g. "${app[m].firstError}" (their records are on disk)`);
  if (!modes.some((m) => app[m].rejected)) console.log(`  appends rejected: 0`);
  console.log(`  lowdb 7, await write() per message     ${fmt(low.rate, 1).padStart(9)} readings/s  (${fmt(low.n)} records; ${fmt(low.firstRate)}/s over the first tenth, ${fmt(low.lastRate)}/s over the last: it slows as the file grows)`);
  console.log(`  context store, flushInterval ${cfg.ctxFlushS} s      ${fmt(ctx.rate).padStart(9)} readings/s  (${fmt(ctx.n)} records, until the last flush is written; fed in ${fmt(ctx.fed, 2)} s, ${ctx.flushes} flushes) [${ctxRuns.map((x) => fmt(x.rate)).join(", ")}]`);
  console.log(`  context store, flushInterval 30 s      ${fmt(ctxDefault.rate).padStart(9)} readings/s  (Node-RED's default: only the close() flush lands within the run, nothing is on disk until then)`);
  for (const m of modes) console.log(`  ${m} append: ${fmt(app[m].rate / low.rate)}x lowdb, ${fmt(app[m].rate / ctx.rate, 1)}x context store (flush ${cfg.ctxFlushS} s), ${fmt(app[m].rate / ctxDefault.rate, 1)}x context store (flush 30 s)`);

  console.log(`\n2. replay, next() + ack() per record, yielding every 1,000 records (durability batch):`);
  console.log(`  ${fmt(replayed.n)}-record backlog: ${fmt(replayed.rate).padStart(9)} records/s (${fmt(replayed.s, 2)} s), ${fmt(replayed.io.rchar / replayed.n)} B read per record`);
  console.log(`  while appending (${cfg.perTick} appends + ${cfg.perTick} next/ack per turn, ${fmt(cfg.liveBacklog)} backlog): ${fmt(live.rate)} records/s, ${fmt(live.readLive)} B read per delivered record (replay alone: ${fmt(live.readAlone)} B)`);

  console.log(`\n3. recovery of a ${fmt(cfg.backlog)}-record backlog (${fmt(built.onDisk / MiB, 1)} MiB on disk, built in ${fmt(built.s, 1)} s with durability os; page cache warm):`);
  console.log(`  Journal.open() in a fresh process: ${fmt(openMid.s, 3)} s median of ${opens.length} [${opens.map((o) => fmt(o.s, 3)).join(", ")}]  (goal <= 2 s)`);
  console.log(`  journal.recovery.records = ${fmt(openMid.recovery.records)} (expected ${fmt(cfg.backlog)}${openMid.recovery.records === cfg.backlog ? "" : ", MISMATCH"}), bytes ${fmt(openMid.recovery.bytes)}, torn ${openMid.recovery.tornBytes}, lost ${openMid.recovery.lost}, quarantined ${openMid.recovery.quarantined.length}`);

  console.log(`\n4. memory of a fresh process opening that backlog (gc before each figure):`);
  const grow = (openMid.rssAfter - openMid.rssBefore) / MiB;
  console.log(`  RSS ${fmt(openMid.rssBefore / MiB, 1)} MiB before open, ${fmt(openMid.rssAfter / MiB, 1)} MiB after: growth ${fmt(grow, 1)} MiB  (goal <= 32 MB; all runs: [${opens.map((o) => fmt((o.rssAfter - o.rssBefore) / MiB, 1)).join(", ")}] MiB)`);
  console.log(`  peak RSS during open ${fmt(openMid.peakRss / MiB, 1)} MiB (+${fmt((openMid.peakRss - openMid.rssBefore) / MiB, 1)}); heap ${sign(openMid.heapGrowth / 1024)} KiB, external/array buffers ${sign(openMid.externalGrowth / 1024)} KiB; depth ${fmt(openMid.depth)}`);

  console.log(`\n5. write amplification (bytes written / payload bytes; payload = msg.payload JSON, ${fmt(P / cfg.appendN, 1)} B per reading; the node's stored data is ${fmt(appendSizes.data / cfg.appendN, 1)} B per record):`);
  console.log(`  append, journal.stats().bytesWritten: ${fmt(app.batch.bytesWritten / P, 3)} per payload byte, ${fmt(app.batch.bytesWritten / appendSizes.data, 3)} per stored data byte  (goal <= 1.3)`);
  console.log(`  append, segment files on disk:        ${fmt(app.batch.onDisk / P, 3)} per payload byte (${fmt(built.onDisk / backlogSizes.payload, 3)} for the ${fmt(cfg.backlog)} backlog)`);
  for (const m of modes) {
    const d = app[m].io;
    console.log(`  append ${m.padEnd(6)}, write() syscalls:       ${fmt(d.wchar / P, 3)} per payload byte in ${fmt(d.syscw)} calls (~${fmt(cfg.appendN / d.syscw, 1)} records per call); 4 KiB pages dirtied: ${fmt(d.dirtied / P, 3)} per payload byte`);
  }
  const replayPer = replayed.bytesWritten / backlogSizes.payload;
  console.log(`  replay + ack of the ${fmt(cfg.backlog)} backlog in ${fmt(replayed.s, 2)} s: ${fmt(replayed.bytesWritten)} B in ${replayed.cursorWrites} cursor writes = ${replayPer.toExponential(2)} per payload byte; pages dirtied ${(replayed.io.dirtied / backlogSizes.payload).toExponential(2)} per payload byte`);
  console.log(`  total (append + replay): ${fmt((built.bytesWritten + replayed.bytesWritten) / backlogSizes.payload, 3)} per payload byte  (goal <= 1.3)`);
  console.log(`  replay paced at ${fmt(cfg.pacedBytesPerS)} payload B/s (the node's default rateBytes) for ${cfg.pacedSeconds} s, durability batch:`);
  for (const [label, p] of [["cursorIntervalMs 200 (default)", paced], ["cursorIntervalMs 2000", pacedSlow]]) {
    console.log(`    ${label.padEnd(31)} ${fmt(p.delivered)} records, ${fmt(p.bytesWritten)} B in ${p.cursorWrites} cursor write(s) = ${fmt(p.bytesWritten / p.payload, 3)} per payload byte; 4 KiB pages dirtied: ${fmt(p.io.dirtied / p.payload, 2)} per payload byte`);
  }
  console.log(`  lowdb (${fmt(low.n)} records): ${fmt(low.fileBytes / lowSizes.payload, 0)} per payload byte (sum of file sizes after each write; final file ${fmt(low.finalSize / lowSizes.payload, 2)}x the payload, pretty-printed; grows ~linearly with N: ~N/2 x ${fmt(low.finalSize / lowSizes.payload, 2)})`);
  console.log(`  context store, flushInterval ${cfg.ctxFlushS} s (${fmt(ctx.n)} records): ${fmt(ctx.fileBytes / ctxSizes.payload, 1)} per payload byte over ${ctx.flushes} flushes (final file ${fmt(ctx.finalSize / ctxSizes.payload, 2)}x the payload, 4-space indented)`);
  console.log(`  context store, flushInterval 30 s: ${fmt(ctxDefault.fileBytes / ctxSizes.payload, 2)} per payload byte over ${ctxDefault.flushes} flush; every later flush rewrites the whole queue again`);
  console.log(`  append amplification, journal vs lowdb: ${fmt(low.fileBytes / lowSizes.payload / (app.batch.bytesWritten / P), 0)}x less; vs context store: ${fmt(ctx.fileBytes / ctxSizes.payload / (app.batch.bytesWritten / P), 1)}x less`);

  console.log(`\nsummary against the goals (this machine):`);
  console.log(`  batch append          ${fmt(app.batch.rate).padStart(10)} readings/s   goal >= 50,000   (${fmt(app.batch.rate / low.rate)}x lowdb, ${fmt(app.batch.rate / ctx.rate, 1)}x context store)`);
  console.log(`  write amplification   ${fmt((built.bytesWritten + replayed.bytesWritten) / backlogSizes.payload, 3).padStart(10)} per byte     goal <= 1.3      (per stored data byte: ${fmt((built.bytesWritten + replayed.bytesWritten) / backlogSizes.data, 3)})`);
  console.log(`  recovery of ${fmt(cfg.backlog / 1e6, 1)}M      ${fmt(openMid.s, 3).padStart(10)} s             goal <= 2`);
  console.log(`  RSS growth            ${fmt(grow, 1).padStart(10)} MiB           goal <= 32`);
  console.log(`(whole bench ${fmt(seconds(t00), 1)} s)`);
}

if (process.argv[2] === "--open-child") {
  childOpen(process.argv[3], Number(process.argv[4])).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main()
    .then(() => {
      cleanup();
      process.exit(0);
    })
    .catch((e) => {
      console.error(e);
      cleanup();
      process.exit(1);
    });
}
