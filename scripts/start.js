#!/usr/bin/env node
// `npm start`: the demo. Node-RED on http://127.0.0.1:1880 (PORT overrides; HOST=0.0.0.0 opens the editor to
// the network, e.g. to reach a Raspberry Pi from a laptop: the editor then has no password), user directory .node-red/
// inside the repo (git-ignored; DEMO_USER_DIR overrides), this package loaded the way the palette manager
// would see it (a link in .node-red/node_modules), and every flow in flows/ and examples/deployments/ deployed. The
// flows are copied in anew at each start: edit those files to change the demo, or export from the editor.
//
// The store-and-forward flow needs an MQTT broker, which Node-RED does not have: an in-process aedes broker
// listens on 127.0.0.1:1883 (MQTT_PORT overrides) for as long as the demo runs. If something already
// listens there (a mosquitto, say), the demo uses that broker instead.
//
// The smart-metering lab's uplink is MQTT over TLS (the seeds insist), on 127.0.0.1:8883 (MQTTS_PORT overrides):
// at the first start a demo CA and a server certificate for 127.0.0.1 are made with openssl into <userDir>/tls/,
// with a random uplink password. The lab's broker connections get the CA and the password as Node-RED
// credentials (flows_cred.json), never in the flow JSON; the TLS listener accepts only that password.
"use strict";
const fs = require("fs");
const net = require("net");
const tls = require("tls");
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
const mqttsPort = Number(process.env.MQTTS_PORT || 8883);
const modbusPort = Number(process.env.MODBUS_PORT || 5020);
const simSpeed = process.env.SIM_SPEED;
const simStart = process.env.SIM_START;
// Fleet operations: the LwM2M server (CoAP over UDP) and its simulated devices on 127.0.0.1:LWM2M_PORT.
const lwm2mPort = Number(process.env.LWM2M_PORT || 5683);
// DEMO_FLOWS: a comma-separated list of file-name prefixes (flows/, examples/deployments/) to deploy (e.g. "03,09"); empty: every flow.
const tabs = (process.env.DEMO_FLOWS || "").split(",").map((t) => t.trim()).filter(Boolean);

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

/**
 * The lab's TLS material in <userDir>/tls/, made once: a CA, a server certificate for 127.0.0.1 signed by it, and
 * the uplink's password. Returns what the broker and the credentials need.
 */
function tlsMaterial() {
  const dir = path.join(userDir, "tls");
  const file = (f) => path.join(dir, f);
  if (!["ca.crt", "server.crt", "server.key", "uplink-password"].every((f) => fs.existsSync(file(f)))) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const openssl = (args) => {
      try {
        execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
      } catch (err) {
        const why = err.code === "ENOENT" ? "openssl is not installed (Debian: apt-get install openssl)" : String(err.stderr || err.message).trim();
        throw new Error(`cannot make the lab's TLS certificates in ${dir}: ${why}`, { cause: err });
      }
    };
    const days = ["-days", "825"];
    openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", ...days, "-subj", "/CN=M2M demo CA",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
    fs.writeFileSync(file("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", ...days, "-extfile", "server.ext"]);
    fs.writeFileSync(file("uplink-password"), require("crypto").randomBytes(18).toString("base64url"), { mode: 0o600 });
    console.log(`M2M demo: made the lab's TLS certificates (demo CA, server 127.0.0.1) in ${dir}`);
  }
  return {
    ca: fs.readFileSync(file("ca.crt"), "utf8"),
    cert: fs.readFileSync(file("server.crt")),
    key: fs.readFileSync(file("server.key")),
    password: fs.readFileSync(file("uplink-password"), "utf8").trim(),
  };
}
let tlsFiles;
try {
  tlsFiles = tlsMaterial();
} catch (err) {
  console.error(`M2M demo: ${err.message}`);
  process.exit(1);
}
const UPLINK_USER = "m2m-lab";

// The demo's tabs: flows/ (the demo's own) and examples/deployments/ (the deployments an integrator also imports
// from the editor's Import > Examples), in the order of their file names.
const flowDirs = ["flows", path.join("examples", "deployments")];
const flows = flowDirs
  .flatMap((d) => fs.readdirSync(path.join(root, d)).map((f) => ({ d, f })))
  .filter(({ f }) => f.endsWith(".json") && (tabs.length === 0 || tabs.some((t) => f.startsWith(t))))
  .sort((a, b) => a.f.localeCompare(b.f))
  .flatMap(({ d, f }) => JSON.parse(fs.readFileSync(path.join(root, d, f), "utf8")))
  .map((n) => {
    if (n.type === "mqtt-broker" && n.broker === "127.0.0.1") return { ...n, port: String(n.usetls ? mqttsPort : mqttPort) };
    if (n.type === "modbus-client" && n.tcpHost === "127.0.0.1") return { ...n, tcpPort: String(modbusPort) };
    if (n.type === "meter-sim" && n.server === "on") return { ...n, port: String(modbusPort), ...(simStart ? { start: simStart } : {}) };
    if (n.type === "lwm2m-server" && n.bind === "127.0.0.1") return { ...n, port: String(lwm2mPort) };
    if (n.type === "lwm2m-device-sim" && n.serverHost === "127.0.0.1") return { ...n, serverPort: String(lwm2mPort) };
    // The retail refrigeration tab's sensors (no server) start at SIM_START too.
    if (n.type === "meter-sim" && n.z === "fridge-tab" && simStart) return { ...n, start: simStart };
    // The lab's clock starts (at SIM_SPEED) a few seconds after the deploy, once the Flex-Getter has connected; the
    // refrigeration tab's clock likewise.
    if ((n.id === "m2m-lab-clock" || n.id === "fridge-clock") && simSpeed) return { ...n, props: n.props.map((p) => (p.p === "speed" ? { ...p, v: simSpeed } : p)) };
    return n;
  });
