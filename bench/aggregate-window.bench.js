// aggregate-window, readings per second through 15-minute windows (America/New_York) with three functions
// (delta for energy*, mean for power*, max for temp*) on 20-measurement readings from 1,000 devices reporting every
// minute (15 readings a window; each device's window closes and is emitted every 15 readings):
//   - the NODE in a flow: receive() -> aggregate-window (its handler is synchronous: when the feed has been
//     handed in, every reading has been aggregated; the aggregates it emits go to a counting sink), against
//     receive() -> one core change node (set msg.payload) -> counting sink. Rounds alternate until the median
//     ratio is stable. Goal: at least 0.5x the change node.
//   - the LIBRARY alone (Aggregator.add, no Node-RED), for scale; and the same with 15-minute readings (every
//     reading closes its device's previous window: one aggregate out per reading in).
//   - MEMORY per open device-window (heap after / before 10,000 devices each open one window), for the three
//     functions, and with twa (which keeps its points); and per closed window kept for corrections.
//   - A CLOSED WINDOW kept for corrections, in memory and in the state document, against the same windows held as
//     before the compact records (a Float64Array of 10 numbers a column, a Map of slots to times; the document's
//     format 1), built from the same data in the same run: bytes and the ratio.
// Figures never fail the run. BENCH_AW_N: messages per slice.
"use strict";
const path = require("path");
const lib = require("./lib");

const env = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt);
// 15,000 = 15 readings x 1,000 devices: every slice holds exactly one close of each device's window (a slice of
// 5,000 would hold a close in one slice of three, and the per-round ratios would swing with it).
const N = env("BENCH_AW_N", 15_000);
const DEVICES = 1000;
const T0 = Date.parse("2026-03-08T05:00:00Z"); // New York's 23-hour day

function aw() {
  return require(path.join(lib.dist, "aggregate-window", "index.js"));
}

const NAMES = [];
for (let k = 0; k < 7; k++) NAMES.push(`energy${k}`);
for (let k = 0; k < 7; k++) NAMES.push(`power${k}`);
for (let k = 0; k < 6; k++) NAMES.push(`temp${k}`);
const AGGREGATES = '{"energy*":"delta","power*":"mean","temp*":"max"}';
const IDS = Array.from({ length: 100_000 }, (_, i) => `meter-${String(i).padStart(5, "0")}`);

/** Reading number n of the stream: device n % devices, time advancing `stepS` per pass over the devices. */
function readingAt(n, devices, stepS) {
  const pass = Math.floor(n / devices);
  const t = T0 + pass * stepS * 1000;
  const measurements = {};
  for (let k = 0; k < NAMES.length; k++) {
    const name = NAMES[k];
    const v = name[0] === "e" ? 1000 + pass * 0.25 + k : name[0] === "p" ? 1 + ((pass + k) % 7) * 0.5 : 20 + ((pass + k) % 5);
    measurements[name] = { value: v, unit: name[0] === "e" ? "kWh" : name[0] === "p" ? "kW" : "Cel" };
  }
  return { deviceId: IDS[n % devices], timestamp: new Date(t).toISOString(), measurements, quality: "GOOD", source: { protocol: "json" } };
}

let stream = 0;
const awMsg = () => ({ payload: readingAt(stream++, DEVICES, 60) });
const chMsg = () => ({ payload: readingAt(0, DEVICES, 60) });

function flow(stateDir) {
  return [
    { id: "t", type: "tab", label: "bench" },
    { id: "aw", z: "t", type: "aggregate-window", window: "15m", zone: "America/New_York", aggregates: AGGREGATES, intervalSeconds: "60", stateDir, wires: [["sinkA"], []] },
    { id: "ch", z: "t", type: "change", rules: [{ t: "set", p: "payload", pt: "msg", to: "aggregated", tot: "str" }], wires: [["sinkB"]] },
    { id: "sinkA", z: "t", type: "bench-sink", wires: [] },
    { id: "sinkB", z: "t", type: "bench-sink", wires: [] },
  ];
}

function libraryRate(stepS, seconds) {
  const m = aw();
  const rounds = [];
  let emitted = 0;
  let inputs = 0;
  for (let r = 0; r < 5; r++) {
    const agg = new m.Aggregator(m.parseAggregateWindowConfig({ window: "15m", zone: "America/New_York", aggregates: AGGREGATES, intervalSeconds: stepS }));
    let n = 0;
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    while (lib.seconds(t0) < seconds) {
      for (let k = 0; k < 1000; k++) emitted += agg.add([readingAt(n + k, DEVICES, stepS)], T0).aggregates.length;
      n += 1000;
    }
    const c = process.cpuUsage(c0);
    inputs += n;
    rounds.push(n / ((c.user + c.system) / 1e6));
  }
  return { ...lib.spread(rounds), perInput: emitted / inputs };
}

