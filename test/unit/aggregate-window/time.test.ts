/**
 * Event time, lateness, corrections, idle close (a fake clock: `now` is an argument), final emits, gap fill and
 * completeness. The 95 % billing threshold is the seeds' ("Check completeness (>95% required)", daily billing
 * workflow); the 2-hour fill limit is the California VEE rule the issue cites (8 intervals of 15 minutes).
 */
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { Aggregator, type Aggregate } from "../../../nodes/aggregate-window/aggregator";
import { parseAggregateWindowConfig } from "../../../nodes/aggregate-window/config";
import { aggregator, byStart, config, HOUR, MIN, reading } from "./helpers";

const T0 = Date.parse("2026-06-01T00:00:00Z");
const Q = 15 * MIN;

describe("aggregate-window: time, lateness and corrections", () => {
  it("a window is emitted once the device's watermark (newest − lateness) passes its end, per device", () => {
    const agg = aggregator({ window: "15m", latenessSeconds: 300, aggregates: '{"*":"sum"}' });
    assert.equal(agg.add([reading("a", T0, { x: 1 }), reading("b", T0, { x: 1 })], T0).aggregates.length, 0);
    // a at 00:19: watermark 00:14, not yet
    assert.equal(agg.add([reading("a", T0 + 19 * MIN, { x: 1 })], T0).aggregates.length, 0);
    // a at 00:20: watermark 00:15 closes a's first window; b's stays open
    const out = agg.add([reading("a", T0 + 20 * MIN, { x: 1 })], T0).aggregates;
    assert.deepEqual(out.map((a) => [a.deviceId, a.window.start, a.window.revision, a.window.final]), [["a", "2026-06-01T00:00:00.000Z", 0, false]]);
    assert.equal(agg.stats().openWindows, 2);
  });

  it("late data within correctionHours re-emits the window whole with revision + 1; later data goes out as late", () => {
    const agg = aggregator({ window: "1h", correctionHours: 2, aggregates: '{"*":"sum"}' });
    const out: Aggregate[] = [];
    for (const m of [0, 15, 45, 60, 75]) out.push(...agg.add([reading("m", T0 + m * MIN, { x: 1 })], T0).aggregates);
    out.push(...agg.add([reading("m", T0 + 2 * HOUR, { x: 1 })], T0).aggregates);
    const first = out.find((a) => a.window.start === "2026-06-01T00:00:00.000Z")!;
    assert.deepEqual([first.measurements.x.value, first.window.received, first.window.revision], [3, 3, 0]);
    // the missing 00:30 reading, replayed
    const r = agg.add([reading("m", T0 + 30 * MIN, { x: 1 })], T0);
    assert.equal(r.aggregates.length, 1);
    const fixed = r.aggregates[0];
    assert.deepEqual([fixed.window.start, fixed.measurements.x.value, fixed.window.received, fixed.window.completeness, fixed.window.revision], ["2026-06-01T00:00:00.000Z", 4, 4, 1, 1]);
    assert.equal(fixed.quality, "GOOD");
    // the watermark moves to 04:55: the 00:00 window is now beyond 2 h of corrections
    agg.add([reading("m", T0 + 5 * HOUR, { x: 1 })], T0);
    const late = agg.add([reading("m", T0 + 50 * MIN, { x: 1 })], T0);
    assert.deepEqual(late.aggregates, []);
    assert.equal(late.rejected.length, 1);
    assert.equal(late.rejected[0].reason, "late");
    assert.match(late.rejected[0].error, /beyond the 2 h of corrections/);
    assert.equal(agg.stats().late, 1);
    assert.equal(agg.stats().corrections, 1);
  });

  it("a quiet device gets its windows closed by the wall clock after idleCloseSeconds, with the completeness it has", () => {
    const agg = aggregator({ window: "15m", idleCloseSeconds: 900, aggregates: '{"*":"sum"}' });
    agg.add([reading("m", T0, { x: 1 }), reading("m", T0 + 5 * MIN, { x: 1 })], T0 + 5 * MIN);
    assert.deepEqual(agg.tick(T0 + 19 * MIN), [], "not quiet for 15 minutes yet");
    const out = agg.tick(T0 + 20 * MIN + 1);
    assert.equal(out.length, 1);
    assert.deepEqual([out[0].window.received, out[0].window.expected, out[0].window.final], [1, 1, false]);
    // it comes back: a reading for the same window is a correction
    const back = agg.add([reading("m", T0 + 10 * MIN, { x: 1 })], T0 + 21 * MIN);
    assert.deepEqual(back.aggregates.map((a) => [a.measurements.x.value, a.window.revision]), [[3, 1]]);
  });

  it("a quiet device's closed windows stay open to correction by event time; after correctionHours of wall-clock quiet they are final and forgotten", () => {
    const agg = aggregator({ window: "1h", idleCloseSeconds: 60, correctionHours: 48, aggregates: '{"*":"sum"}' });
    const wall = T0 + 30 * 24 * HOUR; // a replay of last month's readings
    agg.add([reading("m", T0, { x: 1 }), reading("m", T0 + 15 * MIN, { x: 1 }), reading("m", T0 + 60 * MIN, { x: 1 })], wall);
    const closed = agg.tick(wall + 61_000);
    assert.deepEqual(closed.map((a) => [a.window.revision, a.window.final, a.window.received]), [[0, false, 2], [0, false, 1]]);
    // the rest of the backlog arrives an hour later: corrections, not new windows
    const later = agg.add([reading("m", T0 + 30 * MIN, { x: 1 }), reading("m", T0 + 45 * MIN, { x: 1 })], wall + HOUR);
    assert.deepEqual(later.aggregates.map((a) => [a.window.revision, a.window.received, a.measurements.x.value]), [[1, 4, 4]]);
    assert.equal(agg.tick(wall + 48 * HOUR).length, 0);
    assert.equal(agg.stats().closedWindows, 2, "kept until 48 h of quiet");
    agg.tick(wall + HOUR + 48 * HOUR);
    assert.deepEqual([agg.stats().devices, agg.stats().closedWindows], [0, 0]);
  });

  it("a backlog being replayed is not quiet: its windows close by event time as the replay advances", () => {
    const agg = aggregator({ window: "15m", idleCloseSeconds: 900, aggregates: '{"*":"sum"}' });
    const wall = T0 + 10 * HOUR;
    let emitted = 0;
    for (let k = 0; k < 16; k++) {
      const r = agg.add([reading("m", T0 + k * Q, { x: 1 })], wall + k * 1000);
      emitted += r.aggregates.length;
      // after each reading at most one more window: never the whole backlog at once
      assert.ok(r.aggregates.length <= 1);
      assert.ok(agg.tick(wall + k * 1000).length === 0);
    }
    assert.equal(emitted, 14, "03:45 - 5 min lateness: the windows ending by 03:40 are closed");
  });

  it("a window beyond the correction horizon is final: emit \"final\" waits for it and emits each window once", () => {
    const agg = aggregator({ window: "1h", correctionHours: 1, emit: "final", latenessSeconds: 0, aggregates: '{"*":"sum"}' });
    const out: Aggregate[] = [];
    for (let m = 0; m <= 3 * 60; m += 15) out.push(...agg.add([reading("m", T0 + m * MIN, { x: 1 })], T0).aggregates);
    // watermark 03:00: the 00:00 and 01:00 windows end within 1 h before it? 00:00-01:00 ends 2 h before: final
    assert.deepEqual(out.map((a) => [a.window.start.slice(11, 16), a.window.final, a.window.revision]), [["00:00", true, 0], ["01:00", true, 0]]);
    // a correction to the open-to-correction 02:00 window emits nothing yet in "final" mode
    assert.deepEqual(agg.add([reading("m", T0 + 2 * HOUR + 5 * MIN, { x: 1 })], T0).aggregates, []);
    const later = agg.add([reading("m", T0 + 4 * HOUR, { x: 1 })], T0).aggregates;
    assert.deepEqual(later.map((a) => [a.window.start.slice(11, 16), a.window.final, a.measurements.x.value]), [["02:00", true, 5]]);
  });

  it("flush emits every open window now with final false; stats counts what is open", () => {
    const agg = aggregator({ window: "1d", aggregates: '{"*":"mean"}' });
    agg.add([reading("a", T0, { x: 1 }), reading("b", T0 + HOUR, { x: 3 })], T0);
    assert.deepEqual(agg.stats(), { devices: 2, openWindows: 2, closedWindows: 0, late: 0, invalid: 0, duplicates: 0, corrections: 0, emitted: 0 });
    const out = agg.flush();
    assert.deepEqual(out.map((a) => [a.deviceId, a.window.final, a.window.local]), [["a", false, "2026-06-01"], ["b", false, "2026-06-01"]]);
    assert.equal(agg.stats().openWindows, 0);
  });

  it("a reading that is not a reading, or matches no glob, is refused with the reason", () => {
    const agg = aggregator({ aggregates: '{"energy*":"delta"}' });
    const r = agg.add([{ deviceId: "x" }, reading("m", T0, { temp: 1 })], T0).rejected;
    assert.deepEqual(r.map((x) => x.reason), ["invalid", "invalid"]);
    assert.match(r[0].error, /not a canonical reading: .*timestamp/);
    assert.match(r[1].error, /no measurement \(temp\) matches a glob/);
  });

  it("an aggregate that does not fit one window (Kolkata hours into a UTC day) is refused", () => {
    const hourly = new Aggregator(config({ zone: "Asia/Kolkata", window: "1h", aggregates: '{"*":"sum"}' }));
    hourly.add([reading("m", Date.parse("2026-06-01T23:40:00Z"), { x: 1 })], T0);
    const [h] = hourly.flush();
    assert.equal(h.window.start, "2026-06-01T23:30:00.000Z");
    const daily = aggregator({ window: "1d", aggregates: '{"*":"sum"}' });
    const r = daily.add([h], T0).rejected;
    assert.equal(r[0].reason, "window");
    assert.match(r[0].error, /does not fit in one 1d UTC window \(2026-06-01 ends 2026-06-02T00:00:00.000Z\)/);
  });

  it("a newer revision of a merged aggregate replaces the older one; an older or equal one is a duplicate", () => {
    const hourly = aggregator({ window: "1h", aggregates: '{"*":"sum"}' });
    const daily = aggregator({ window: "1d", aggregates: '{"*":"sum"}' });
    hourly.add([reading("m", T0, { x: 1 })], T0);
    const [r0] = hourly.flush();
    const [r1] = hourly.add([reading("m", T0 + 15 * MIN, { x: 1 })], T0).aggregates;
    assert.equal(r1.window.revision, 1);
    daily.add([r1, r0, r1], T0);
    const [d] = daily.flush();
    assert.deepEqual([d.measurements.x.value, d.window.received], [2, 2]);
  });
});

