// The full pipeline (issue 13, item 5): readings per second through
//   meter-normalize -> m2m-validate -> aggregate-window -> store-forward (durability batch)
// in one Node-RED runtime, store-forward acknowledged through a Complete node loop as a user wires it (a
// transport stand-in that calls done(), a Complete node scoped to it, back into store-forward). Against the floor:
// the same chain made of four core change nodes (set msg.payload) into a counting sink, in the same runtime and
// run. Rounds alternate (a b b a, then b a a b) until the median ratio is stable.
//
// The input is what a gateway polling a Modbus bus sees: node-red-contrib-modbus Read messages (40 holding
// registers = a 20-point float32 map of an electricity meter), from METERS meters (unit ids 1..METERS in
// meter-normalize's device table), each meter once per 15 minutes (the seeds' 96 readings a meter a day), so that
// aggregate-window's 15-minute windows close at the rate a real gateway closes them: every reading closes its
// meter's previous window, one aggregate into store-forward per reading in (the heaviest case for the journal;
// a 1-minute poll would hand store-forward one aggregate per 15 readings). The poll time rides in msg.timestamp,
// so hours of polls pass in seconds; validate's drift limits are opened wide for that (its time check is not what
// is measured). Validate runs five rules, dedup (48 h) and a sigma baseline on every reading.
//
// A reading counts when the aggregate it closes has been acknowledged by the ack loop. Figures never fail the run.
// BENCH_PL_N: readings per slice (a round is 4 slices). BENCH_PL_METERS: meters on the bus (1..247).
"use strict";
const os = require("os");
const lib = require("./lib");

const env = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt);
const METERS = env("BENCH_PL_METERS", 200); // the seeds' gateway: 100-500 meters, worked example 200
const N = Math.max(METERS, Math.round(env("BENCH_PL_N", 10_000) / METERS) * METERS); // whole polls of the bus
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

