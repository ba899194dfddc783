/**
 * receivedAtOf: the msg.receivedAt of a message of aggregates is the newest receivedAt of the inputs counted in
 * their windows: on close, on a correction, through a rollup; undefined for a window no input reached.
 */
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { aggregator, HOUR, MIN, reading } from "./helpers";

const T0 = Date.parse("2026-06-01T00:00:00Z");
const NOW = Date.parse("2026-06-02T00:00:00Z");

describe("aggregate-window receivedAt", () => {
  it("the newest receivedAt of a window's readings, whatever their order, and a correction's when newer", () => {
    const agg = aggregator({ window: "15m", aggregates: '{"e*":"delta","*":"mean"}', intervalSeconds: 300, latenessSeconds: 0, correctionHours: 48 });
    agg.add([reading("m", T0, { e: 1, p: 1 })], NOW, T0 + 50_000);
    agg.add([reading("m", T0 + 5 * MIN, { e: 2, p: 1 })], NOW, T0 + 20_000); // a replay: received before
    const [closed] = agg.add([reading("m", T0 + 15 * MIN, { e: 4, p: 1 })], NOW, T0 + 16 * MIN).aggregates;
    assert.equal(closed.window.start, new Date(T0).toISOString());
    assert.equal(agg.receivedAtOf([closed]), T0 + 50_000);
    // the missing 00:10 reading, received late: the corrected window says when
    const fixed = agg.add([reading("m", T0 + 10 * MIN, { e: 3, p: 1 })], NOW, T0 + 2 * HOUR).aggregates;
    const rev = fixed.find((a) => a.window.start === closed.window.start)!;
    assert.deepEqual([rev.window.revision, rev.window.received, agg.receivedAtOf([rev])], [1, 3, T0 + 2 * HOUR]);
    // a message of several: the newest of them
    assert.equal(agg.receivedAtOf([closed, rev]), T0 + 2 * HOUR);
  });

  it("a rollup carries its children's receivedAt; an empty window of a gap has none", () => {
    const q = aggregator({ window: "15m", aggregates: '{"*":"mean"}', intervalSeconds: 900, latenessSeconds: 0 });
    const h = aggregator({ window: "1h", aggregates: '{"*":"mean"}', intervalSeconds: 900, latenessSeconds: 0 });
    const hour = [];
    for (let k = 0; k < 5; k++) {
      const a = q.add([reading("m", T0 + k * 15 * MIN, { p: k })], NOW, T0 + k * 15 * MIN + 7000).aggregates;
      if (a.length) hour.push(...h.add(a, NOW, q.receivedAtOf(a)).aggregates);
    }
    // the four quarter hours of 00:00 went up (the last closes the hour); the newest was received at 00:45:07
    assert.deepEqual(hour.map((a) => [a.window.start, a.window.received]), [[new Date(T0).toISOString(), 4]]);
    assert.equal(h.receivedAtOf(hour), T0 + 45 * MIN + 7000);
    // a gap: the device jumps 3 hours; the empty windows between are emitted with no input of their own
    const gap = aggregator({ window: "1h", aggregates: '{"*":"mean"}', intervalSeconds: 900, latenessSeconds: 0 });
    gap.add([reading("m", T0, { p: 1 })], NOW, T0 + 1000);
    const aggs = gap.add([reading("m", T0 + 3 * HOUR, { p: 1 })], NOW, T0 + 3 * HOUR + 1000).aggregates;
    assert.deepEqual(aggs.map((a) => [a.window.received, gap.receivedAtOf([a])]), [[1, T0 + 1000], [0, undefined], [0, undefined]]);
  });
});
