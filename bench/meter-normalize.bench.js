// Readings per second through meter-normalize, decoding a 20-point float32 map from a
// node-red-contrib-modbus Read message, side by side in the same Node-RED runtime with one core
// change-node hop (set msg.payload). Each path is receive() -> node -> counting sink, so both pay the
// same runtime cost per hop. Goal: meter-normalize at least 0.5x the change-node rate.
"use strict";
const { startRuntime, median } = require("./runtime");

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

(async () => {
  const rt = await startRuntime(flow);
  const n = Number(process.env.BENCH_N || 100000);
  await rt.run("mn", "sinkA", 10000, modbusMsg); // warm up both paths
  await rt.run("ch", "sinkB", 10000, modbusMsg);
  const mn = [];
  const ch = [];
  for (let r = 0; r < 5; r++) {
    mn.push(n / (await rt.run("mn", "sinkA", n, modbusMsg)));
    ch.push(n / (await rt.run("ch", "sinkB", n, modbusMsg)));
  }
  const a = median(mn);
  const b = median(ch);
  console.log(`${n} messages per path, 5 alternating rounds, medians:`);
  console.log(`  meter-normalize, 20-point float32 map: ${Math.round(a).toLocaleString("en")} readings/s`);
  console.log(`  core change node (baseline):           ${Math.round(b).toLocaleString("en")} msgs/s`);
  console.log(`  ratio meter-normalize / change node:   ${(a / b).toFixed(2)}x (goal >= 0.50x)`);
  await rt.stop();
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
