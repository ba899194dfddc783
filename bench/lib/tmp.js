// Temporary directories for benchmarks, removed when the run ends (normally, on an error or on a signal).
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");

const dirs = new Set();
/** A new empty directory under the system temporary directory (on this machine's disk, not tmpfs, when so). */
function tmpDir(tag) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `m2m-bench-${tag}-`));
  dirs.add(d);
  return d;
}
function rmDir(d) {
  fs.rmSync(d, { recursive: true, force: true });
  dirs.delete(d);
}
function cleanup() {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs.clear();
}
process.on("exit", cleanup);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.once(sig, () => {
    cleanup();
    process.exit(130);
  });
}

/** Bytes in the files under dir (recursive). */
function du(dir) {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? du(p) : fs.statSync(p).size;
  }
  return n;
}

/** Files under dir (recursive). */
function files(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else out.push(p);
  }
  return out;
}

module.exports = { tmpDir, rmDir, cleanup, du, files };
