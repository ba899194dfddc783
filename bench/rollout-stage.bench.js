// rollout-stage:
//   - PLAN AND START a 100,000-device campaign (RolloutEngine.start: validation, salted hash rank, sort, wave 1's
//     1,000 commands), the library alone, median of 5;
//   - RESULTS/s through the node in a flow: a 1,000-device single-wave campaign started before each round, then
//     1,000 `success` results fed in (every result is a state change: the campaigns document is written atomically,
//     with fsync, before anything of it is sent), against receive() -> one core change node -> counting sink;
//   - the same results through the library alone (no file), for scale;
//   - MEMORY per device in a running campaign (heap after / before starting 100,000 devices).
// Figures never fail the run. BENCH_RS_N: devices (and results) per round.
"use strict";
const path = require("path");
const lib = require("./lib");

const env = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt);
const N = env("BENCH_RS_N", 1000);
const BIG = 100_000;
const ids = (n, p = "meter-") => Array.from({ length: n }, (_, i) => `${p}${String(i).padStart(6, "0")}`);
const IDS = ids(BIG);

function rs() {
  return require(path.join(lib.dist, "rollout-stage", "index.js"));
}

function flow(dir) {
  return [
    { id: "t", type: "tab", label: "bench" },
    { id: "rs", z: "t", type: "rollout-stage", waves: "100", soakMinutes: "0", timeoutMinutes: "600", dir, wires: [["sinkA"], ["sinkE"]] },
    { id: "ch", z: "t", type: "change", rules: [{ t: "set", p: "payload", pt: "msg", to: "done", tot: "str" }], wires: [["sinkB"]] },
    { id: "sinkA", z: "t", type: "bench-sink", wires: [] },
    { id: "sinkE", z: "t", type: "bench-sink", wires: [] },
    { id: "sinkB", z: "t", type: "bench-sink", wires: [] },
  ];
}

(async () => {
  if (!global.gc) console.warn("run with --expose-gc (npm run bench does) for the memory figures");
  const m = rs();
  const report = new lib.Report("rollout-stage", "plan and start a 100,000-device campaign; results/s through rollout-stage against a core change node; memory per device");

  report.section("plan and start: RolloutEngine.start with 100,000 devices (library alone, waves 1/10/100, median of 5)", "Validation, the salted hash rank of every id, the sort, and wave 1's 1,000 update commands.");
  const starts = [];
  for (let r = 0; r < 5; r++) {
    const e = new m.RolloutEngine();
    const t = await lib.timed(() => e.start({ id: `big-${r}`, version: "2", uri: "u", previous: "1", devices: IDS }, Date.now()));
    starts.push(t.wall);
  }
  const st = lib.spread(starts);
  report.figure({ name: "plan and start 100,000 devices", value: st.median * 1000, unit: "ms", spread: { ...st, min: st.min * 1000, max: st.max * 1000, median: st.median * 1000 }, note: "synchronous: the event loop is held this long once per campaign" });

  const dir = lib.tmpDir("rs-state");
  const rt = await lib.startRuntime(flow(dir));
  let round = 0;
  const chMsg = () => ({ payload: { deviceId: "meter-000001", status: "success" } });
  const runRs = async () => {
    const cid = `bench-${round++}`;
    const devs = ids(N, `${cid}-`);
    rt.RED.nodes.getNode("rs").receive({ topic: "campaign", payload: { id: cid, version: "2", uri: "u", previous: "1", devices: devs } });
    await new Promise((r) => setImmediate(r));
    const t = await lib.timed(() => rt.feed("rs", N, (i) => ({ topic: "result", payload: { deviceId: devs[i], status: "success" } })));
    return t;
  };
  await runRs(); // warm up
  await rt.run("ch", "sinkB", N, chMsg);
  const wall = { a: { work: 0, s: 0 }, b: { work: 0, s: 0 } };
  const res = await lib.stableRatio(
    async (w) => {
      const t = w === "a" ? await runRs() : await lib.timed(() => rt.run("ch", "sinkB", N, chMsg));
      wall[w].work += N;
      wall[w].s += t.wall;
      return { work: N, seconds: t.cpu };
    },
    { minRounds: 5, maxRounds: 15, tolerance: 0.05, maxSeconds: 60 },
  );
  await rt.stop();
  lib.rmDir(dir);

  report.section(
    "results through the node in a flow: receive() -> rollout-stage (state written per change) vs one change node",
    `A ${lib.fmt(N)}-device campaign per round (a single wave), ${lib.fmt(N)} results. Rates per CPU-second of this process; ${res.rounds} rounds, ±${(res.precision * 100).toFixed(1)}%${res.stable ? "" : ", NOT within the tolerance"}. The wall clock includes the fsyncs.`,
  );
  report.figure({ name: "rollout-stage node (median of rounds, CPU)", value: res.a.median, unit: "results/s", spread: res.a });
  report.figure({ name: "core change node, set msg.payload (median)", value: res.b.median, unit: "msgs/s", spread: res.b });
  report.figure({ name: "ratio rollout-stage / change node (CPU, median)", value: res.ratio.median, unit: "x", spread: res.ratio, note: `per round: ${res.ratios.map((x) => x.toFixed(3)).join(", ")}` });
  report.figure({
    name: "wall clock: rollout-stage / change node",
    value: wall.a.work / wall.a.s / (wall.b.work / wall.b.s),
    unit: "x",
    note: `${lib.num(wall.a.work / wall.a.s)} results/s against ${lib.num(wall.b.work / wall.b.s)} msgs/s: each result rewrites the campaigns document (O(devices) per write)`,
  });

  report.section("results through the library alone (RolloutEngine.result, no file), 100,000 devices in one wave");
  {
    const e = new m.RolloutEngine();
    e.start({ id: "lib", version: "2", uri: "u", previous: "1", devices: IDS, waves: "100", soakMinutes: 0 }, Date.now());
    const t = await lib.timed(() => {
      for (let i = 0; i < BIG; i++) e.result({ deviceId: IDS[i], status: "success" }, Date.now());
    });
    report.figure({ name: "library results", value: BIG / t.cpu, unit: "results/s", note: `${lib.fmt(BIG)} results in ${t.wall.toFixed(2)} s` });
  }

  report.section("memory per device in a running campaign (heap used after − before starting 100,000 devices, after a full GC)");
  {
    lib.gc();
    const before = process.memoryUsage().heapUsed;
    const e = new m.RolloutEngine();
    e.start({ id: "mem", version: "2", uri: "u", previous: "1", devices: IDS.map((id) => ({ id, version: "1.0.0", signal: -80 })) }, Date.now());
    lib.gc();
    const after = process.memoryUsage().heapUsed;
    report.figure({ name: "per device", value: (after - before) / BIG, unit: "bytes", note: "its record, its index entries, the queues (the device list given in the message is not counted as it is the caller's)" });
    const doc = JSON.stringify(e.toJSON()).length;
    report.figure({ name: "state document per device", value: doc / BIG, unit: "bytes", note: `${lib.fmt(doc)} bytes for the campaign` });
  }
  report.write();
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