/** Heap bytes per device-window: `devices` devices each open one window (and `closed` closed ones). */
function memoryPer(aggregates, devices, readingsPerDevice, stepS) {
  const m = aw();
  lib.gc();
  const used = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers; // the accumulators are Float64Arrays
  const before = used();
  const agg = new m.Aggregator(m.parseAggregateWindowConfig({ window: "15m", zone: "America/New_York", aggregates, intervalSeconds: 60, latenessSeconds: 0 }));
  for (let n = 0; n < devices * readingsPerDevice; n++) agg.add([readingAt(n, devices, stepS)], T0);
  lib.gc();
  const after = used();
  const s = agg.stats();
  return { bytes: (after - before) / (s.openWindows + s.closedWindows), stats: s, keep: agg };
}

/**
 * Bytes per closed window now and before, in memory and in the state document: `devices` devices, 48 closed
 * windows each (and one open). Before: the same windows rebuilt as the node held them before the compact records.
 */
function closedCost(stepS, devices = 1000, closedPer = 48) {
  const m = aw();
  const rec = require(path.join(lib.dist, "aggregate-window", "record.js"));
  const STRIDE = 10;
  const used = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const cfg = { window: "15m", zone: "America/New_York", aggregates: AGGREGATES, intervalSeconds: stepS, latenessSeconds: 0 };
  const per = 900 / stepS;
  const make = (windows) => {
    const agg = new m.Aggregator(m.parseAggregateWindowConfig(cfg));
    for (let n = 0; n < devices * ((windows - 1) * per + 1); n++) agg.add([readingAt(n, devices, stepS)], T0);
    return agg;
  };
  /** Heap bytes that what `fn` returns holds (measured while it is alive; `keep` is dropped by the caller). */
  const heapOf = (fn) => {
    lib.gc();
    const b = used();
    const keep = fn();
    lib.gc();
    return { bytes: used() - b, keep };
  };
  // the devices with their open window only, then with 48 closed ones more
  const openOnly = heapOf(() => make(1)).bytes;
  const { state, s, withClosed } = (() => {
    const r = heapOf(() => make(closedPer + 1));
    return { state: r.keep.snapshot(), s: r.keep.stats(), withClosed: r.bytes };
  })();
  const closedOf = (d) => d.wins.filter((w) => w[4] & 1);
  const nowJson = state.devices.reduce((n, d) => n + closedOf(d).reduce((k, w) => k + JSON.stringify(w).length + 1, 0), 0);
  // before: each closed window as the node held it, from the same stats
  const I = stepS * 1000;
  const old = [];
  let oldJson = 0;
  for (const d of state.devices) {
    const ncols = Object.keys(d.cols).length;
    for (const w of closedOf(d)) {
      const [start, len, rev, sig, , rcv, r] = w;
      const buf = rec.unpackStats(r, start, new Float64Array(Math.max(ncols, 4) * STRIDE));
      const seen = new Map();
      for (const [slot, at] of rec.slotsOf(r, I)) seen.set(slot, start + at);
      const win = { start, end: start + len, seen, extra: 0, buf, rev, sig, closed: true, dirty: false, finalSent: false, rcv };
      old.push(win);
      oldJson += JSON.stringify({ ...win, buf: Array.from(win.buf), seen: [...win.seen].flat() }).length + 1;
    }
  }
  const windows = s.closedWindows;
  // the same windows again (what holding them costs), measured while `old` is held already
  const again = heapOf(() => old.map((w) => ({ ...w, seen: new Map(w.seen), buf: Float64Array.from(w.buf) })));
  const beforeMem = again.bytes / windows;
  if (again.keep.length !== windows) throw new Error("the before-windows do not match");
  return { windows, now: { mem: (withClosed - openOnly) / windows, json: nowJson / windows }, before: { mem: beforeMem, json: oldJson / windows } };
}

