// tariff-bill, intervals per second under a 3-period × 4-tier URDB TOU rate (America/New_York, weekday/weekend
// schedules, a $/day fixed charge and a tax) from 1,000 devices reporting 15-minute consumption:
//   - the NODE in a flow: receive() -> tariff-bill (its handler is synchronous: when the feed has been handed in,
//     every interval is held; nothing leaves while the month is open), against receive() -> one core change node
//     (set msg.payload) -> counting sink. Rounds alternate until the median ratio is stable. Goal (issue 10): at
//     least 0.5x the change node.
//   - the LIBRARY alone (Ledger.accept, no Node-RED), for scale.
//   - CLOSE: the time from msg.command "close" until 1,000 monthly bills (February 2026, 2,688 intervals each) have
//     reached a counting sink. The close is spread over event-loop turns (at most 25 devices, about 10 ms, a turn).
//   - MEMORY per held interval (heap after − before, after a full GC, Ledger from the public API).
// Figures never fail the run. BENCH_TB_N: readings per slice; BENCH_TB_DAYS: days of the closed month (≤ 28).
"use strict";
const path = require("path");
const lib = require("./lib");

const env = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt);
const N = env("BENCH_TB_N", 10_000); // 10 passes over the devices a slice
const DAYS = Math.min(28, env("BENCH_TB_DAYS", 28));
const DEVICES = 1000;
const Q = 900_000;
const MARCH = Date.parse("2026-03-01T05:00:00Z"); // the throughput stream: 10 passes a slice stay inside March
const FEB = Date.parse("2026-02-01T05:00:00Z"); // the closed month

function tb() {
  return require(path.join(lib.dist, "tariff-bill", "index.js"));
}

/** A URDB (v7) TOU rate: 3 periods × 4 cumulative tiers (as test/flows/tariff-bill/chain.test.ts). */
function touTariff() {
  const weekday = Array.from({ length: 24 }, (_, h) => (h >= 14 && h < 19 ? 2 : h >= 6 && h < 22 ? 1 : 0));
  const weekend = Array.from({ length: 24 }, (_, h) => (h >= 14 && h < 19 ? 1 : 0));
  const tiers = (base) => [
    { max: 200, unit: "kWh", rate: base.toFixed(4) },
    { max: 500, unit: "kWh", rate: (base + 0.02).toFixed(4) },
    { max: 800, unit: "kWh", rate: (base + 0.04).toFixed(4) },
    { unit: "kWh", rate: (base + 0.07).toFixed(4) },
  ];
  return {
    label: "bench-tou-3x4",
    timezone: "America/New_York",
    energyratestructure: [tiers(0.0625), tiers(0.0975), tiers(0.1575)],
    energyweekdayschedule: Array.from({ length: 12 }, () => weekday),
    energyweekendschedule: Array.from({ length: 12 }, () => weekend),
    fixedchargefirstmeter: "0.35",
    fixedchargeunits: "$/day",
    taxes: [{ code: "tax", description: "Sales tax", rate: "0.0725", on: "subtotal" }],
  };
}
const TARIFF = JSON.stringify(touTariff());
const IDS = Array.from({ length: DEVICES }, (_, i) => `meter-${String(i).padStart(4, "0")}`);
const ISO = new Map();
const iso = (t) => {
  let s = ISO.get(t);
  if (s === undefined) ISO.set(t, (s = new Date(t).toISOString()));
  return s;
};

/** Reading n of a stream from t0: device n % 1,000, 15 minutes a pass over the devices. */
function readingAt(t0, n) {
  const pass = Math.floor(n / DEVICES);
  return {
    deviceId: IDS[n % DEVICES],
    timestamp: iso(t0 + pass * Q),
    measurements: { energy: { value: Number((0.05 + ((n * 7) % 13) * 0.037).toFixed(3)), unit: "kWh" } },
    quality: "GOOD",
    meta: { customerId: `c-${n % DEVICES}` },
  };
}

let stream = 0;
const tbMsg = () => ({ payload: readingAt(MARCH, stream++) });
const chMsg = () => ({ payload: readingAt(MARCH, 0) });

