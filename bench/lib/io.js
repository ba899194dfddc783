// What the kernel does for this process: /proc/self/io, and dropping the page cache for a cold read.
"use strict";
const fs = require("fs");

const hasProcIo = fs.existsSync("/proc/self/io");
/**
 * /proc/self/io. wchar = bytes passed to write calls; write_bytes = bytes of page-cache pages this process
 * dirtied (4 KiB each time a clean page is written to: what the kernel writes to the device, file system
 * metadata and its journal not counted); cancelled_write_bytes = dirty pages dropped before writeback
 * (a file deleted or truncated first).
 */
function procIo() {
  if (!hasProcIo) return undefined;
  const o = {};
  for (const line of fs.readFileSync("/proc/self/io", "utf8").trim().split("\n")) {
    const [k, v] = line.split(": ");
    o[k] = Number(v);
  }
  return o;
}
/** The difference of two procIo() readings; `kernel` = pages dirtied minus pages cancelled. */
function ioDelta(a, b) {
  if (!a || !b) return undefined;
  return {
    rchar: b.rchar - a.rchar,
    wchar: b.wchar - a.wchar,
    syscw: b.syscw - a.syscw,
    dirtied: b.write_bytes - a.write_bytes,
    cancelled: b.cancelled_write_bytes - a.cancelled_write_bytes,
    kernel: b.write_bytes - a.write_bytes - (b.cancelled_write_bytes - a.cancelled_write_bytes),
    readBytes: b.read_bytes - a.read_bytes,
  };
}

/** Does write_bytes move on this machine (it stays 0 on tmpfs and in some containers)? */
function kernelWritesMeasurable(dir) {
  const a = procIo();
  if (!a) return false;
  const f = `${dir}/.io-probe`;
  const fd = fs.openSync(f, "w");
  fs.writeSync(fd, Buffer.alloc(100, 1));
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.rmSync(f);
  const b = procIo();
  return b.write_bytes > a.write_bytes;
}

/**
 * Drop the page cache (clean pages only; dirty ones are written first with sync). Needs root and a
 * writable /proc/sys/vm/drop_caches; returns why not otherwise. Node has no posix_fadvise(DONTNEED).
 */
function dropCaches() {
  try {
    require("child_process").spawnSync("sync");
    fs.writeFileSync("/proc/sys/vm/drop_caches", "1");
    return { ok: true };
  } catch (err) {
    return { ok: false, why: `cannot write /proc/sys/vm/drop_caches (${err.code || err.message}; needs root outside a container)` };
  }
}

module.exports = { hasProcIo, procIo, ioDelta, kernelWritesMeasurable, dropCaches };
