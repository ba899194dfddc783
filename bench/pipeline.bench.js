// The full pipeline (issue 13, item 5): readings per second through
//   meter-normalize -> m2m-validate -> aggregate-window -> store-forward (durability batch)
// in one Node-RED runtime, store-forward acknowledged through a Complete node loop as a user wires it (a
// transport stand-in that calls done(), a Complete node scoped to it, back into store-forward). Against the floor:
// the same chain made of four core change nodes (set msg.payload) into a counting sink, in the same runtime and
// run. Rounds alternate (a b b a, then b a a b) until the median ratio is stable.
//
// The input is what a gateway polling a Modbus bus sees: node-red-contrib-modbus Read messages (40 holding
// registers = a 20-point float32 map of an electricity meter), from METERS meters (unit ids 1..METERS in
// meter-normalize's device table; the seeds' gateway carries 100-500 meters). Two scenarios, each its own chain of
// nodes in the same runtime, each measured against the floor:
//   - "poll 1 min": every meter polled once a minute, 15-minute aggregates forwarded (15 readings in, one aggregate
//     out per meter and window): what a gateway usually does, and the headline;
//   - "poll 15 min": every meter read once per 15 minutes (the seeds' 96 readings a meter a day), each reading closing
//     its meter's previous window: one aggregate into store-forward per reading, the journal's heaviest case.
// The poll time rides in msg.timestamp, so hours of polls pass in seconds; validate's drift limits are opened wide
// for that (its clock check is not what is measured). Validate runs five rules, dedup (48 h) and a sigma baseline.
//
// A slice of readings is done when aggregate-window has taken every one of them and every aggregate they close has
// been acknowledged through the ack loop. Figures never fail the run.
// BENCH_PL_N: readings per slice (whole 15-minute windows of the bus). BENCH_PL_METERS: meters on the bus (1..247).
// BENCH_PL_ONLY=m or q: that scenario alone.
"use strict";
const os = require("os");
const lib = require("./lib");

const env = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt);
const METERS = env("BENCH_PL_METERS", 200); // the seeds' gateway: 100-500 meters, worked example 200
const WINDOW = 15 * METERS; // readings of the bus in one 15-minute window at 1-minute polls
const N = Math.max(WINDOW, Math.round(env("BENCH_PL_N", 6000) / WINDOW) * WINDOW); // whole windows of the bus
const Q = 900_000; // 15 minutes

// ---- the input: a 20-point electricity meter map, read by node-red-contrib-modbus ----------------------------

const POINTS = [
  ["energyImport", "kWh"], ["energyExport", "kWh"], ["energyReactive", "kvarh"], ["energyApparent", "kVAh"],
  ["voltageL1", "V"], ["voltageL2", "V"], ["voltageL3", "V"], ["voltageN", "V"],
  ["currentL1", "A"], ["currentL2", "A"], ["currentL3", "A"], ["currentN", "A"],
  ["powerActive", "kW"], ["powerReactive", "kvar"], ["powerApparent", "kVA"], ["powerFactor", "/"],
  ["frequency", "Hz"], ["thd", "%"], ["temperature", "Cel"], ["tempCase", "Cel"],
];
const registerMap = JSON.stringify({
  mapId: "bench-meter",
  mapVersion: "1.0.0",
  addressBase: 0,
  defaults: { table: "holding" },
  points: POINTS.map(([id, unit], k) => ({ id, address: 2 * k, type: "float32", unit })),
});
const devices = {};
for (let u = 1; u <= METERS; u++) devices[String(u)] = { deviceId: `meter-${String(u).padStart(3, "0")}`, region: "eu-west", deviceType: "em3p" };

/** The value of point k of a meter at poll `pass`: energy counters climb 0.25 kWh a poll, the rest wander. */
function value(k, pass, unit) {
  if (k < 4) return 1000 + unit * 10 + pass * 0.25 + k;
  if (k < 8) return 230 + ((pass + k) % 7) / 10;
  if (k < 12) return 10 + ((pass + unit) % 3);
  if (k < 15) return 5 + ((pass * 7 + k) % 11) / 10;
  if (k === 15) return 0.95;
  if (k === 16) return 50;
  if (k === 17) return 3;
  return 20 + ((pass + k) % 5);
}

const T0 = Math.floor(Date.now() / Q) * Q - 45 * 86_400_000; // 45 days back, room for the polls of a run

