#!/usr/bin/env node
// `npm start`: the demo. Node-RED on http://127.0.0.1:1880 (PORT overrides; HOST=0.0.0.0 opens the editor to
// the network, e.g. to reach a Raspberry Pi from a laptop: the editor then has no password), user directory .node-red/
// inside the repo (git-ignored; DEMO_USER_DIR overrides), this package loaded the way the palette manager
// would see it (a link in .node-red/node_modules), and every flow in flows/ deployed. The flows are copied
// in anew at each start: edit flows/ to change the demo, or export from the editor.
//
// The store-and-forward flow needs an MQTT broker, which Node-RED does not have: an in-process aedes broker
// listens on 127.0.0.1:1883 (MQTT_PORT overrides) for as long as the demo runs. If something already
// listens there (a mosquitto, say), the demo uses that broker instead.
"use strict";
const fs = require("fs");
const net = require("net");
const os = require("os");
const path = require("path");
const { spawn, execFileSync } = require("child_process");

const root = path.resolve(__dirname, "..");
const pkg = require(path.join(root, "package.json"));
const userDir = path.resolve(process.env.DEMO_USER_DIR || path.join(root, ".node-red"));
const port = Number(process.env.PORT || 1880);
// Where the editor listens. 127.0.0.1 (the default) keeps it to this machine: the demo's editor has no password.
const host = process.env.HOST || "127.0.0.1";
const loopback = /^(127\.|::1$|localhost$)/.test(host);
const mqttPort = Number(process.env.MQTT_PORT || 1883);
// The smart-metering lab: meter-sim's Modbus TCP server (and the Flex-Getter's client) on 127.0.0.1:MODBUS_PORT,
// its simulated time at SIM_SPEED × real time from SIM_START (an ISO time with its offset; empty: the deploy).
const modbusPort = Number(process.env.MODBUS_PORT || 5020);
const simSpeed = process.env.SIM_SPEED;
const simStart = process.env.SIM_START;

if (!fs.existsSync(path.join(root, "dist"))) {
  execFileSync(process.execPath, [path.join(__dirname, "build.js")], { stdio: "inherit" });
}

fs.mkdirSync(path.join(userDir, "node_modules", path.dirname(pkg.name)), { recursive: true });
const link = path.join(userDir, "node_modules", pkg.name);
fs.rmSync(link, { recursive: true, force: true });
fs.symlinkSync(root, link, "dir");
fs.writeFileSync(
  path.join(userDir, "package.json"),
  JSON.stringify({ name: "m2m-demo", private: true, dependencies: { [pkg.name]: `file:${path.relative(userDir, root)}` } }, null, 2),
);

const flows = fs
  .readdirSync(path.join(root, "flows"))
  .filter((f) => f.endsWith(".json"))
  .sort()
  .flatMap((f) => JSON.parse(fs.readFileSync(path.join(root, "flows", f), "utf8")))
  .map((n) => {
    if (n.type === "mqtt-broker" && n.broker === "127.0.0.1") return { ...n, port: String(mqttPort) };
    if (n.type === "modbus-client" && n.tcpHost === "127.0.0.1") return { ...n, tcpPort: String(modbusPort) };
    if (n.type === "meter-sim" && n.server === "on") {
      return { ...n, port: String(modbusPort), ...(simSpeed ? { speed: simSpeed } : {}), ...(simStart ? { start: simStart } : {}) };
    }
    return n;
  });
fs.writeFileSync(path.join(userDir, "flows.json"), JSON.stringify(flows, null, 2));

const settings = path.join(userDir, "settings.js");
fs.writeFileSync(
  settings,
  `module.exports = {
  uiHost: ${JSON.stringify(host)},
  uiPort: ${port},
  flowFile: "flows.json",
  credentialSecret: false,
  telemetry: { enabled: false },
  diagnostics: { enabled: false },
  editorTheme: { projects: { enabled: false }, tours: false },
  logging: { console: { level: "info", metrics: false, audit: false } },
};
`,
);

/** The addresses to type in a browser: for 0.0.0.0 (or ::), this machine's own addresses. */
function editorUrls() {
  const fmt = (a) => `http://${a.includes(":") ? `[${a}]` : a}:${port}/`;
  if (host !== "0.0.0.0" && host !== "::") return [fmt(host)];
  const addrs = Object.values(os.networkInterfaces())
    .flat()
    .filter((i) => i && (i.family === "IPv4" || (host === "::" && !i.address.startsWith("fe80"))))
    .map((i) => i.address);
  return [fmt("127.0.0.1"), ...addrs.filter((a) => a !== "127.0.0.1" && a !== "::1").map(fmt)];
}

/** The demo's MQTT broker, or undefined when another one already listens on the port. */
async function startBroker() {
  const { Aedes } = await import("aedes");
  const aedes = await Aedes.createBroker();
  const server = net.createServer(aedes.handle);
  try {
    await new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(mqttPort, "127.0.0.1", resolve);
    });
  } catch (err) {
    await new Promise((resolve) => aedes.close(resolve));
    if (err.code !== "EADDRINUSE") throw err;
    console.log(`M2M demo: an MQTT broker already listens on 127.0.0.1:${mqttPort}; the demo uses it.`);
    return undefined;
  }
  console.log(`M2M demo: MQTT broker (aedes) on 127.0.0.1:${mqttPort}`);
  return {
    close: () =>
      new Promise((resolve) => {
        server.close();
        aedes.close(resolve);
      }),
  };
}

async function main() {
  const broker = await startBroker();
  const red = require.resolve("node-red/red.js", { paths: [root] });
  const shown = userDir.startsWith(root + path.sep) ? path.relative(root, userDir) : userDir;
  for (const url of editorUrls()) console.log(`M2M demo: Node-RED at ${url} (user directory ${shown}/)`);
  console.log(
    `M2M demo: smart-metering lab: meter-sim's Modbus TCP server on 127.0.0.1:${modbusPort}, ` +
      `simulated time at ${simSpeed || "288"}x${simStart ? ` from ${simStart}` : ""}; bills on MQTT topic m2m-cloud/bills`,
  );
  if (!loopback) {
    console.log(
      `M2M demo: WARNING: HOST=${host} opens the editor to the network, and it has no password: anyone who can reach ` +
        `port ${port} can change and run flows on this machine. Use it on a trusted network only, or add adminAuth to ` +
        `the settings scripts/start.js writes (https://nodered.org/docs/user-guide/runtime/securing-node-red).`,
    );
  }
  const child = spawn(process.execPath, [red, "--settings", settings, "--userDir", userDir], { stdio: "inherit" });
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
  child.on("exit", async (code, signal) => {
    if (broker) await broker.close();
    process.exit(code ?? (signal ? 1 : 0));
  });
}

main().catch((err) => {
  console.error(`M2M demo: ${err.message}`);
  process.exit(1);
});
