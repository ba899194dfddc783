import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { StorageError } from "../../../../nodes/shared/durable-file";
import { Journal } from "../../../../nodes/store-forward/journal";
import { data, drain, failNextWrite, opts, tmp } from "./helpers";

describe("journal: storage errors", () => {
  // Issue 6 §5 / issue 7, item 7: a dir under /proc froze the runtime (mkdirSync recursive loops there).
  it("refuses a storage folder under /proc, /sys or /dev at open, naming the reason", () => {
    for (const dir of ["/proc/x", "/sys/m2m", "/dev/m2m"]) {
      assert.throws(() => Journal.open(opts(dir)), (err: Error) => err instanceof StorageError && /kernel file system/.test(err.message), dir);
    }
  });

  // Issue 7, item 15: a card remounted read-only showed ENOENT; the real cause was EROFS.
  it("a write that fails names the real cause, its errno code and the segment file, and the journal goes on", async () => {
    const j = Journal.open(opts(tmp()));
    const undo = failNextWrite("EROFS");
    await assert.rejects(j.append(1, "a", data(1)), (err: StorageError) => err.code === "EROFS" && /read-only/.test(err.message) && /\.seg/.test(err.message));
    undo();
    await j.append(1, "b", data(2));
    assert.deepEqual(drain(j), [2]);
    await j.close();
  });
});
