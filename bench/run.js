#!/usr/bin/env node
// `npm run bench`: every bench/*.bench.js in turn. Benchmarks print figures and ratios; they never fail
// on a number.
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const only = process.argv[2];
for (const f of fs.readdirSync(__dirname).filter((f) => f.endsWith(".bench.js")).sort()) {
  if (only && !f.includes(only)) continue;
  console.log(`\n## ${f}`);
  const r = spawnSync(process.execPath, ["--expose-gc", path.join(__dirname, f)], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
