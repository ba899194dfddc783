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
  report.write();
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
