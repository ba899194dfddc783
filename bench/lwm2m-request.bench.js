// lwm2m-request (issue 11, Benchmark): reads/s of the Device object /3/0 through the node against 100 simulated
// devices (lwm2m-device-sim's SimDevice, each on its own UDP socket of 127.0.0.1), beside one core change-node hop
// fed the same messages; and the heap per registered endpoint with 10,000 Registers sent to lwm2m-server's CoAP
// port with the `coap` package. Figures never fail the run. BENCH_LWM2M_REQ_N: reads per round.
"use strict";
const path = require("path");
const lib = require("./lib");

const N = process.env.BENCH_LWM2M_REQ_N ? Number(process.env.BENCH_LWM2M_REQ_N) : 2000;
const ROUNDS = 5;
const DEVICES = 100;
const REGS = 10_000;

const flow = [
  { id: "tab", type: "tab", label: "bench" },
  { id: "srv", type: "lwm2m-server", port: "0", bind: "127.0.0.1", timeoutSeconds: "10" },
  { id: "req", z: "tab", type: "lwm2m-request", server: "srv", op: "read", path: "/3/0", endpoint: "", wires: [["reads"]] },
  { id: "reads", z: "tab", type: "bench-sink", wires: [] },
  { id: "chg", z: "tab", type: "change", rules: [{ t: "set", p: "topic", pt: "msg", to: "x", tot: "str" }], wires: [["chgs"]] },
  { id: "chgs", z: "tab", type: "bench-sink", wires: [] },
];

(async () => {
  const rt = await lib.startRuntime(flow);
  const { serverOf } = require(path.join(lib.dist, "shared", "lwm2m", "registry.js"));
  const { SimDevice } = require(path.join(lib.dist, "lwm2m-device-sim", "sim.js"));
  const coap = require("coap");
  const srv = serverOf("srv");
  const { port } = await srv.listeningOn();
  const devices = [];
  for (let i = 0; i < DEVICES; i++) {
    devices.push(new SimDevice({ endpoint: `b-${i}`, profile: "healthy", serverHost: "127.0.0.1", serverPort: port, lifetime: 3600, speed: 1, firmwareVersion: "1.0.0", bugVersion: "x", rebootEveryMinutes: 60, downloadMs: 0, updateMs: 0, seed: i + 1 }));
  }
  await Promise.all(devices.map((d) => d.start()));
  while (srv.registrations().length < DEVICES) await new Promise((r) => setTimeout(r, 50));

  const report = new lib.Report("lwm2m-request", "lwm2m-request: reads/s of /3/0 against 100 simulated devices beside one change-node hop; heap per registered endpoint with 10,000 registrations");
  report.section(
    "read /3/0 (TLV, decoded) through lwm2m-request, round-robin over 100 simulated devices on 127.0.0.1",
    `${lib.fmt(N)} messages per round fed ${20} per event-loop turn, until all reached a sink; median of ${ROUNDS} rounds, each beside a round of the same messages through one change node. The devices run in the same process as Node-RED (their CPU counts against the node).`,
  );
  const msg = (i) => ({ endpoint: `b-${i % DEVICES}`, payload: "" });
  await rt.run("req", "reads", 200, msg); // warm-up
  await rt.run("chg", "chgs", 200, msg);
  const reads = [];
  const hops = [];
  for (let r = 0; r < ROUNDS; r++) {
    lib.gc();
    reads.push(N / (await rt.run("req", "reads", N, msg)));
    lib.gc();
    hops.push(N / (await rt.run("chg", "chgs", N, msg)));
  }
  const last = rt.last("reads");
  const rs = lib.spread(reads);
  const hs = lib.spread(hops);
  report.figure({ name: "reads through lwm2m-request", value: rs.median, unit: "reads/s", spread: rs, baseline: { name: "change node", value: hs.median, unit: "msgs/s" }, note: `last answer: code ${last && last.code}, content format ${last && last.contentFormat}, ${last && last.payload ? Object.keys(last.payload).length : 0} resources` });
  report.figure({ name: "one change-node hop", value: hs.median, unit: "msgs/s", spread: hs });

  await Promise.all(devices.map((d) => d.close(false)));

  report.section("heap per registered endpoint", `${lib.fmt(REGS)} Registers (POST /rd?ep&lt&lwm2m&b, link format for objects 1, 3, 4, 5, 6, 7) sent with the coap package's Agent to the server's port, 200 at a time; heapUsed after a forced GC, before and after.`);
  lib.gc();
  await new Promise((r) => setTimeout(r, 200));
  lib.gc();
  const before = process.memoryUsage().heapUsed;
  const base = srv.registrations().length;
  const agent = new coap.Agent({ type: "udp4" });
  const links = Buffer.from('</>;ct="60 110 112 11542",</1/0>,</3/0>,</4/0>,</5/0>,</6/0>,</7/0>');
  const register = (i) =>
    new Promise((resolve) => {
      const req = agent.request({ hostname: "127.0.0.1", port, method: "POST", pathname: "/rd", query: `ep=mem-${i}&lt=86400&lwm2m=1.1&b=U`, confirmable: true, options: { "Content-Format": 40 } });
      req.on("response", (res) => resolve(res.code));
      req.on("error", () => resolve("error"));
      req.on("timeout", () => resolve("timeout"));
      req.end(links);
    });
  const t0 = process.hrtime.bigint();
  let created = 0;
  for (let i = 0; i < REGS; i += 200) {
    const codes = await Promise.all(Array.from({ length: Math.min(200, REGS - i) }, (_, k) => register(i + k)));
    created += codes.filter((c) => c === "2.01").length;
  }
  const regSeconds = lib.seconds(t0);
  agent.close();
  lib.gc();
  await new Promise((r) => setTimeout(r, 200));
  lib.gc();
  const after = process.memoryUsage().heapUsed;
  const held = srv.registrations().length - base;
  report.figure({ name: "heap per registered endpoint", value: (after - before) / held, unit: "bytes", note: `${lib.fmt(held)} registrations held (${lib.fmt(created)} answered 2.01); heap ${lib.num((before) / 2 ** 20)} -> ${lib.num(after / 2 ** 20)} MiB` });
  report.figure({ name: "Registers answered", value: created / regSeconds, unit: "registers/s", note: "200 in flight from one socket" });
  report.write();
  await rt.stop();
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
