#!/usr/bin/env node
// Build: compile TypeScript to CommonJS in dist/, then copy what Node-RED reads beside each node's
// .js file: its editor .html, its locales/ folder, and its icons from icons/ (`<type>.svg`; Node-RED looks
// for icons in an `icons` folder next to the node file).
"use strict";
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

const root = path.resolve(__dirname, "..");
const dist = path.join(root, "dist");
fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "tsconfig.json")], {
  stdio: "inherit",
});

const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
for (const [type, file] of Object.entries(pkg["node-red"].nodes)) {
  const srcDir = path.join(root, "nodes", type);
  const outDir = path.join(root, path.dirname(file));
  fs.mkdirSync(outDir, { recursive: true });
  fs.copyFileSync(path.join(srcDir, `${type}.html`), path.join(outDir, `${type}.html`));
  fs.cpSync(path.join(srcDir, "locales"), path.join(outDir, "locales"), { recursive: true });
  fs.mkdirSync(path.join(outDir, "icons"), { recursive: true });
  for (const icon of fs.readdirSync(path.join(root, "icons")).filter((f) => f === `${type}.svg` || f.startsWith(`${type}-`))) {
    fs.copyFileSync(path.join(root, "icons", icon), path.join(outDir, "icons", icon));
  }
}