(async () => {
  if (!global.gc) console.warn("run with --expose-gc (npm run bench does) for the memory figures");
  const report = new lib.Report("aggregate-window", "readings/s through aggregate-window (15-minute windows, 3 functions, 20 measurements, 1,000 devices) against a core change node; memory per open device-window");
  const stateDir = lib.tmpDir("aw-state");
  const rt = await lib.startRuntime(flow(stateDir));
  // Every reading handed in has been aggregated when the feed resolves; one more turn delivers what it emitted.
  const runAw = async (n) => {
    await rt.feed("aw", n, awMsg);
    await new Promise((r) => setImmediate(r));
  };
  await runAw(5000); // warm up both paths
  await rt.run("ch", "sinkB", 5000, chMsg);
  const wall = { a: { work: 0, s: 0 }, b: { work: 0, s: 0 } };
  const res = await lib.stableRatio(
    async (w) => {
      const t = await lib.timed(() => (w === "a" ? runAw(N) : rt.run("ch", "sinkB", N, chMsg)));
      wall[w].work += N;
      wall[w].s += t.wall;
      return { work: N, seconds: t.cpu };
    },
    { minRounds: 7, maxRounds: 30, tolerance: 0.03, maxSeconds: 60 },
  );
  await rt.stop();
  lib.rmDir(stateDir);

  report.section(
    "the node in a flow: receive() -> node (aggregates -> counting sink), 20 messages per event-loop turn",
    `Readings every minute from ${lib.fmt(DEVICES)} devices (each window holds 15 and is emitted when the next one begins), the state saved every 10 s as the node does. Rates per CPU-second of this process; ${res.rounds} rounds, ±${(res.precision * 100).toFixed(1)}%${res.stable ? "" : ", NOT within the tolerance: the round or time limit came first"}.`,
  );
  report.figure({ name: "aggregate-window node (median of rounds)", value: res.a.median, unit: "readings/s", spread: res.a });
  report.figure({ name: "core change node, set msg.payload (median)", value: res.b.median, unit: "msgs/s", spread: res.b });
  report.figure({
    name: "wall clock: aggregate-window / change node",
    value: wall.a.work / wall.a.s / (wall.b.work / wall.b.s),
    unit: "x",
    note: `${lib.num(wall.a.work / wall.a.s)} readings/s against ${lib.num(wall.b.work / wall.b.s)} msgs/s`,
  });
  report.figure({
    name: "ratio aggregate-window / change node (median)",
    value: res.ratio.median,
    unit: "x",
    spread: res.ratio,
    goal: lib.atLeast(0.5, "× the change node", "value"),
    note: `per round: ${res.ratios.map((x) => x.toFixed(2)).join(", ")}`,
    data: { rounds: res.rounds, precision: res.precision, stable: res.stable, ratios: res.ratios },
  });

  report.section("the library alone: Aggregator.add([reading]) in a loop, no Node-RED (5 rounds of 1 s, per CPU-second)");
  const l60 = libraryRate(60, 1);
  report.figure({ name: "library, readings every minute", value: l60.median, unit: "readings/s", spread: l60, baseline: { name: "the node in a flow", value: res.a.median, unit: "readings/s" }, note: `${l60.perInput.toFixed(3)} aggregates out per reading in` });
  const l900 = libraryRate(900, 1);
  report.figure({ name: "library, readings every 15 minutes", value: l900.median, unit: "readings/s", spread: l900, note: `${l900.perInput.toFixed(3)} aggregates out per reading in: every reading closes its device's previous window` });

  report.section("memory per device-window (heap + array buffers after − before, after a full GC)", "10,000 devices, 20 measurements each, the device's own records (names, source) included. A window holds stats, not readings (one Float64Array of 10 numbers a measurement); twa keeps each point (time, value, bad) to integrate whatever the arrival order; a closed window is kept for corrections until the watermark is correctionHours past it.");
  const open3 = memoryPer(AGGREGATES, 10_000, 1, 60);
  report.figure({ name: "open window, delta/mean/max, 1 reading", value: open3.bytes, unit: "bytes", note: `${open3.stats.openWindows} open windows` });
  open3.keep = null;
  const open15 = memoryPer(AGGREGATES, 10_000, 15, 60);
  report.figure({ name: "open window, delta/mean/max, 15 readings", value: open15.bytes, unit: "bytes", note: "the same: stats, not readings" });
  open15.keep = null;
  const twa = memoryPer('{"*":"twa"}', 10_000, 15, 60);
  report.figure({ name: "open window, twa on all 20, 15 readings", value: twa.bytes, unit: "bytes", note: "twa keeps its points" });
  twa.keep = null;
  const closed = memoryPer(AGGREGATES, 2_000, 4, 900);
  report.figure({ name: "device-window, 3 closed + 1 open (15-minute readings)", value: closed.bytes, unit: "bytes", note: `${closed.stats.closedWindows} closed, ${closed.stats.openWindows} open; at 15-minute windows, 48 h of corrections keep 192 closed windows a device` });
  closed.keep = null;

  report.section(
    "a closed window kept for corrections: now (a compact record) against before (format 1), the same windows",
    "1,000 devices each with 48 closed 15-minute windows (12 h; 192 for the 48 h of corrections) of 20 measurements, delta/mean/max, readings every minute (15 a window) or every 15 minutes (1 a window). Memory: heap + array buffers per closed window, over the devices' open windows alone. Before: each window as the node held it before, built from the same stats (a Float64Array of 10 numbers a column, a Map of slot to reading time, the window's fields); its document the format-1 JSON.",
  );
  for (const stepS of [60, 900]) {
    const c = closedCost(stepS);
    const label = stepS === 60 ? "readings every minute" : "readings every 15 minutes";
    report.figure({ name: `memory per closed window, ${label}`, value: c.now.mem, unit: "bytes", baseline: { name: "before", value: c.before.mem, unit: "bytes" }, note: `${lib.fmt(c.windows)} closed windows` });
    report.figure({ name: `saved bytes per closed window, ${label}`, value: c.now.json, unit: "bytes", baseline: { name: "before", value: c.before.json, unit: "bytes" } });
  }
  report.write();
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
