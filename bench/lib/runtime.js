// An embedded Node-RED runtime for benchmarks: a temporary user directory, this package linked in as the
// palette would install it, no HTTP listener, and a counting sink node. No test helper: it records every
// call and would measure itself.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const http = require("http");

const root = path.resolve(__dirname, "..");

async function startRuntime(flow) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-bench-"));
  const pkg = require(path.join(root, "package.json"));
  fs.mkdirSync(path.join(userDir, "node_modules", path.dirname(pkg.name)), { recursive: true });
  fs.symlinkSync(root, path.join(userDir, "node_modules", pkg.name), "dir");
  fs.writeFileSync(path.join(userDir, "flows.json"), JSON.stringify(flow));
  const RED = require("node-red");
  const server = http.createServer();
  RED.init(server, {
    userDir,
    flowFile: "flows.json",
    nodesDir: [path.join(__dirname, "nodes")],
    httpAdminRoot: false,
    httpNodeRoot: false,
    credentialSecret: false,
    telemetry: { enabled: false },
    logging: { console: { level: "warn" } },
    editorTheme: { projects: { enabled: false } },
  });
  await RED.start();
  await new Promise((r) => setTimeout(r, 200));
  global.__benchSinks = {};
  return {
    RED,
    /** Seconds to push `n` messages from makeMsg() into node `id` and see them all at sink `sinkId`. */
    run(id, sinkId, n, makeMsg) {
      const node = RED.nodes.getNode(id);
      if (!node) throw new Error(`node ${id} did not start`);
      return new Promise((resolve) => {
        const start = process.hrtime.bigint();
        global.__benchSinks[sinkId] = { got: 0, want: n, resolve: () => resolve(Number(process.hrtime.bigint() - start) / 1e9) };
        let sent = 0;
        (function feed() {
          for (let k = 0; k < 20 && sent < n; k++, sent++) node.receive(makeMsg());
          if (sent < n) setImmediate(feed);
        })();
      });
    },
    async stop() {
      await RED.stop();
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

module.exports = { startRuntime, median };
