import { afterEach, describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureDir, StorageError, storageError, writeFileAtomic, writeInPlace } from "../../../nodes/shared/durable-file";

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "durable-file-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  while (dirs.length) fs.rmSync(dirs.pop() as string, { recursive: true, force: true });
});

describe("durable files", () => {
  it("writeFileAtomic replaces a file whole and leaves no temporary file; writeInPlace cuts it to its new length", () => {
    const file = path.join(tmp(), "state.json");
    writeFileAtomic(file, "a much longer first version");
    writeFileAtomic(file, Buffer.from("second"));
    assert.equal(fs.readFileSync(file, "utf8"), "second");
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ["state.json"]);
    writeInPlace(file, "3", true);
    assert.equal(fs.readFileSync(file, "utf8"), "3");
  });

  it("writeFileAtomic removes its temporary file when the write fails (ENOSPC), and keeps the old file", () => {
    const file = path.join(tmp(), "state.json");
    writeFileAtomic(file, "old");
    const fsw = fs as unknown as { writeSync: (...args: unknown[]) => number; fsyncSync: (...args: unknown[]) => void };
    const orig = { writeSync: fsw.writeSync, fsyncSync: fsw.fsyncSync };
    const enospc = () => {
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    };
    try {
      fsw.writeSync = enospc;
      assert.throws(() => writeFileAtomic(file, "new"), (err: NodeJS.ErrnoException) => err.code === "ENOSPC");
      fsw.writeSync = orig.writeSync;
      fsw.fsyncSync = enospc; // delayed allocation: the full disk shows at fsync
      assert.throws(() => writeFileAtomic(file, "new"), (err: NodeJS.ErrnoException) => err.code === "ENOSPC");
    } finally {
      Object.assign(fsw, orig);
    }
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ["state.json"], "no state.json.tmp left behind");
    assert.equal(fs.readFileSync(file, "utf8"), "old");
  });

  it("ensureDir creates missing levels one at a time and accepts a folder that exists", () => {
    const d = path.join(tmp(), "a", "b", "c");
    ensureDir(d);
    ensureDir(d);
    assert.ok(fs.statSync(d).isDirectory());
  });

  // Issue 6 §5 and issue 7, item 7: a dir of /proc/x froze the runtime (mkdirSync recursive loops under /proc).
  it("ensureDir refuses /proc, /sys and /dev, also through a symbolic link, naming the reason", () => {
    for (const d of ["/proc/x", "/proc", "/sys/x/y", "/dev/shm-not/x"]) {
      assert.throws(() => ensureDir(d), (err: Error) => err instanceof StorageError && /kernel file system/.test(err.message) && err.message.includes(d), d);
    }
    const link = path.join(tmp(), "to-proc");
    fs.symlinkSync("/proc", link);
    assert.throws(() => ensureDir(path.join(link, "x")), /under \/proc/);
  });

  // Issue 7, item 15: a read-only remount showed ENOENT; the cause was EROFS.
  it("names the real cause of a failure, with the errno code and the path", () => {
    const file = path.join(tmp(), "file");
    fs.writeFileSync(file, "");
    assert.throws(() => ensureDir(path.join(file, "sub")), (err: StorageError) => err.code === "ENOTDIR" && /not a folder/.test(err.message) && err.message.includes(file));
    const rofs = storageError(Object.assign(new Error("EROFS: read-only file system, open '/data/x'"), { code: "EROFS" }), "write", "/data/x");
    assert.equal(rofs.code, "EROFS");
    assert.equal(rofs.path, "/data/x");
    assert.match(rofs.message, /^cannot write \/data\/x: the file system is read-only .*\(EROFS\)$/);
    if (process.getuid?.() !== 0) {
      const locked = tmp();
      fs.chmodSync(locked, 0o500);
      assert.throws(() => ensureDir(path.join(locked, "x")), (err: StorageError) => err.code === "EACCES" && /permission denied/.test(err.message));
    }
  });
});