fs.writeFileSync(path.join(userDir, "flows.json"), JSON.stringify(flows, null, 2));
// Fleet operations: the simulated devices start from their first boot at every start, so the diagnosis history of
// a tab that simulates its fleet starts afresh too. Kept, each start of the demo would count as a reboot of every
// device (it registers again), and four starts in a day would read as a reboot loop of the whole fleet.
for (const n of flows) {
  if (n.type === "lwm2m-diagnose" && !n.stateDir && flows.some((s) => s.type === "lwm2m-device-sim" && s.z === n.z)) {
    fs.rmSync(path.join(userDir, "m2m-lwm2m-diagnose", n.id.replace(/[^A-Za-z0-9_.-]/g, "_")), { recursive: true, force: true });
  }
}
// Credentials (plain JSON: the settings say credentialSecret: false): the CA of every TLS config node and the uplink
// login of every broker connection over TLS.
const credentials = {};
for (const n of flows) {
  if (n.type === "tls-config") credentials[n.id] = { cadata: tlsFiles.ca };
  if (n.type === "mqtt-broker" && n.broker === "127.0.0.1" && n.usetls) credentials[n.id] = { user: UPLINK_USER, password: tlsFiles.password };
}
fs.writeFileSync(path.join(userDir, "flows_cred.json"), JSON.stringify(credentials, null, 2), { mode: 0o600 });

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

const listen = (server, port) =>
  new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.removeListener("error", reject);
      resolve();
    });
  });

/**
 * The demo's MQTT broker: plain MQTT on MQTT_PORT (unless another broker already listens there: the demo then uses
 * that one for the plain tabs) and MQTT over TLS on MQTTS_PORT, where only the lab's uplink login is accepted.
 */
async function startBroker() {
  const { Aedes } = await import("aedes");
  const aedes = await Aedes.createBroker();
  aedes.authenticate = (client, username, password, callback) => {
    if (!(client.conn instanceof tls.TLSSocket)) return callback(null, true);
    const ok = username === UPLINK_USER && Buffer.isBuffer(password) && password.toString("utf8") === tlsFiles.password;
    if (ok) return callback(null, true);
    const err = Object.assign(new Error("bad user name or password"), { returnCode: 4 });
    callback(err, false);
  };
  const servers = [];
  const plain = net.createServer(aedes.handle);
  try {
    await listen(plain, mqttPort);
    servers.push(plain);
    console.log(`M2M demo: MQTT broker (aedes) on 127.0.0.1:${mqttPort}`);
  } catch (err) {
    if (err.code !== "EADDRINUSE") {
      await new Promise((resolve) => aedes.close(resolve));
      throw err;
    }
    console.log(`M2M demo: an MQTT broker already listens on 127.0.0.1:${mqttPort}; the demo uses it.`);
  }
  const secure = tls.createServer({ cert: tlsFiles.cert, key: tlsFiles.key }, aedes.handle);
  secure.on("tlsClientError", () => {}); // a client that fails the handshake is its own problem, not the broker's
  try {
    await listen(secure, mqttsPort);
    servers.push(secure);
  } catch (err) {
    for (const s of servers) s.close();
    await new Promise((resolve) => aedes.close(resolve));
    throw new Error(`cannot listen for MQTT over TLS on 127.0.0.1:${mqttsPort} (MQTTS_PORT): ${err.message}`, { cause: err });
  }
  console.log(`M2M demo: MQTT over TLS (aedes) on 127.0.0.1:${mqttsPort}, certificates in ${path.join(userDir, "tls")}`);
  return {
    close: () =>
      new Promise((resolve) => {
        for (const s of servers) s.close();
        aedes.close(resolve);
      }),
  };
}

async function main() {
  const broker = await startBroker();
  const red = require.resolve("node-red/red.js", { paths: [root] });
  const shown = userDir.startsWith(root + path.sep) ? path.relative(root, userDir) : userDir;
  for (const url of editorUrls()) console.log(`M2M demo: Node-RED at ${url} (user directory ${shown}/)`);
  // The dashboard (flows/09, FlowFuse Dashboard 2, a devDependency): where to look, when its tab is deployed.
  const dashboard = flows.find((n) => n.type === "ui-base");
  if (dashboard) {
    const dashPath = String(dashboard.path || "/dashboard").replace(/^\/?/, "");
    for (const url of editorUrls()) console.log(`M2M demo: dashboard at ${url}${dashPath} (Metering, Refrigeration, Fleet, Trainer)`);
  }
  console.log(
    `M2M demo: smart-metering lab: meter-sim's Modbus TCP server on 127.0.0.1:${modbusPort}, ` +
      `simulated time at ${simSpeed || "288"}x${simStart ? ` from ${simStart}` : ""}; bills on MQTT topic m2m-cloud/bills`,
  );
  if (flows.some((n) => n.type === "lwm2m-server" && n.bind === "127.0.0.1")) {
    console.log(`M2M demo: fleet operations: LwM2M server (CoAP over UDP) on 127.0.0.1:${lwm2mPort} with its simulated fleet`);
  }
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
