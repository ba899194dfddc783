// An embedded Node-RED runtime for benchmarks: a temporary user directory, this package linked in as the
// palette would install it, no HTTP listener, and counting sink nodes (lib/nodes/bench-sink). No test
// helper: it records every call and would measure itself. One runtime per process (Node-RED is a singleton).
"use strict";
const fs = require("fs");
const path = require("path");
const http = require("http");
const { root } = require("./package");
const { tmpDir, rmDir } = require("./tmp");

async function startRuntime(flow) {
  const userDir = tmpDir("red");
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
  for (const n of flow) if (n.type && !RED.nodes.getNode(n.id) && n.type !== "tab") throw new Error(`node ${n.id} (${n.type}) did not start: is the package built?`);

  /** Resolves with the seconds until sink `sinkId` has seen `n` more messages, counted from now. */
  function expect(sinkId, n) {
    const start = process.hrtime.bigint();
    return new Promise((resolve) => {
      global.__benchSinks[sinkId] = { got: 0, want: n, resolve: () => resolve(Number(process.hrtime.bigint() - start) / 1e9) };
    });
  }
  /** Feed `n` messages from makeMsg(i) into node `id`, `perTick` per event-loop turn (as Node-RED delivers). */
  function feed(id, n, makeMsg, perTick = 20) {
    const node = RED.nodes.getNode(id);
    return new Promise((resolve) => {
      let sent = 0;
      (function turn() {
        for (let k = 0; k < perTick && sent < n; k++, sent++) node.receive(makeMsg(sent));
        if (sent < n) setImmediate(turn);
        else resolve();
      })();
    });
  }
  return {
    RED,
    userDir,
    expect,
    feed,
    /** Seconds to push `n` messages into node `id` until all `n` have reached sink `sinkId`. */
    async run(id, sinkId, n, makeMsg) {
      const done = expect(sinkId, n);
      await feed(id, n, makeMsg);
      return done;
    },
    /** The last message sink `sinkId` saw. */
    last: (sinkId) => global.__benchSinks[sinkId] && global.__benchSinks[sinkId].last,
    async stop() {
      await RED.stop();
      rmDir(userDir);
    },
  };
}

module.exports = { startRuntime };
