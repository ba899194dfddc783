// validate (m2m-validate), readings per second through the node with five rules, dedup and a sigma baseline, on
// 20-measurement readings:
//   - the NODE in a flow (receive() -> validate -> counting sink) against one core change-node hop in the same
//     runtime, rounds alternating until the median ratio is stable. Goal (issue 8): at least 0.5x the change node.
//   - the resident memory of the LIBRARY's state with 10,000 devices and a 48-hour dedup window at 15-minute
//     readings (192 keys a device, 1.92 M keys), 20 measurements per reading with the five rules; and the state
//     document the node writes every saveSeconds for it: its size, and the longest event-loop block while it is
//     saved, in parts (as the node saves it) against one synchronous save of the same state.
// Figures never fail the run. BENCH_VA_N: messages per slice; BENCH_VA_DEVICES: devices for the memory figure.
"use strict";
const lib = require("./lib");

const env = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt);
const N = env("BENCH_VA_N", 10_000);
const DEVICES = env("BENCH_VA_DEVICES", 10_000);
const Q = 900_000;

const RULES = [
  { measurement: "energy*", monotonic: true, rollover: 99999.9, maxRatePerHour: 100 },
  { measurement: "voltage*", min: 180, max: 260 },
  { measurement: "current*", min: 0, max: 100 },
  { measurement: "power*", sigma: 4, sigmaBy: "hour", sigmaWarmup: 96 },
  { measurement: "temp*", flatline: 96 },
];
const NAMES = ["energyImport", "energyExport", "energyReactive", "energyApparent", "voltageL1", "voltageL2", "voltageL3", "currentL1", "currentL2", "currentL3", "powerActive", "powerReactive", "powerApparent", "powerFactor", "temperature", "frequency", "thd", "tempCase", "voltageN", "currentN"];

/** The k-th reading of device d, 15 minutes apart. */
function reading(d, k, t0) {
  const measurements = {};
  for (let i = 0; i < NAMES.length; i++) {
    const n = NAMES[i];
    const v = n.startsWith("energy") ? 1000 + k * 0.25 + i : n.startsWith("voltage") ? 230 + (k % 7) / 10 : n.startsWith("power") ? 5 + ((k * 7 + i) % 11) / 10 : n.startsWith("temp") ? 20 + (k % 5) : 10 + (k % 3);
    measurements[n] = { value: v, unit: "V" };
  }
  return { deviceId: `meter-${d}`, timestamp: new Date(t0 + k * Q).toISOString(), measurements, quality: "GOOD", source: { protocol: "modbus" } };
}

const config = {
  driftAcceptSeconds: "31536000",
  driftRejectSeconds: "31536000",
  rules: JSON.stringify(RULES),
  dedupHours: "48",
};
const flow = [
  { id: "t", type: "tab", label: "bench" },
  { id: "va", z: "t", type: "m2m-validate", ...config, saveSeconds: "3600", wires: [["sinkA"], ["sinkA"], []] },
  { id: "ch", z: "t", type: "change", rules: [{ t: "set", p: "payload", pt: "msg", to: "validated", tot: "str" }], wires: [["sinkB"]] },
  { id: "sinkA", z: "t", type: "bench-sink", wires: [] },
  { id: "sinkB", z: "t", type: "bench-sink", wires: [] },
];

// Each message a new reading (100 devices round robin, time moving on), so dedup and baselines do real work.
const T0 = Math.floor(Date.now() / Q) * Q - 47 * 3_600_000;
let seq = 0;
const nextMsg = () => {
  const i = seq++;
  return { payload: reading(i % 100, Math.floor(i / 100), T0), receivedAt: Date.now() };
};

function memoryFigure() {
  const { Validator, parseRules } = require(require("path").join(lib.dist, "validate", "index.js"));
  global.gc?.();
  const before = process.memoryUsage();
  const v = new Validator({ drift: { acceptSeconds: 1e9, rejectSeconds: 1e9, action: "correct" }, rules: parseRules(RULES), dedupHours: 48, dedupMaxKeys: 50_000_000, silenceSeconds: 0, timeZone: "UTC" });
  const now = T0 + 48 * 3_600_000;
  // 192 readings a device over 48 h; every reading feeds dedup, the five rules' state and the sigma baseline.
  for (let k = 0; k < 192; k++) for (let d = 0; d < DEVICES; d++) v.validate(reading(d, k, T0), T0 + k * Q, now);
  global.gc?.();
  const after = process.memoryUsage();
  const keys = v.dedup.size;
  return { heap: after.heapUsed - before.heapUsed, rss: after.rss, keys, v };
}