describe("aggregate-window: gaps, completeness and quality", () => {
  const day = (over: Record<string, unknown>, skip: (k: number) => boolean, bad: (k: number) => boolean = () => false) => {
    const agg = aggregator({ window: "1d", aggregates: '{"power":"mean","energy":"delta"}', ...over });
    const items = [];
    for (let k = -1; k <= 96; k++) if (!skip(k)) items.push(reading("m", T0 + k * Q, { power: bad(k) ? null : 10 + (k % 4), energy: 100 + k }, bad(k) ? "BAD" : "GOOD"));
    return byStart(agg.add(items, T0).aggregates.concat(agg.flush())).get("2026-06-01T00:00:00.000Z")!;
  };

  it("GOOD when complete; SUSPECT below minCompleteness (0.95: 91 of 96 readings); flags say why", () => {
    const full = day({}, () => false);
    assert.deepEqual([full.window.received, full.window.expected, full.window.completeness, full.quality], [96, 96, 1, "GOOD"]);
    const short = day({}, (k) => k >= 10 && k < 15);
    assert.deepEqual([short.window.received, short.quality, short.measurements.power.flags], [91, "SUSPECT", ["incomplete"]]);
    assert.equal(short.measurements.energy.value, 96, "delta interpolates over the gap: consumption is not lost");
    const ok = day({}, (k) => k >= 10 && k < 14);
    assert.deepEqual([ok.window.received, +ok.window.completeness.toFixed(4), ok.quality], [92, 0.9583, "GOOD"]);
  });

  it("fill linear: a 5-interval gap is estimated (ESTIMATED, flag estimated, counted in estimated), up to maxFillIntervals", () => {
    const filled = day({ fill: "linear" }, (k) => k >= 10 && k < 15);
    assert.deepEqual([filled.window.received, filled.window.estimated, filled.quality, filled.measurements.power.quality, filled.measurements.power.flags], [91, 5, "ESTIMATED", "ESTIMATED", ["estimated"]]);
    assert.equal(filled.measurements.power.stats.count, 96);
    assert.equal(filled.measurements.power.stats.estimated, 5);
    // linear between 10+(9%4)=11 at k=9 and 10+(15%4)=13 at k=15
    const sumReal = Array.from({ length: 96 }, (_, k) => k).filter((k) => k < 10 || k >= 15).reduce((s, k) => s + 10 + (k % 4), 0);
    const est = [1, 2, 3, 4, 5].reduce((s, j) => s + 11 + (2 * j) / 6, 0);
    assert.ok(Math.abs(filled.measurements.power.stats.sum - (sumReal + est)) < 1e-9);
    const tooLong = day({ fill: "linear", maxFillIntervals: 4 }, (k) => k >= 10 && k < 15);
    assert.deepEqual([tooLong.window.estimated, tooLong.quality], [0, "SUSPECT"]);
  });

  it("fill previous repeats the value before the gap; never fills from an interval marked BAD", () => {
    const prev = day({ fill: "previous" }, (k) => k >= 10 && k < 13);
    assert.equal(prev.window.estimated, 3);
    assert.equal(prev.measurements.power.stats.sum - [0, 1, 2].length * 11, Array.from({ length: 96 }, (_, k) => k).filter((k) => k < 10 || k >= 13).reduce((s, k) => s + 10 + (k % 4), 0));
    const fromBad = day({ fill: "linear" }, (k) => k >= 10 && k < 13, (k) => k === 9);
    assert.equal(fromBad.measurements.power.stats.estimated, 0);
    assert.equal(fromBad.measurements.power.stats.bad, 1);
    assert.equal(fromBad.measurements.power.quality, "SUSPECT");
  });

  it("America/New_York 2026-03-08: 92 readings make a complete 23-hour day (tzdata Rule US)", () => {
    const agg = new Aggregator(parseAggregateWindowConfig({ zone: "America/New_York", window: "1d", aggregates: '{"energy":"delta"}' }));
    const start = Date.parse("2026-03-08T05:00:00Z");
    const items = [];
    for (let k = 0; k <= 93; k++) items.push(reading("m", start + k * Q, { energy: k }));
    const out = agg.add(items, start).aggregates;
    assert.equal(out.length, 1);
    assert.deepEqual([out[0].window.local, out[0].window.expected, out[0].window.received, out[0].measurements.energy.value, out[0].quality], ["2026-03-08", 92, 92, 92, "GOOD"]);
    assert.equal(out[0].window.end, "2026-03-09T04:00:00.000Z");
  });
});

describe("aggregate-window: state", () => {
  it("a snapshot restored into a new aggregator (a restart mid-day) loses nothing", () => {
    const cfg = { window: "1d", aggregates: '{"power":"mean","energy":"delta","t":"twa"}', fill: "linear" };
    const whole = aggregator(cfg);
    const first = aggregator(cfg);
    const items = Array.from({ length: 98 }, (_, k) => reading("m", T0 + k * Q, { power: k % 5, energy: k * 2, t: k % 3 }));
    const a = whole.add(items, T0).aggregates;
    first.add(items.slice(0, 40), T0);
    const state = JSON.parse(JSON.stringify(first.snapshot()));
    const second = aggregator(cfg);
    assert.equal(second.restore(state, T0), true);
    const b = second.add(items.slice(40), T0).aggregates;
    assert.deepEqual(b, a);
    assert.equal(aggregator({ ...cfg, window: "1h" }).restore(state, T0), false, "another window size starts empty");
  });
});
