// meter-normalize, readings per second decoding a 20-point float32 map from a node-red-contrib-modbus Read
// message:
//   - the NODE in a flow (receive() -> meter-normalize -> counting sink), against one core change-node hop
//     (set msg.payload) in the same runtime, both paying the same runtime cost per hop. Rounds alternate and
//     repeat until the median of the per-round ratio is stable (issue 7: one run said 1.43x, re-runs
//     0.62-0.84x). Goal: at least 0.5x the change node.
//   - the LIBRARY alone (createNormalizer from the public API, no Node-RED), for scale.
// Figures never fail the run. BENCH_MN_N: messages per path per round.
"use strict";
const lib = require("./lib");

const env = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt);
const N = env("BENCH_MN_N", 10_000); // messages per slice; a round is 4 slices (a b b a)

const points = [];
for (let k = 0; k < 20; k++) points.push({ id: `p${k}`, address: 2 * k, type: "float32", unit: "V" });
const registerMap = JSON.stringify({ mapId: "bench", mapVersion: "1.0.0", addressBase: 0, defaults: { table: "holding" }, points });
const buffer = Buffer.alloc(80);
for (let k = 0; k < 20; k++) buffer.writeFloatBE(230 + k / 10, k * 4);
const data = [];
for (let k = 0; k < 40; k++) data.push(buffer.readUInt16BE(k * 2));

// What a node-red-contrib-modbus Read node emits for 40 holding registers.
const modbusMsg = () => ({
  topic: "polling",
  payload: data.slice(),
  responseBuffer: { data, buffer },
  input: { topic: "polling", from: "", payload: { unitid: "1", fc: 3, address: "0", quantity: "40" } },
});

const flow = [
  { id: "t", type: "tab", label: "bench" },
  { id: "mn", z: "t", type: "meter-normalize", registerMap, deviceId: "meter-001", wires: [["sinkA"]] },
  { id: "ch", z: "t", type: "change", rules: [{ t: "set", p: "payload", pt: "msg", to: "normalized", tot: "str" }], wires: [["sinkB"]] },
  { id: "sinkA", z: "t", type: "bench-sink", wires: [] },
  { id: "sinkB", z: "t", type: "bench-sink", wires: [] },
];

function libraryRate(seconds) {
  const mn = lib.meterNormalize();
  const normalizer = mn.createNormalizer(mn.parseMeterNormalizeConfig({ registerMap, deviceId: "meter-001", inputKind: "modbus" }));
  const now = Date.now();
  const rounds = [];
  for (let r = 0; r < 5; r++) {
    let n = 0;
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    while (lib.seconds(t0) < seconds) {
      for (let k = 0; k < 1000; k++) normalizer.normalize(modbusMsg(), now);
      n += 1000;
    }
    const c = process.cpuUsage(c0);
    rounds.push(n / ((c.user + c.system) / 1e6));
  }
  return lib.spread(rounds);
}

(async () => {
  const report = new lib.Report("meter-normalize", "readings/s through meter-normalize against a core change node, and through the library alone");
  const rt = await lib.startRuntime(flow);
  await rt.run("mn", "sinkA", 5000, modbusMsg); // warm up both paths
  await rt.run("ch", "sinkB", 5000, modbusMsg);
  const wall = { a: { work: 0, s: 0 }, b: { work: 0, s: 0 } };
  const res = await lib.stableRatio(
    async (w) => {
      const t = await lib.timed(() => rt.run(w === "a" ? "mn" : "ch", w === "a" ? "sinkA" : "sinkB", N, modbusMsg));
      wall[w].work += N;
      wall[w].s += t.wall;
      return { work: N, seconds: t.cpu };
    },
    { minRounds: 7, maxRounds: 40, tolerance: 0.02, maxSeconds: 60 },
  );
  await rt.stop();

  report.section(
    "the node in a flow: receive() -> node -> counting sink, 20 messages per event-loop turn",
    `Rates per CPU-second of this process (Node-RED runs on one thread; other processes on a shared machine do not count), wall-clock rates alongside. Each round: ${lib.fmt(N)} messages per slice, slices a b b a (then b a a b), rounds until the median ratio is known to ±${res.tolerance * 100}% (standard error from the spread): ${res.rounds} rounds, ±${(res.precision * 100).toFixed(1)}%${res.stable ? "" : ", NOT within the goal: the round or time limit came first"}.`,
  );
  report.figure({ name: "meter-normalize node (median of rounds)", value: res.a.median, unit: "readings/s", spread: res.a });
  report.figure({ name: "core change node, set msg.payload (median)", value: res.b.median, unit: "msgs/s", spread: res.b });
  report.figure({
    name: "wall clock: meter-normalize / change node",
    value: wall.a.work / wall.a.s / (wall.b.work / wall.b.s),
    unit: "x",
    note: `${lib.num(wall.a.work / wall.a.s)} readings/s against ${lib.num(wall.b.work / wall.b.s)} msgs/s over all rounds (load average ${require("os").loadavg()[0].toFixed(2)} on ${require("os").cpus().length} CPUs)`,
  });
  report.figure({
    name: "ratio meter-normalize / change node (median)",
    value: res.ratio.median,
    unit: "x",
    spread: res.ratio,
    goal: lib.atLeast(0.5, "× the change node", "value"),
    note: `per round: ${res.ratios.map((x) => x.toFixed(2)).join(", ")}; interquartile ${res.ratio.q1.toFixed(2)}–${res.ratio.q3.toFixed(2)}`,
    data: { rounds: res.rounds, precision: res.precision, stable: res.stable, ratios: res.ratios },
  });

  report.section("the library alone: createNormalizer().normalize(msg) in a loop, no Node-RED (5 rounds of 1 s, per CPU-second)");
  const libr = libraryRate(1);
  report.figure({
    name: "normalizer library",
    value: libr.median,
    unit: "readings/s",
    spread: libr,
    baseline: { name: "the node in a flow", value: res.a.median, unit: "readings/s" },
    note: "the ratio is how much faster the library alone is than the node in a flow: the rest is Node-RED's per-message cost",
  });
  report.write();
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