/** A stream of polls on the bus, one meter after the other, a pass over the bus every `pollMs`. */
function stream(pollMs) {
  let seq = 0;
  return function modbusMsg() {
    const i = seq++;
    const pass = Math.floor(i / METERS);
    const unit = (i % METERS) + 1;
    const buffer = Buffer.allocUnsafe(80);
    for (let k = 0; k < 20; k++) buffer.writeFloatBE(value(k, pass, unit), k * 4);
    const data = new Array(40);
    for (let k = 0; k < 40; k++) data[k] = buffer.readUInt16BE(k * 2);
    const request = { unitid: String(unit), fc: 3, address: "0", quantity: "40" };
    // What a node-red-contrib-modbus Read node emits, plus the poll time (a real flow takes the time of arrival).
    return { topic: "polling", payload: data.slice(), responseBuffer: { data, buffer }, input: { topic: "polling", from: "", payload: request }, timestamp: T0 + pass * pollMs };
  };
}

// ---- the flow ------------------------------------------------------------------------------------------------

const RULES = [
  { measurement: "energy*", monotonic: true, rollover: 999999.9, maxRatePerHour: 100 },
  { measurement: "voltage*", min: 180, max: 260 },
  { measurement: "current*", min: 0, max: 100 },
  { measurement: "power*", sigma: 4, sigmaBy: "hour", sigmaWarmup: 96 },
  { measurement: "temp*", flatline: 96 },
];
const change = (id, to, next) => ({ id, z: "t", type: "change", rules: [{ t: "set", p: "payload", pt: "msg", to, tot: "str" }], wires: [[next]] });
/** One pipeline, its node ids prefixed with `p`; the taps count what it dropped or complained about. */
const pipelineNodes = (p) => [
  { id: `${p}mn`, z: "t", type: "meter-normalize", inputKind: "modbus", registerMap, devices: JSON.stringify(devices), site: "site-1", timeZone: "UTC", wires: [[`${p}va`]] },
  { id: `${p}va`, z: "t", type: "m2m-validate", rules: JSON.stringify(RULES), driftAcceptSeconds: "31536000", driftRejectSeconds: "31536000", dedupHours: "48", saveSeconds: "60", wires: [[`${p}aw`], [`${p}rejected`], [`${p}alerts`]] },
  { id: `${p}aw`, z: "t", type: "aggregate-window", window: "15m", zone: "UTC", intervalSeconds: p === "q" ? "900" : "60", wires: [[`${p}sf`], [`${p}awOut2`]] },
  { id: `${p}sf`, z: "t", type: "store-forward", durability: "batch", rateBytes: "0", wires: [[`${p}tx`], [`${p}sfStatus`]] },
  { id: `${p}tx`, z: "t", type: "bench-sink", wires: [] },
  // The ack loop has one wire back into store-forward: a second wire (to a counting sink) would make Node-RED clone
  // every ack, a cost the deployment does not pay. The acks are counted on the Complete node's send instead.
  { id: `${p}ack`, z: "t", type: "complete", scope: [`${p}tx`], uncaught: false, wires: [[`${p}sf`]] },
  { id: `${p}rejected`, z: "t", type: "bench-sink", wires: [] },
  { id: `${p}alerts`, z: "t", type: "bench-sink", wires: [] },
  { id: `${p}awOut2`, z: "t", type: "bench-sink", wires: [] },
  { id: `${p}sfStatus`, z: "t", type: "bench-sink", wires: [] },
];
const flow = [
  { id: "t", type: "tab", label: "bench" },
  ...pipelineNodes("m"), // poll 1 min
  ...pipelineNodes("q"), // poll 15 min
  { id: "catchAll", z: "t", type: "catch", scope: null, uncaught: false, wires: [["errors"]] },
  { id: "errors", z: "t", type: "bench-sink", wires: [] },
  // the floor, four core change nodes
  change("c1", "normalized", "c2"),
  change("c2", "validated", "c3"),
  change("c3", "aggregated", "c4"),
  change("c4", "stored", "floor"),
  { id: "floor", z: "t", type: "bench-sink", wires: [] },
];
const SCENARIOS = [
  { p: "m", title: "poll 1 min, 15-minute aggregates forwarded (headline)", pollMs: 60_000, perReading: 1 / 15 },
  { p: "q", title: "poll 15 min, one aggregate forwarded per reading (the journal's heaviest case)", pollMs: Q, perReading: 1 },
].filter((sc) => !process.env.BENCH_PL_ONLY || sc.p === process.env.BENCH_PL_ONLY); // m or q: one scenario (profiling)
const TAPS = ["tx", "rejected", "alerts", "awOut2"]; // tx: every aggregate store-forward delivered