const T0 = Math.floor(Date.now() / Q) * Q - 45 * 86_400_000; // 45 days back: room for ~4,300 polls of the bus
let seq = 0;
/** The next poll on the bus: meter (seq % METERS) + 1, the pass over the bus every 15 minutes. */
function modbusMsg() {
  const i = seq++;
  const pass = Math.floor(i / METERS);
  const unit = (i % METERS) + 1;
  const buffer = Buffer.allocUnsafe(80);
  for (let k = 0; k < 20; k++) buffer.writeFloatBE(value(k, pass, unit), k * 4);
  const data = new Array(40);
  for (let k = 0; k < 40; k++) data[k] = buffer.readUInt16BE(k * 2);
  const request = { unitid: String(unit), fc: 3, address: "0", quantity: "40" };
  // What a node-red-contrib-modbus Read node emits, plus the poll time (a real flow takes the time of arrival).
  return { topic: "polling", payload: data.slice(), responseBuffer: { data, buffer }, input: { topic: "polling", from: "", payload: request }, timestamp: T0 + pass * Q };
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
const flow = [
  { id: "t", type: "tab", label: "bench" },
  // a: the pipeline
  { id: "mn", z: "t", type: "meter-normalize", inputKind: "modbus", registerMap, devices: JSON.stringify(devices), site: "site-1", timeZone: "UTC", wires: [["va"]] },
  { id: "va", z: "t", type: "m2m-validate", rules: JSON.stringify(RULES), driftAcceptSeconds: "31536000", driftRejectSeconds: "31536000", dedupHours: "48", saveSeconds: "60", wires: [["aw"], ["rejected"], ["alerts"]] },
  { id: "aw", z: "t", type: "aggregate-window", window: "15m", zone: "UTC", intervalSeconds: "900", wires: [["sf"], ["awOut2"]] },
  { id: "sf", z: "t", type: "store-forward", durability: "batch", rateBytes: "0", wires: [["tx"], ["sfStatus"]] },
  { id: "tx", z: "t", type: "bench-sink", wires: [] },
  // The ack loop has one wire back into store-forward: a second wire (to a counting sink) would make Node-RED clone
  // every ack, a cost the deployment does not pay. The acks are counted on the Complete node's send instead.
  { id: "ack", z: "t", type: "complete", scope: ["tx"], uncaught: false, wires: [["sf"]] },
  // taps: what the pipeline dropped or complained about (reported, so a fast figure cannot hide lost readings)
  { id: "rejected", z: "t", type: "bench-sink", wires: [] },
  { id: "alerts", z: "t", type: "bench-sink", wires: [] },
  { id: "awOut2", z: "t", type: "bench-sink", wires: [] },
  { id: "sfStatus", z: "t", type: "bench-sink", wires: [] },
  { id: "catchAll", z: "t", type: "catch", scope: null, uncaught: false, wires: [["errors"]] },
  { id: "errors", z: "t", type: "bench-sink", wires: [] },
  // b: the floor, four core change nodes
  change("c1", "normalized", "c2"),
  change("c2", "validated", "c3"),
  change("c3", "aggregated", "c4"),
  change("c4", "stored", "floor"),
  { id: "floor", z: "t", type: "bench-sink", wires: [] },
];
const TAPS = ["tx", "rejected", "alerts", "awOut2", "errors"]; // tx: every aggregate store-forward delivered

(async () => {
  const report = new lib.Report("pipeline", "readings/s through meter-normalize -> m2m-validate -> aggregate-window -> store-forward (batch, ack loop) against four core change nodes");
  const rt = await lib.startRuntime(flow);
  // The taps count forever (a want they never reach); the status output is not counted.
  for (const id of TAPS) global.__benchSinks[id] = { got: 0, want: Infinity, resolve() {} };
  // Count the Complete node's sends as a bench-sink counts its input (rt.expect("acks", n) waits on them).
  const ackNode = rt.RED.nodes.getNode("ack");
  const ackSend = ackNode.send;
  ackNode.send = function (msg) {
    const w = global.__benchSinks.acks;
    if (w && ++w.got === w.want) w.resolve();
    return ackSend.call(this, msg);
  };
  const tap = () => Object.fromEntries(TAPS.map((id) => [id, global.__benchSinks[id].got]));
  const errorText = () => {
    const m = global.__benchSinks.errors.last;
    return m && m.error ? `${m.error.source ? m.error.source.type : "?"}: ${m.error.message}` : undefined;
  };

  /** Feed `n` polls into the pipeline; resolves when the aggregates they close are acknowledged. */
  async function pipeline(n, timeoutMs = 120_000) {
    let timer;
    const acked = rt.expect("acks", n);
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`pipeline: ${global.__benchSinks.acks.got} of ${n} acknowledged after ${timeoutMs / 1000} s; taps ${JSON.stringify(tap())}${errorText() ? `; last error ${errorText()}` : ""}`)), timeoutMs);
    });
    await rt.feed("mn", n, modbusMsg);
    try {
      return await Promise.race([acked, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  // Warm-up: the first passes over the bus open every meter's windows; once a meter has its window lateness behind
  // it, each reading closes exactly one window. Three passes, then wait until every aggregate is acknowledged.
  global.__benchSinks.acks = { got: 0, want: Infinity, resolve() {} };
  await rt.feed("mn", 3 * METERS, modbusMsg);
  for (let last = -1, t0 = Date.now(); ; ) {
    await new Promise((r) => setTimeout(r, 250));
    const now = tap();
    if (now.errors || now.rejected) throw new Error(`the first polls of the bus failed: taps ${JSON.stringify(now)}; ${errorText() || ""}`);
    if (global.__benchSinks.acks.got === now.tx && now.tx === last) break;
    if (Date.now() - t0 > 30_000) throw new Error(`warm-up: ${global.__benchSinks.acks.got} of ${now.tx} aggregates acknowledged after 30 s`);
    last = now.tx;
  }
  const warmAggregates = tap().tx;
  await pipeline(Math.max(5000, N));
  await rt.run("c1", "floor", Math.max(5000, N), modbusMsg);

  const tap0 = tap();
  const wall = { a: { work: 0, s: 0, rates: [] }, b: { work: 0, s: 0, rates: [] } };
  const cpuRates = { a: [], b: [] };
  const res = await lib.stableRatio(
    async (w) => {
      const t = await lib.timed(() => (w === "a" ? pipeline(N) : rt.run("c1", "floor", N, modbusMsg)));
      wall[w].work += N;
      wall[w].s += t.wall;
      wall[w].rates.push(N / t.wall);
      cpuRates[w].push(N / t.cpu);
      return { work: N, seconds: t.cpu };
    },
    { minRounds: 7, maxRounds: 30, tolerance: 0.02, maxSeconds: 90 },
  );
  const tap1 = tap();
  const sfStats = await (async () => {
    await new Promise((r) => setTimeout(r, 500)); // the last acks are counted as sent, before store-forward has them
    const got = rt.expect("sfStatus", 1);
    rt.RED.nodes.getNode("sf").receive({ command: "stats" });
    await Promise.race([got, new Promise((r) => setTimeout(r, 2000))]);
    const m = rt.last("sfStatus");
    return m && m.payload;
  })();
  const delivered = global.__benchSinks.tx.last;
  const deliveredJson = delivered ? JSON.stringify(delivered, (k, v) => (k === "_msgid" || k === "_sf" ? undefined : v)) : "";
  const payloadJson = delivered ? JSON.stringify(delivered.payload) : "";
  if (process.env.BENCH_PL_SHOW) console.log(JSON.stringify(delivered, null, 1));
  const pipelineFed = res.rounds * 2 * N; // readings fed into the pipeline during the rounds
  await rt.stop();

  const load = os.loadavg()[0].toFixed(2);
  report.section(
    "the pipeline in one Node-RED runtime, against four core change nodes",
    `${lib.fmt(METERS)} meters polled over Modbus every 15 minutes (the poll time in msg.timestamp), a 20-point float32 map each; ${lib.fmt(N)} readings per slice, 20 per event-loop turn, slices a b b a (then b a a b). A reading counts once the aggregate it closes is acknowledged through the Complete-node loop (store-forward durability batch, rateBytes 0: the default 12,500 B/s paces live traffic as well as replay; the rest its defaults). Rounds until the median CPU ratio is known to ±${res.tolerance * 100}%: ${res.rounds} rounds, ±${(res.precision * 100).toFixed(1)}%${res.stable ? "" : ", NOT within it: the round or time limit came first"}. Load average ${load} on ${os.cpus().length} CPUs (a shared machine: wall-clock rates count other processes' time, per-CPU-second rates do not).`,
  );
  const wallA = lib.spread(wall.a.rates);
  const wallB = lib.spread(wall.b.rates);
  report.figure({
    name: "pipeline, wall clock (median of slices)",
    value: wallA.median,
    unit: "readings/s",
    spread: wallA,
    goal: lib.atLeast(20_000, " readings/s", "value"),
    note: `${lib.num(wall.a.work / wall.a.s)} readings/s over all ${lib.fmt(wall.a.work)} readings; 1 aggregate acknowledged per reading`,
  });
  report.figure({ name: "pipeline, per CPU-second (median of rounds)", value: res.a.median, unit: "readings/s", spread: res.a, goal: lib.atLeast(20_000, " readings/s", "value") });
  report.figure({ name: "floor: 4 change nodes, wall clock (median)", value: wallB.median, unit: "msgs/s", spread: wallB });
  report.figure({ name: "floor: 4 change nodes, per CPU-second (median)", value: res.b.median, unit: "msgs/s", spread: res.b });
  report.figure({
    name: "ratio pipeline / floor, per CPU-second (median)",
    value: res.ratio.median,
    unit: "x",
    spread: res.ratio,
    note: `per round: ${res.ratios.map((x) => x.toFixed(3)).join(", ")}; interquartile ${res.ratio.q1.toFixed(3)}–${res.ratio.q3.toFixed(3)}. Each pipeline reading costs ${lib.num(1 / res.ratio.median)} floor messages (4 change-node hops each) of CPU time.`,
    data: { rounds: res.rounds, precision: res.precision, stable: res.stable, ratios: res.ratios },
  });
  report.figure({ name: "ratio pipeline / floor, wall clock (all slices)", value: wall.a.work / wall.a.s / (wall.b.work / wall.b.s), unit: "x" });

  report.section("what the pipeline did with the readings of the rounds (taps on every side output)");
  const d = (k) => tap1[k] - tap0[k];
  report.figure({ name: "aggregates delivered by store-forward", value: d("tx"), unit: "msgs", note: `warm-up: ${3 * METERS} readings (3 polls of the bus) gave ${warmAggregates}; then ${lib.fmt(pipelineFed)} readings fed during the rounds: ${(d("tx") / pipelineFed).toFixed(3)} aggregates a reading` });
  report.figure({ name: "rejected by validate", value: d("rejected"), unit: "msgs" });
  report.figure({ name: "alerts from validate", value: d("alerts"), unit: "msgs" });
  report.figure({ name: "aggregate-window's second output (late, invalid)", value: d("awOut2"), unit: "msgs" });
  report.figure({ name: "errors caught (done(err) from any node)", value: d("errors"), unit: "msgs", note: errorText() });
  report.figure({
    name: "an aggregate as store-forward delivers it (JSON)",
    value: Buffer.byteLength(deliveredJson),
    unit: "bytes",
    note: `its payload (the canonical aggregate of 20 measurements with stats) ${lib.fmt(Buffer.byteLength(payloadJson))} bytes; the rest is what the msg carried from the reading that closed the window (${delivered ? Object.keys(delivered).filter((k) => k !== "payload" && k !== "_msgid" && k !== "_sf").join(", ") : "?"})`,
  });
  if (sfStats) report.figure({ name: "store-forward depth after the rounds", value: sfStats.depth, unit: "records", note: sfStats.depth === 0 ? "every record acknowledged, none left behind" : "NOT drained" });

  report.section("per instance, for README's sizing (this machine; a Raspberry Pi 4 taken as 1/10 of it)");
  const perCpu = res.a.median;
  report.figure({ name: "one instance, per CPU-second", value: perCpu, unit: "readings/s" });
  report.figure({ name: "Raspberry Pi 4, assumed 1/10", value: perCpu / 10, unit: "readings/s", goal: lib.atLeast(2000, " readings/s (the seeds' 'needs compiled code')", "value") });
  report.figure({ name: "meters at 96 readings a day, one core of this machine", value: (perCpu * 86_400) / 96, unit: "meters", note: "if the core did nothing else; the seeds' synchronized :00/:15 polls arrive as a burst, see README" });
  report.write();
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
