import { describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import { Journal } from "../../../../nodes/store-forward/journal";
import { data, drain, fill, opts, segments, settle, tmp } from "./helpers";

describe("journal: errors of asynchronous paths", () => {
  // Issue 7, item 6: a single EIO on a segment read killed Node-RED: the exception escaped from the journal's
  // setImmediate callback (a write lands, onWritten pumps delivery, next() reads the segment).
  it("an EIO on a segment read is counted and reported, never thrown, and the next read succeeds", async () => {
    const dir = tmp();
    let j = Journal.open(opts(dir));
    await fill(j, 3);
    await j.close();
    j = Journal.open(opts(dir));
    const errors: Error[] = [];
    j.onError = (err) => errors.push(err);
    const fsx = fs as unknown as { openSync: (...args: unknown[]) => number };
    const open = fsx.openSync;
    fsx.openSync = (...args: unknown[]) => {
      if (args[1] === "r") {
        fsx.openSync = open;
        throw Object.assign(new Error("EIO: i/o error, open"), { code: "EIO" });
      }
      return open(...args);
    };
    try {
      assert.equal(j.next(), undefined);
    } finally {
      fsx.openSync = open;
    }
    assert.equal(j.stats().errors, 1);
    assert.match(errors[0].message, /cannot read .*\.seg: an I\/O error .*\(EIO\)/);
    assert.deepEqual(drain(j), [0, 1, 2], "the journal is still usable");
    await j.close();
  });

  it("a segment truncated or deleted while running does not stop the process: the error is reported from the write callback", async () => {
    const dir = tmp();
    const first = Journal.open(opts(dir, { durability: "os" }));
    await fill(first, 3);
    await first.close();
    // Reopened: the records are on disk only (records written in this run are handed out from memory).
    const j = Journal.open(opts(dir, { durability: "os" }));
    const errors: Error[] = [];
    j.onError = (err) => errors.push(err);
    // The forwarder's pattern: each write that lands pumps delivery, in the journal's own setImmediate.
    j.onWritten = () => {
      while (j.next()) {
        /* what the pump gets does not matter here: nothing may be thrown */
      }
    };
    for (const f of segments(dir)) fs.truncateSync(f, 0);
    await j.append(1, "after", data(3));
    await settle();
    for (const f of segments(dir)) fs.rmSync(f);
    await j.append(1, "after2", data(4));
    await settle();
    assert.ok(errors.length >= 1, "reported");
    assert.equal(j.stats().errors, errors.length);
    await j.close();
  });
});