function flow(dirA, dirC) {
  const common = { tariff: TARIFF, period: "month", closeBy: "reading", latenessSeconds: "3600", intervalSeconds: "900" };
  return [
    { id: "t", type: "tab", label: "bench" },
    { id: "tb", z: "t", type: "tariff-bill", ...common, dir: dirA, wires: [["sinkA"], ["sinkR"]] },
    { id: "ch", z: "t", type: "change", rules: [{ t: "set", p: "payload", pt: "msg", to: "billed", tot: "str" }], wires: [["sinkB"]] },
    // the month to close: saved once an hour (the bench measures the close, not the state file)
    { id: "tbc", z: "t", type: "tariff-bill", ...common, saveSeconds: "3600", dir: dirC, wires: [["sinkC"], ["sinkR"]] },
    { id: "sinkA", z: "t", type: "bench-sink", wires: [] },
    { id: "sinkB", z: "t", type: "bench-sink", wires: [] },
    { id: "sinkC", z: "t", type: "bench-sink", wires: [] },
    { id: "sinkR", z: "t", type: "bench-sink", wires: [] },
  ];
}

function ledger() {
  const m = tb();
  return new m.Ledger({ tariff: m.parseTariff(TARIFF), measurement: "energy", demandMeasurement: "power", intervalSeconds: 900, period: "month", latenessSeconds: 3600 });
}

function libraryRate(seconds) {
  const rounds = [];
  for (let r = 0; r < 5; r++) {
    const l = ledger();
    let n = 0;
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    while (lib.seconds(t0) < seconds) {
      for (let k = 0; k < 1000; k++) l.accept(readingAt(MARCH, n + k));
      n += 1000;
    }
    const c = process.cpuUsage(c0);
    rounds.push(n / ((c.user + c.system) / 1e6));
  }
  return lib.spread(rounds);
}

/** Heap bytes per held interval: 1,000 devices × `days` of 15-minute intervals in a Ledger. */
function memoryPerInterval(days) {
  lib.gc();
  const before = process.memoryUsage().heapUsed;
  const l = ledger();
  for (let n = 0; n < DEVICES * days * 96; n++) l.accept(readingAt(MARCH, n));
  lib.gc();
  const after = process.memoryUsage().heapUsed;
  return { bytes: (after - before) / l.held, held: l.held, keep: l };
}