(async () => {
  const report = new lib.Report("pipeline", "readings/s through meter-normalize -> m2m-validate -> aggregate-window -> store-forward (batch, ack loop) against four core change nodes, polls every minute and every 15 minutes");
  const rt = await lib.startRuntime(flow);
  const count = (id) => (global.__benchSinks[id] = { got: 0, want: Infinity, resolve() {} });
  count("errors");
  const errorText = () => {
    const m = global.__benchSinks.errors.last;
    return m && m.error ? `${m.error.source ? m.error.source.type : "?"}: ${m.error.message}` : undefined;
  };
  /** Count calls of node[method] into global.__benchSinks[name], as a bench-sink counts its input. */
  function countCalls(id, method, name) {
    const node = rt.RED.nodes.getNode(id);
    const orig = node[method];
    node[method] = function (...args) {
      const r = orig.apply(this, args);
      const w = global.__benchSinks[name];
      if (w && ++w.got === w.want) w.resolve();
      return r;
    };
  }
  const floorMsg = stream(60_000);
  const results = [];
  for (const sc of SCENARIOS) {
    const { p } = sc;
    const next = stream(sc.pollMs);
    for (const id of TAPS) count(p + id);
    countCalls(`${p}ack`, "send", `${p}acks`); // an ack on its way into store-forward
    countCalls(`${p}aw`, "receive", `${p}in`); // a reading aggregate-window has taken (its handler is synchronous)
    const tap = () => Object.fromEntries(TAPS.map((id) => [id, global.__benchSinks[p + id].got]).concat([["errors", global.__benchSinks.errors.got]]));

    /** Feed `n` polls; resolves when aggregate-window has them all and the aggregates they close are acknowledged. */
    const pipeline = async (n, timeoutMs = 120_000) => {
      let timer;
      const done = Promise.all([rt.expect(`${p}in`, n), rt.expect(`${p}acks`, Math.round(n * sc.perReading))]);
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${sc.title}: ${global.__benchSinks[`${p}in`].got} of ${n} readings aggregated, ${global.__benchSinks[`${p}acks`].got} of ${Math.round(n * sc.perReading)} aggregates acknowledged after ${timeoutMs / 1000} s; taps ${JSON.stringify(tap())}${errorText() ? `; last error ${errorText()}` : ""}`)), timeoutMs);
      });
      await rt.feed(`${p}mn`, n, next);
      try {
        return await Promise.race([done, timeout]);
      } finally {
        clearTimeout(timer);
      }
    };

    // Warm-up: the first windows of every meter open; once a meter has a window (and its lateness) behind it, the
    // aggregates come at their steady rate. Three windows of the bus, then wait until every aggregate is acknowledged.
    count(`${p}acks`);
    const warmN = 3 * (sc.perReading === 1 ? METERS : WINDOW);
    await rt.feed(`${p}mn`, warmN, next);
    for (let last = -1, t0 = Date.now(); ; ) {
      await new Promise((r) => setTimeout(r, 250));
      const now = tap();
      if (now.errors || now.rejected) throw new Error(`${sc.title}: the first polls failed: taps ${JSON.stringify(now)}; ${errorText() || ""}`);
      if (global.__benchSinks[`${p}acks`].got === now.tx && now.tx === last) break;
      if (Date.now() - t0 > 30_000) throw new Error(`${sc.title} warm-up: ${global.__benchSinks[`${p}acks`].got} of ${now.tx} aggregates acknowledged after 30 s`);
      last = now.tx;
    }
    const warm = { readings: warmN, aggregates: tap().tx };
    await pipeline(N);
    await rt.run("c1", "floor", N, floorMsg);

    const tap0 = tap();
    const wall = { a: { work: 0, s: 0, rates: [] }, b: { work: 0, s: 0, rates: [] } };
    const res = await lib.stableRatio(
      async (w) => {
        const t = await lib.timed(() => (w === "a" ? pipeline(N) : rt.run("c1", "floor", N, floorMsg)));
        wall[w].work += N;
        wall[w].s += t.wall;
        wall[w].rates.push(N / t.wall);
        return { work: N, seconds: t.cpu };
      },
      { minRounds: 5, maxRounds: 20, tolerance: 0.03, maxSeconds: 75 },
    );
    const tap1 = tap();
    await new Promise((r) => setTimeout(r, 500)); // the last acks are counted as sent, before store-forward has them
    const got = rt.expect(`${p}sfStatus`, 1);
    rt.RED.nodes.getNode(`${p}sf`).receive({ command: "stats" });
    await Promise.race([got, new Promise((r) => setTimeout(r, 2000))]);
    const sfStatus = rt.last(`${p}sfStatus`);
    const delivered = global.__benchSinks[`${p}tx`].last;
    results.push({ sc, res, wall, tap0, tap1, warm, fed: wall.a.work, sfStats: sfStatus && sfStatus.payload, delivered });
  }
  await rt.stop();

  const load = os.loadavg()[0].toFixed(2);
  for (const { sc, res, wall, tap0, tap1, warm, fed, sfStats, delivered } of results) {
    report.section(
      sc.title,
      `${lib.fmt(METERS)} meters polled over Modbus, a 20-point float32 map each; ${lib.fmt(N)} readings per slice (${lib.fmt(Math.round(N * sc.perReading))} aggregates acknowledged through the Complete-node loop), 20 per event-loop turn, slices a b b a (then b a a b). store-forward durability batch, rateBytes 0 (the default 12,500 B/s paces live traffic as well as replay), the rest its defaults. Rounds until the median CPU ratio is known to ±${res.tolerance * 100}%: ${res.rounds} rounds, ±${(res.precision * 100).toFixed(1)}%${res.stable ? "" : ", NOT within it: the round or time limit came first"}. Load average ${load} on ${os.cpus().length} CPUs at the end (a shared machine: wall-clock rates count other processes' time, per-CPU-second rates do not).`,
    );
    const wallA = lib.spread(wall.a.rates);
    const wallB = lib.spread(wall.b.rates);
    report.figure({ name: "pipeline, wall clock (median of slices)", value: wallA.median, unit: "readings/s", spread: wallA, goal: lib.atLeast(20_000, " readings/s", "value"), note: `${lib.num(wall.a.work / wall.a.s)} readings/s over all ${lib.fmt(wall.a.work)} readings` });
    report.figure({ name: "pipeline, per CPU-second (median of rounds)", value: res.a.median, unit: "readings/s", spread: res.a, goal: lib.atLeast(20_000, " readings/s", "value") });
    report.figure({ name: "floor: 4 change nodes, wall clock (median)", value: wallB.median, unit: "msgs/s", spread: wallB });
    report.figure({ name: "floor: 4 change nodes, per CPU-second (median)", value: res.b.median, unit: "msgs/s", spread: res.b });
    report.figure({
      name: "ratio pipeline / floor, per CPU-second (median)",
      value: res.ratio.median,
      unit: "x",
      spread: res.ratio,
      note: `per round: ${res.ratios.map((x) => x.toFixed(3)).join(", ")}; interquartile ${res.ratio.q1.toFixed(3)}–${res.ratio.q3.toFixed(3)}: a reading through the pipeline costs the CPU time of ${lib.num(1 / res.ratio.median)} messages through four change nodes`,
      data: { rounds: res.rounds, precision: res.precision, stable: res.stable, ratios: res.ratios },
    });
    report.figure({ name: "ratio pipeline / floor, wall clock (all slices)", value: wall.a.work / wall.a.s / (wall.b.work / wall.b.s), unit: "x" });
    const d = (k) => tap1[k] - tap0[k];
    report.figure({ name: "aggregates delivered by store-forward in the rounds", value: d("tx"), unit: "msgs", note: `${(d("tx") / fed).toFixed(4)} a reading over ${lib.fmt(fed)} readings (warm-up: ${lib.fmt(warm.readings)} readings gave ${lib.fmt(warm.aggregates)})` });
    report.figure({ name: "rejected by validate / alerts / aggregate-window's 2nd output", value: d("rejected") + d("alerts") + d("awOut2"), unit: "msgs", note: `${d("rejected")} / ${d("alerts")} / ${d("awOut2")}` });
    report.figure({ name: "errors caught (done(err) from any node)", value: d("errors"), unit: "msgs", note: errorText() });
    if (sfStats) report.figure({ name: "store-forward depth after the rounds", value: sfStats.depth, unit: "records", note: sfStats.depth === 0 ? "every record acknowledged, none left behind" : "NOT drained" });
    if (delivered) {
      const json = JSON.stringify(delivered, (k, v) => (k === "_msgid" || k === "_sf" ? undefined : v));
      report.figure({
        name: "an aggregate as store-forward delivers it (JSON)",
        value: Buffer.byteLength(json),
        unit: "bytes",
        note: `its payload (20 measurements, each with its stats) ${lib.fmt(Buffer.byteLength(JSON.stringify(delivered.payload)))} bytes; the rest is what the msg carried from the reading that closed the window (${Object.keys(delivered).filter((k) => !["payload", "_msgid", "_sf"].includes(k)).join(", ")})`,
      });
    }
  }

  report.section(
    "per instance, for README's sizing: one core of this machine, and a Raspberry Pi 4 taken as 1/10 of it",
    "Meters one busy core carries = readings/s per CPU-second x the poll interval in seconds, if it did nothing else and the polls came evenly (the seeds' synchronized :00/:15 polls come as a burst: README).",
  );
  for (const { sc, res } of results) {
    const perMeter = sc.pollMs / 1000;
    report.figure({ name: `${sc.p === "m" ? "poll 1 min" : "poll 15 min"}: Raspberry Pi 4, assumed 1/10`, value: res.a.median / 10, unit: "readings/s", goal: lib.atLeast(2000, " readings/s (the seeds' 'needs compiled code')", "value") });
    report.figure({ name: `${sc.p === "m" ? "poll 1 min" : "poll 15 min"}: meters one core carries`, value: res.a.median * perMeter, unit: "meters", note: `Raspberry Pi 4 (1/10): ${lib.num((res.a.median * perMeter) / 10)} meters` });
  }
  report.write();
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
