#!/usr/bin/env node
// `npm test`: lint, type-check (sources and tests), build, then the unit, flow and end-to-end suites with mocha
// (TypeScript through tsx). `node scripts/test.js unit|flows|e2e` runs one suite; `npm run test:unit` stays fast.
// Extra arguments go to mocha (`node scripts/test.js unit --grep journal`).
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const root = path.resolve(__dirname, "..");
// Each suite: its folder, and mocha's timeout for one test or hook (a safety net against a hang, not a
// speed goal: no test asserts a duration).
const suites = {
  unit: { dir: "test/unit", timeout: 20_000 },
  flows: { dir: "test/flows", timeout: 120_000 },
  e2e: { dir: "test/e2e", timeout: 30 * 60_000 },
};
const which = process.argv[2] || "all";
const extra = process.argv.slice(3);
const chosen = which === "all" ? Object.keys(suites) : [which];
if (!chosen.every((s) => suites[s])) {
  console.error(`usage: node scripts/test.js [${Object.keys(suites).join("|")}|all] [mocha options]`);
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

if (which === "all") {
  // eslint's package "exports" hide its bin: find it beside its package.json.
  const eslint = path.join(path.dirname(require.resolve("eslint/package.json")), "bin", "eslint.js");
  run(process.execPath, [eslint, "--max-warnings=0", "."]);
  run(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "tsconfig.test.json")]);
}
if (which !== "unit") run(process.execPath, [path.join(root, "scripts/build.js")]);
const mocha = require.resolve("mocha/bin/mocha.js");
for (const s of chosen) {
  const list = files(suites[s].dir);
  if (list.length === 0) {
    console.error(`no test files found in ${suites[s].dir}`);
    process.exit(1);
  }
  // Files run one at a time: the flow and e2e tests start servers on ports they choose.
  run(process.execPath, [mocha, "--require", "tsx/cjs", "--timeout", String(suites[s].timeout), "--exit", ...extra, ...list]);
}
