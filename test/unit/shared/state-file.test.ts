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

describe("shared/state-file: saves in parts (chunked)", () => {
  const tickers: (() => void)[] = [];
  afterEach(() => {
    tickers.splice(0).forEach((stop) => stop());
    dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
  });

  /** A body of `n` parts, {"k0":0,"k1":1,...}, counting the parts made; `ticks()` counts event-loop turns meanwhile. */
  function body(n: number, tag = 0) {
    const made = { parts: 0, turnsSeen: [] as number[] };
    let turns = 0;
    const parts = function* () {
      for (let i = 0; i < n; i++) {
        made.parts++;
        made.turnsSeen.push(turns);
        yield `${i === 0 ? "{" : ","}"k${i}":${i + tag}`;
      }
      yield "}";
    };
    const expected = Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i + tag]));
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const stop = () => void (ticking = false);
    tickers.push(stop);
    return { parts, expected, made, stop };
  }

  it("writes the same document as the synchronous write, and yields to the event loop between slices while it encodes", async () => {
    const dir = tmp();
    const s = new StateFile<Record<string, number>>({ dir, sync: false, chunked: true, sliceMs: 0 });
    const b = body(50);
    s.changedParts(b.parts);
    await s.save();
    b.stop();
    assert.equal(s.writes, 1);
    assert.equal(fs.readFileSync(s.file, "utf8"), encodeState(b.expected), "byte for byte what encodeState writes: old readers read it");
    assert.deepEqual(new StateFile<Record<string, number>>({ dir, sync: false }).load().state, b.expected);
    // With a slice of 0 ms, every part is made in a turn of its own: other work ran between them.
    assert.equal(new Set(b.made.turnsSeen).size, 50, `turns seen by the parts: ${b.made.turnsSeen.join(",")}`);
    assert.deepEqual(fs.readdirSync(dir), ["state.json"], "no temporary file left");
  });

  it("the periodic write is a save in parts; saves asked for while one is in flight are one more save, with the latest state", async () => {
    const dir = tmp();
    const t = manualTimers();
    const s = new StateFile<Record<string, number>>({ dir, intervalMs: 1000, sync: false, chunked: true, sliceMs: 0, ...t });
    const first = body(20, 0);
    s.changedParts(first.parts);
    assert.equal(t.count(), 1);
    t.fire(); // starts the save in parts
    assert.equal(s.saving, true);
    // While it is in flight the state changes three times, and three saves are asked for.
    const later = [body(5, 100), body(5, 200), body(5, 300)];
    const asked = later.map((b) => (s.changedParts(b.parts), s.save()));
    assert.equal(asked[0], asked[2], "one follow-up save for all three");
    await Promise.all(asked);
    later.concat(first).forEach((b) => b.stop());
    assert.equal(s.writes, 2, "the one in flight, then one with the latest state");
    assert.equal(later[0].made.parts + later[1].made.parts, 0, "the states in between were never encoded");
    assert.deepEqual(new StateFile({ dir, sync: false }).load().state, later[2].expected);
  });

  it("while a save is in flight the file is still the previous document (the new one goes to a temporary file, then a rename)", async () => {
    const dir = tmp();
    const s = new StateFile<Record<string, number>>({ dir, sync: false, chunked: true, sliceMs: 0 });
    const a = body(3, 0);
    s.changedParts(a.parts);
    await s.save();
    const b = body(30, 50);
    s.changedParts(b.parts);
    const p = s.save();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.ok(b.made.parts > 0 && b.made.parts < 30, `part ${b.made.parts} of 30`);
    assert.deepEqual(new StateFile({ dir, sync: false }).load().state, a.expected);
    await p;
    a.stop();
    b.stop();
    assert.deepEqual(new StateFile({ dir, sync: false }).load().state, b.expected);
  });

  it("closeAsync waits for the save in flight and writes the last state; nothing is written or scheduled after it", async () => {
    const dir = tmp();
    const t = manualTimers();
    const s = new StateFile<Record<string, number>>({ dir, intervalMs: 1000, sync: false, chunked: true, sliceMs: 0, ...t });
    const a = body(20, 0);
    s.changedParts(a.parts);
    t.fire();
    const b = body(4, 7);
    s.changedParts(b.parts);
    await s.closeAsync();
    assert.equal(s.saving, false);
    assert.equal(s.writes, 2);
    assert.deepEqual(new StateFile({ dir, sync: false }).load().state, b.expected);
    s.changedParts(body(1, 9).parts);
    s.changed(() => ({ x: 1 }));
    assert.equal(t.count(), 0, "nothing scheduled after close");
    await s.closeAsync();
    assert.equal(s.writes, 2);
    a.stop();
    b.stop();
  });

  it("a synchronous flush during a save in parts wins: the older save in flight is dropped, not renamed over it", async () => {
    const dir = tmp();
    const s = new StateFile<Record<string, number>>({ dir, sync: false, chunked: true, sliceMs: 0 });
    const a = body(30, 0);
    s.changedParts(a.parts);
    const p = s.save();
    await new Promise((r) => setImmediate(r));
    s.changed(() => ({ newest: 1 }));
    s.flush();
    await p;
    a.stop();
    assert.deepEqual(new StateFile({ dir, sync: false }).load().state, { newest: 1 });
    assert.deepEqual(fs.readdirSync(dir), ["state.json"]);
  });

  it("a failed save in parts rejects with a StorageError naming the cause, leaves no temporary file, and is written by the next save", async () => {
    const dir = tmp();
    const errors: Error[] = [];
    const t = manualTimers();
    const s = new StateFile<Record<string, number>>({ dir, intervalMs: 10, sync: false, chunked: true, onError: (e) => errors.push(e), ...t });
    const a = body(3, 0);
    s.changedParts(a.parts);
    fs.rmSync(dir, { recursive: true });
    fs.writeFileSync(dir, "not a folder");
    await assert.rejects(s.save(), /cannot write .*state\.json: a part of the path is a file, not a folder \(ENOTDIR\)/);
    // The timer's save reports to onError instead (no rejection escapes).
    s.changed(() => ({ x: 1 }));
    t.fire();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /cannot write/);
    fs.rmSync(dir);
    fs.mkdirSync(dir);
    await s.save();
    assert.deepEqual(new StateFile({ dir, sync: false }).load().state, { x: 1 });
    assert.deepEqual(fs.readdirSync(dir), ["state.json"]);
    a.stop();
  });

  it("a value given to changed() is saved the same way (encoded at once, written asynchronously)", async () => {
    const dir = tmp();
    const s = new StateFile<{ n: number }>({ dir, sync: true, chunked: true });
    s.changed(() => ({ n: 5 }));
    await s.closeAsync();
    assert.equal(fs.readFileSync(s.file, "utf8"), encodeState({ n: 5 }));
  });
});
