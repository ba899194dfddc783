// The saved state across versions: a version-2 document (saved by the engine before the packed per-device layout)
// loads into the present engine and gives the same answers to the same readings; the present document (version 3)
// is smaller, comes back the same, and its parts (what a chunked save writes) are the same document.
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { parseRules, type Rule } from "../../../nodes/validate/rules";
import { Validator, type ValidatorState } from "../../../nodes/validate/validator";

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "state-v2.json"), "utf8")) as {
  rules: Rule[];
  timeZone: string;
  silenceSeconds: number;
  loadedAt: number;
  state: ValidatorState;
  follow: unknown[];
  refs: number[];
  outcomes: unknown[];
  stats: Record<string, unknown>;
};

const engine = () =>
  new Validator({ drift: { acceptSeconds: 60, rejectSeconds: 3600, action: "correct" }, rules: parseRules(fixture.rules), dedupHours: 48, dedupMaxKeys: 100_000, silenceSeconds: fixture.silenceSeconds, timeZone: fixture.timeZone });

/** Feed the fixture's readings; the outcomes as JSON (what leaves the node). */
function replay(v: Validator): unknown[] {
  return fixture.follow.map((r, i) => JSON.parse(JSON.stringify(v.validate(structuredClone(r), fixture.refs[i], fixture.loadedAt))));
}

describe("validate: the saved state across versions", () => {
  it("a version-2 state loads: the same readings get the same answers as from the engine that saved it (duplicates, conflicts, counters, rate, spike, drift alert, back)", () => {
    assert.equal(fixture.state.version, 2);
    const v = engine();
    v.load(structuredClone(fixture.state), fixture.loadedAt);
    assert.deepEqual(replay(v), fixture.outcomes);
    assert.deepEqual(JSON.parse(JSON.stringify(v.stats())), fixture.stats);
  });

  it("a version-2 state saved again as version 3 and loaded gives the same answers, in a smaller document", () => {
    const a = engine();
    a.load(structuredClone(fixture.state), fixture.loadedAt);
    const v3 = a.toJSON();
    assert.equal(v3.version, 3);
    const text = JSON.stringify(v3);
    assert.ok(text.length < JSON.stringify(fixture.state).length * 0.8, `${text.length} bytes, version 2 took ${JSON.stringify(fixture.state).length}`);
    const b = engine();
    b.load(JSON.parse(text), fixture.loadedAt);
    assert.equal(JSON.stringify(b.toJSON()), text, "the same state comes back");
    assert.deepEqual(replay(b), fixture.outcomes);
  });

  it("a device restored with no baseline and no recent value counts as not fed: a reset of every device forgets none", () => {
    // A saved sigma-by-hour slot whose hours are all empty (null) gives nothing to forget.
    const v = engine();
    const state = {
      version: 2,
      devices: { "m-9": { h: fixture.loadedAt, c: { passed: 0, flagged: 0, rejected: 0, duplicates: 0 }, m: { powerActive: { v: [], r: 0, hr: new Array(24).fill(null) } } } },
      dedup: {},
      totals: {},
      rules: fixture.state.rules,
    } as unknown as ValidatorState;
    v.load(state, fixture.loadedAt);
    assert.equal(v.reset(), 0, "nothing was restored, so nothing is forgotten");
    const w = engine();
    w.load(structuredClone(fixture.state), fixture.loadedAt);
    assert.ok(w.reset() >= 1, "devices with baselines are forgotten");
  });

  it("jsonParts is toJSON as text, in parts of a few devices each, whatever the part size", () => {
    const a = engine();
    a.load(structuredClone(fixture.state), fixture.loadedAt);
    replay(a);
    const whole = JSON.stringify(a.toJSON());
    for (const per of [1, 2, 100]) {
      const parts = [...a.jsonParts(per)];
      assert.deepEqual(JSON.parse(parts.join("")), JSON.parse(whole), `${per} a part`);
      if (per === 1) assert.ok(parts.length >= 5, `${parts.length} parts`);
    }
  });

  it("a slot keeps only what its rules read: no recent values for a range check or a sigma on the value, the newest for a flatline", () => {
    const v = new Validator({
      drift: { acceptSeconds: 1e9, rejectSeconds: 1e9, action: "correct" },
      rules: parseRules([{ measurement: "v", min: 0 }, { measurement: "p", sigma: 3 }, { measurement: "t", flatline: 3 }, { measurement: "e", monotonic: true }]),
      dedupHours: 0,
      dedupMaxKeys: 1,
      silenceSeconds: 0,
      timeZone: "UTC",
      historySize: 4,
    });
    const t0 = Date.parse("2026-03-01T00:00:00.000Z");
    for (let k = 0; k < 10; k++) {
      const measurements = { v: { value: 230 + k }, p: { value: 5 + (k % 2) }, t: { value: 20 + k }, e: { value: 100 + k }, x: { value: k } };
      v.validate({ deviceId: "d", timestamp: new Date(t0 + k * 900_000).toISOString(), measurements, quality: "GOOD" }, t0 + k * 900_000, t0 + k * 900_000);
    }
    const s = v.toJSON();
    assert.equal(s.version, 3);
    assert.deepEqual(s.layouts, [["v", "p", "t", "e", "x"]]);
    const [, counts, layout, times, slots] = s.devices.d;
    assert.deepEqual(counts, [10, 0, 0, 0]);
    assert.equal(layout, 0);
    assert.deepEqual(times, [(t0 + 6 * 900_000) / 1000, [900, 3]], "the four newest times, once");
    assert.deepEqual(slots, [0, [[], 0, 0, [10, 5.5, 2.5]], [[29], 1], [[106, 107, 108, 109], 1], 0]);
  });
});
