import { afterEach, describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { StateFile, decodeState, encodeState } from "../../../nodes/shared/state-file";

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "state-file-"));
  dirs.push(d);
  return d;
};

/** Timers the test fires by hand. */
function manualTimers() {
  const due: (() => void)[] = [];
  return { setTimer: (fn: () => void) => (due.push(fn), due.length), clearTimer: () => void due.splice(0), fire: () => due.splice(0).forEach((f) => f()), count: () => due.length };
}

describe("shared/state-file", () => {
  afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it("many changes within the interval are one write; close writes the last state; load reads it back", () => {
    const dir = tmp();
    const t = manualTimers();
    const s = new StateFile<{ n: number }>({ dir, intervalMs: 1000, sync: false, ...t });
    assert.deepEqual(s.load(), { state: undefined });
    for (let n = 1; n <= 500; n++) s.changed(() => ({ n }));
    assert.equal(s.writes, 0, "nothing written per message");
    assert.equal(t.count(), 1, "one timer for the burst");
    t.fire();
    assert.equal(s.writes, 1);
    s.changed(() => ({ n: 501 }));
    s.close();
    assert.equal(s.writes, 2);
    s.changed(() => ({ n: 502 }));
    assert.equal(t.count(), 0, "nothing scheduled after close");
    assert.deepEqual(new StateFile<{ n: number }>({ dir, sync: false }).load().state, { n: 501 });
  });

  it("a flipped bit is caught by the checksum: the document is moved aside and the node starts empty", () => {
    const dir = tmp();
    const s = new StateFile<{ v: string }>({ dir, sync: false });
    s.changed(() => ({ v: "abc" }));
    s.flush();
    const text = fs.readFileSync(s.file, "utf8").replace("abc", "abd");
    fs.writeFileSync(s.file, text);
    const r = new StateFile<{ v: string }>({ dir, sync: false }).load();
    assert.equal(r.state, undefined);
    assert.equal(r.reason, "checksum mismatch");
    assert.ok(r.quarantined && fs.existsSync(r.quarantined));
    assert.equal(fs.existsSync(s.file), false);
  });

  it("encode/decode round trip; truncated text is refused", () => {
    const doc = encodeState({ a: [1, 2, { b: null }] });
    assert.deepEqual(decodeState(doc), { ok: true, state: { a: [1, 2, { b: null }] } });
    assert.equal(decodeState(doc.slice(0, -3)).ok, false);
  });

  it("a failed periodic write is reported and kept for the next try; a failed flush throws a StorageError", () => {
    const dir = tmp();
    const t = manualTimers();
    const errors: Error[] = [];
    const s = new StateFile<number>({ dir, intervalMs: 10, sync: false, onError: (e) => errors.push(e), ...t });
    s.changed(() => 1);
    fs.rmSync(dir, { recursive: true });
    fs.writeFileSync(dir, "not a folder"); // the folder became a file: every write fails
    t.fire();
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /cannot write/);
    assert.throws(() => s.flush(), /cannot write/);
    fs.rmSync(dir);
  });
});