(async () => {
  const report = new lib.Report("validate", "readings/s through validate (five rules, dedup, a sigma baseline, 20 measurements) against a core change node; memory with 10,000 devices' state");
  const rt = await lib.startRuntime(flow);
  await rt.run("va", "sinkA", 5000, nextMsg);
  await rt.run("ch", "sinkB", 5000, nextMsg);
  const res = await lib.stableRatio(
    async (w) => {
      const t = await lib.timed(() => rt.run(w === "a" ? "va" : "ch", w === "a" ? "sinkA" : "sinkB", N, nextMsg));
      return { work: N, seconds: t.cpu };
    },
    { minRounds: 7, maxRounds: 40, tolerance: 0.02, maxSeconds: 60 },
  );
  await rt.stop();
  report.section("the node in a flow: receive() -> validate -> counting sink", `Rates per CPU-second of this process; ${lib.fmt(N)} messages per slice, ${res.rounds} rounds, ±${(res.precision * 100).toFixed(1)}%${res.stable ? "" : ", NOT stable within the limits"}.`);
  report.figure({ name: "validate node (median of rounds)", value: res.a.median, unit: "readings/s", spread: res.a });
  report.figure({ name: "core change node, set msg.payload (median)", value: res.b.median, unit: "msgs/s", spread: res.b });
  report.figure({
    name: "ratio validate / change node (median)",
    value: res.ratio.median,
    unit: "x",
    spread: res.ratio,
    goal: lib.atLeast(0.5, "× the change node", "value"),
    note: `per round: ${res.ratios.map((x) => x.toFixed(2)).join(", ")}`,
  });

  report.section(`memory: the library's state for ${lib.fmt(DEVICES)} devices, 48 h of 15-minute readings (run node with --expose-gc for exact heap figures)`);
  const m = memoryFigure();
  report.figure({ name: "heap growth for the state", value: m.heap / 1048576, unit: "MiB", note: `${lib.fmt(m.keys)} dedup keys; ${(m.heap / DEVICES / 1024).toFixed(1)} KiB a device` });
  report.figure({ name: "resident set size after", value: m.rss / 1048576, unit: "MiB" });
  // What the node's StateFile does every saveSeconds while readings come. Before: one synchronous write (snapshot,
  // JSON text and its CRC-32, write, fsync, rename), all on the event loop. Now: a save in parts (jsonParts, a slice
  // of devices per turn, written asynchronously). Both write the same state to a real file with fsync, as the node
  // does; a probe (setImmediate, turn after turn) records the longest gap between two turns: the longest block.
  const { StateFile, encodeStateParts } = require(require("path").join(lib.dist, "shared", "state-file.js"));
  const dir = lib.tmpDir("va-state");
  const bytes = Buffer.byteLength(encodeStateParts(m.v.jsonParts(50)));
  const probe = () => {
    let longest = 0;
    let last = performance.now();
    let on = true;
    const turn = () => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      if (on) setImmediate(turn);
    };
    setImmediate(turn);
    return async () => {
      await new Promise((r) => setImmediate(r));
      on = false;
      return longest;
    };
  };
  const rounds = { sync: [], parts: [], idle: [], syncWall: [], partsWall: [] };
  for (let r = 0; r < 3; r++) {
    const a = new StateFile({ dir, name: "sync.json", intervalMs: 0 });
    a.changedParts(() => m.v.jsonParts(50));
    let stop = probe();
    let t0 = performance.now();
    await new Promise((r) => setImmediate(r));
    a.flush();
    rounds.syncWall.push(performance.now() - t0);
    rounds.sync.push(await stop());
    const b = new StateFile({ dir, name: "parts.json", intervalMs: 0, chunked: true });
    b.changedParts(() => m.v.jsonParts(50));
    stop = probe();
    t0 = performance.now();
    await b.save();
    rounds.partsWall.push(performance.now() - t0);
    rounds.parts.push(await stop());
    // The floor: the same probe with nothing to do for as long (a shared machine preempts any busy process).
    stop = probe();
    await new Promise((r) => setTimeout(r, rounds.partsWall[rounds.partsWall.length - 1]));
    rounds.idle.push(await stop());
  }
  lib.rmDir(dir);
  const best = (xs) => Math.min(...xs);
  report.section(`saving the state of ${lib.fmt(DEVICES)} devices (what the node writes every saveSeconds and on close): the longest event-loop block, best of 3`);
  report.figure({ name: "state document (JSON, as written)", value: bytes / 1048576, unit: "MiB", note: `${lib.fmt(Math.round(bytes / DEVICES))} bytes a device` });
  report.figure({ name: "synchronous save: longest block", value: best(rounds.sync), unit: "ms", note: `snapshot, encode, CRC-32, write, fsync, rename in one go; per round: ${rounds.sync.map((x) => x.toFixed(0)).join(", ")}` });
  report.figure({ name: "save in parts: longest block", value: best(rounds.parts), unit: "ms", note: `per round: ${rounds.parts.map((x) => x.toFixed(1)).join(", ")}; the save took ${best(rounds.partsWall).toFixed(0)} ms of wall time (synchronous: ${best(rounds.syncWall).toFixed(0)} ms)` });
  report.figure({ name: "nothing to save: longest gap between turns", value: best(rounds.idle), unit: "ms", note: `the probe alone for as long, in the same run (the machine's own noise, and garbage collection); per round: ${rounds.idle.map((x) => x.toFixed(1)).join(", ")}` });
  report.figure({
    name: "longest block: in parts / synchronous",
    value: best(rounds.parts) / best(rounds.sync),
    unit: "x",
    note: "the same state, the same file and fsync, measured in the same run",
  });
  report.write();
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
