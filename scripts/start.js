#!/usr/bin/env node
// `npm start`: the demo. Node-RED on http://127.0.0.1:1880 (PORT overrides), user directory .node-red/
// inside the repo (git-ignored), this package loaded the way the palette manager would see it (a link in
// .node-red/node_modules), and every flow in flows/ deployed. The flows are copied in anew at each
// start: edit flows/ to change the demo, or export from the editor.
"use strict";
const fs = require("fs");
const path = require("path");
const { spawn, execFileSync } = require("child_process");

const root = path.resolve(__dirname, "..");
const pkg = require(path.join(root, "package.json"));
const userDir = path.join(root, ".node-red");
const port = Number(process.env.PORT || 1880);

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
  .flatMap((f) => JSON.parse(fs.readFileSync(path.join(root, "flows", f), "utf8")));
fs.writeFileSync(path.join(userDir, "flows.json"), JSON.stringify(flows, null, 2));

const settings = path.join(userDir, "settings.js");
fs.writeFileSync(
  settings,
  `module.exports = {
  uiHost: "127.0.0.1",
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

const red = require.resolve("node-red/red.js", { paths: [root] });
console.log(`M2M demo: Node-RED at http://127.0.0.1:${port}/ (user directory ${path.relative(root, userDir)}/)`);
const child = spawn(process.execPath, [red, "--settings", settings, "--userDir", userDir], { stdio: "inherit" });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
