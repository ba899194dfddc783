/**
 * One journal per storage folder (issue 7, item 2): two stores on one folder corrupt each other. The folder is
 * locked by a file `lock` holding the owner's pid and node id; a lock whose process is gone is taken over, and a
 * second opener is refused with an error naming the owner. The lock is released on close.
 */
import fs from "node:fs";
import path from "node:path";
import { storageError } from "../../shared/durable-file";

export const LOCK_FILE = "lock";

/** Folders locked by journals of this process (a pid alone cannot tell two nodes of one Node-RED apart). */
const held = new Set<string>();

interface LockInfo {
  pid: number;
  owner?: string;
  since?: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readLock(file: string): LockInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(file, "utf8")) as LockInfo;
    return Number.isInteger(info?.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

export class DirLock {
  private constructor(
    readonly file: string,
    private readonly key: string,
  ) {}

  /** Lock `dir` for `owner`, or throw an error naming the journal that holds it. */
  static acquire(dir: string, owner: string): DirLock {
    const key = fs.realpathSync(dir);
    const file = path.join(dir, LOCK_FILE);
    const text = JSON.stringify({ pid: process.pid, owner, since: new Date().toISOString() });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(file, text, { flag: "wx" });
        held.add(key);
        return new DirLock(file, key);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw storageError(err, "lock", file);
      }
      const info = readLock(file);
      const mine = info?.pid === process.pid;
      const busy = info !== undefined && (mine ? held.has(key) : alive(info.pid));
      if (busy) {
        const who = info.owner ? `node ${info.owner}` : "another store";
        throw new Error(`storage folder ${dir} is in use by ${who} (process ${info.pid}${mine ? ", this Node-RED" : ""}): two stores on one folder would corrupt each other; give each node its own folder (dir)`);
      }
      // A stale lock (its process is gone, or it is unreadable): take it over.
      fs.rmSync(file, { force: true });
    }
    throw new Error(`storage folder ${dir}: could not take its lock ${file}`);
  }

  release(): void {
    held.delete(this.key);
    try {
      if (readLock(this.file)?.pid === process.pid) fs.rmSync(this.file, { force: true });
    } catch {
      // a lock left behind is stale once this process is gone
    }
  }
}
