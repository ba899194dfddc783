#!/usr/bin/env node
// `npm test`: type-check (sources and tests), build, then the unit, flow and end-to-end suites with Node's test runner (TypeScript
// through tsx). `node scripts/test.js unit|flows|e2e` runs one suite; `npm run test:unit` stays fast.
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const root = path.resolve(__dirname, "..");
const suites = { unit: "test/unit", flows: "test/flows", e2e: "test/e2e" };
const which = process.argv[2] || "all";
const chosen = which === "all" ? Object.keys(suites) : [which];
if (!chosen.every((s) => suites[s])) {
  console.error(`usage: node scripts/test.js [${Object.keys(suites).join("|")}|all]`);
  process.exit(2);
}

function files(dir) {
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs)) return [];
  return fs
    .readdirSync(abs, { recursive: true })
    .filter((f) => /\.test\.(ts|js)$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: process.env });
  if (r.status !== 0) process.exit(r.status === null ? 1 : r.status);
}

if (which === "all") run(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "tsconfig.test.json")]);
if (which !== "unit") run(process.execPath, [path.join(root, "scripts/build.js")]);
const list = chosen.flatMap((s) => files(suites[s]));
if (list.length === 0) {
  console.error("no test files found");
  process.exit(1);
}
// Suites run one file at a time: the flow and e2e tests start servers on ports they choose.
run(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=1", ...list]);