(async () => {
  if (!global.gc) console.warn("run with --expose-gc (npm run bench does) for the memory figures");
  const report = new lib.Report("tariff-bill", "intervals/s through tariff-bill (3-period × 4-tier TOU, 1,000 devices) against a core change node; time to close and emit 1,000 monthly bills; memory per held interval");
  const dirA = lib.tmpDir("tb-state");
  const dirC = lib.tmpDir("tb-close");
  const rt = await lib.startRuntime(flow(dirA, dirC));
  const runTb = async (n) => {
    await rt.feed("tb", n, tbMsg);
    await new Promise((r) => setImmediate(r));
  };
  await runTb(5000); // warm up both paths
  await rt.run("ch", "sinkB", 5000, chMsg);
  const wall = { a: { work: 0, s: 0 }, b: { work: 0, s: 0 } };
  const res = await lib.stableRatio(
    async (w) => {
      const t = await lib.timed(() => (w === "a" ? runTb(N) : rt.run("ch", "sinkB", N, chMsg)));
      wall[w].work += N;
      wall[w].s += t.wall;
      return { work: N, seconds: t.cpu };
    },
    { minRounds: 7, maxRounds: 30, tolerance: 0.03, maxSeconds: 60 },
  );
  const heldAfter = stream;

  // The month to close: February for 1,000 devices, a device's day (96 intervals) a message.
  const perMonth = DAYS * 96;
  const fill = await lib.timed(async () => {
    let day = 0;
    await rt.feed(
      "tbc",
      DEVICES * DAYS,
      (i) => {
        day = Math.floor(i / DEVICES);
        const dev = i % DEVICES;
        const out = [];
        for (let k = 0; k < 96; k++) out.push(readingAt(FEB, dev + (day * 96 + k) * DEVICES));
        return { payload: out };
      },
      5,
    );
  });
  const done = rt.expect("sinkC", DEVICES);
  const close = await lib.timed(async () => {
    rt.RED.nodes.getNode("tbc").receive({ command: "close" });
    return done;
  });
  const last = rt.last("sinkC");
  await rt.stop();
  lib.rmDir(dirA);
  lib.rmDir(dirC);

  report.section(
    "the node in a flow: receive() -> node, 20 messages per event-loop turn",
    `One 15-minute reading a message from ${lib.fmt(DEVICES)} devices in turn (March 2026; the month stays open, so every interval is held: ${lib.fmt(heldAfter)} at the end), period month closed by the data, the state saved every 30 s as the node does. Rates per CPU-second of this process; ${res.rounds} rounds, ±${(res.precision * 100).toFixed(1)}%${res.stable ? "" : ", NOT within the tolerance: the round or time limit came first"}.`,
  );
  report.figure({ name: "tariff-bill node (median of rounds)", value: res.a.median, unit: "intervals/s", spread: res.a });
  report.figure({ name: "core change node, set msg.payload (median)", value: res.b.median, unit: "msgs/s", spread: res.b });
  report.figure({
    name: "wall clock: tariff-bill / change node",
    value: wall.a.work / wall.a.s / (wall.b.work / wall.b.s),
    unit: "x",
    note: `${lib.num(wall.a.work / wall.a.s)} intervals/s against ${lib.num(wall.b.work / wall.b.s)} msgs/s`,
  });
  report.figure({
    name: "ratio tariff-bill / change node (median)",
    value: res.ratio.median,
    unit: "x",
    spread: res.ratio,
    goal: lib.atLeast(0.5, "× the change node", "value"),
    note: `per round: ${res.ratios.map((x) => x.toFixed(2)).join(", ")}`,
    data: { rounds: res.rounds, precision: res.precision, stable: res.stable, ratios: res.ratios },
  });

  report.section("the library alone: Ledger.accept(reading) in a loop, no Node-RED (5 rounds of 1 s, per CPU-second)");
  const libr = libraryRate(1);
  report.figure({ name: "Ledger.accept", value: libr.median, unit: "intervals/s", spread: libr, baseline: { name: "the node in a flow", value: res.a.median, unit: "intervals/s" } });

  report.section(
    "closing a month: msg.command close -> 1,000 bills at a counting sink",
    `February 2026 (${DAYS} days, ${lib.fmt(perMonth)} intervals a device, ${lib.fmt(perMonth * DEVICES)} in all), fed as one message per device-day (96 readings). The close bills at most 25 devices (about 10 ms) per event-loop turn, sending each turn's bills as it goes.`,
  );
  report.figure({ name: "fill: intervals held through the node (arrays of 96)", value: (perMonth * DEVICES) / fill.wall, unit: "intervals/s", note: `${fill.wall.toFixed(1)} s wall, ${fill.cpu.toFixed(1)} s CPU` });
  report.figure({ name: "close and emit 1,000 monthly bills", value: close.wall, unit: "s", note: `${((close.wall / DEVICES) * 1000).toFixed(1)} ms a bill of ${lib.fmt(perMonth)} intervals; last bill total ${last && last.payload ? `${last.payload.total} ${last.payload.currency}, ${last.payload.lines.length} lines` : "?"}` });
  report.figure({ name: "close: bills per second", value: DEVICES / close.wall, unit: "bills/s" });

  report.section("memory per held interval (heap after − before, after a full GC)", "Ledger from the public API, 1,000 devices × 7 days of 15-minute intervals (672,000); each interval is a Map entry keyed by its start holding [end, kWh, kW, quality, revision].");
  const mem = memoryPerInterval(7);
  report.figure({ name: "held interval", value: mem.bytes, unit: "bytes", note: `${lib.fmt(mem.held)} intervals; a month of 15-minute data for 1,000 devices holds ~${lib.num((mem.bytes * 2976 * DEVICES) / 2 ** 20)} MiB` });
  mem.keep = null;
  report.write();
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
