#!/usr/bin/env node
// `npm run bench`: every bench/*.bench.js in turn (`node bench/run.js store` runs the matching ones).
// Benchmarks print figures and ratios, and write bench/results/<name>.json; they never fail on a number.
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const only = process.argv[2];
const t0 = Date.now();
for (const f of fs.readdirSync(__dirname).filter((f) => f.endsWith(".bench.js")).sort()) {
  if (only && !f.includes(only)) continue;
  console.log(`\n## ${f}`);
  const r = spawnSync(process.execPath, ["--expose-gc", path.join(__dirname, f)], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
console.log(`\nall benchmarks: ${((Date.now() - t0) / 1000).toFixed(0)} s; figures, baselines, ratios and goals as data in bench/results/*.json`);
