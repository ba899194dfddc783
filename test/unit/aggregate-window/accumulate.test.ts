/**
 * Accumulators: the functions over one window, delta's boundary interpolation, twa, and the rollup merge
 * (15m → 1h → 1d → 1mo equals 1mo over the raw readings, Europe/Berlin March 2026: 743 hours, tzdata Rule EU).
 */
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import type { Aggregate, Aggregator } from "../../../nodes/aggregate-window/aggregator";
import { validateReading } from "../../../nodes/shared/canonical-reading";
import { aggregator, byStart, HOUR, MIN, reading } from "./helpers";

const T0 = Date.parse("2026-06-01T00:00:00Z");

describe("aggregate-window: accumulators", () => {
  it("sum, mean, min, max, count, first, last over one window, whatever the arrival order", () => {
    const agg = aggregator({ window: "1h", aggregates: '{"a":"sum","b":"mean","c":"min","d":"max","e":"count","f":"first","g":"last"}' });
    const vals = [5, 1, 4, 2]; // at :00, :15, :30, :45
    const order = [2, 0, 3, 1];
    for (const i of order) {
      const v = vals[i];
      agg.add([reading("m1", T0 + i * 15 * MIN, { a: v, b: v, c: v, d: v, e: v, f: v, g: v })], T0);
    }
    const out = agg.flush();
    assert.equal(out.length, 1);
    const m = out[0].measurements;
    assert.deepEqual(
      ["a", "b", "c", "d", "e", "f", "g"].map((k) => m[k].value),
      [12, 3, 1, 5, 4, 5, 2],
    );
    assert.equal(m.f.stats.firstAt, "2026-06-01T00:00:00.000Z");
    assert.equal(m.g.stats.lastAt, "2026-06-01T00:45:00.000Z");
    assert.equal(m.e.unit, undefined, "a count has no unit");
    assert.equal(out[0].window.received, 4);
    assert.equal(out[0].window.expected, 4);
    assert.equal(out[0].quality, "GOOD");
    assert.ok(validateReading(out[0]).ok, "an aggregate is a canonical reading");
  });

  it("the schema checks an aggregate's window and stats: a broken window is refused as invalid, not merged", () => {
    const agg = aggregator({ window: "1h", aggregates: '{"*":"sum"}' });
    agg.add([reading("m1", T0, { x: 2 })], T0);
    const [a] = agg.flush();
    assert.ok(validateReading(a).ok);
    assert.equal(validateReading({ ...a, window: { ...a.window, revision: -1 } }).ok, false);
    assert.equal(validateReading({ ...a, measurements: { x: { ...a.measurements.x, stats: { count: 1.5, sum: 2 } } } }).ok, false);
    const daily = aggregator({ window: "1d", aggregates: '{"*":"sum"}' });
    const r = daily.add([{ ...a, window: { ...a.window, size: "2h" } }], T0);
    assert.deepEqual(r.rejected.map((x) => x.reason), ["invalid"]);
    assert.match(r.rejected[0].error, /\/window\/size must be one of "5m", "15m"/);
  });

  it("a duplicate (same device, same timestamp: a replay) is counted once", () => {
    const agg = aggregator({ window: "1h", aggregates: '{"*":"sum"}' });
    const r = reading("m1", T0, { x: 2 });
    agg.add([r, r, { ...r }], T0);
    const out = agg.flush();
    assert.equal(out[0].measurements.x.value, 2);
    assert.equal(agg.stats().duplicates, 2);
  });

  describe("delta", () => {
    // A register that grows 1 kWh per minute, read 7 minutes after each quarter hour: every boundary is interpolated.
    function feed(agg: Aggregator, from: number, to: number): Aggregate[] {
      const out: Aggregate[] = [];
      for (let t = from; t <= to; t += 15 * MIN) out.push(...agg.add([reading("m1", t, { energy: 1000 + (t - T0) / MIN })], t).aggregates);
      return out;
    }
    it("interpolates each boundary from the readings on either side: 15 kWh per 15 minutes, none lost or counted twice", () => {
      const agg = aggregator({ window: "15m", aggregates: '{"energy":"delta"}' });
      const out = feed(agg, T0 + 7 * MIN, T0 + 3 * HOUR + 7 * MIN);
      const closed = out.filter((a) => a.window.start >= "2026-06-01T00:15");
      assert.ok(closed.length >= 10);
      for (const a of closed) assert.equal(a.measurements.energy.value, 15, a.window.start);
      const s = closed[0].measurements.energy.stats;
      assert.deepEqual([s.startValue, s.endValue], [1015, 1030]);
      // the total over the windows is the register's interpolated change over their span
      const total = closed.reduce((x, a) => x + (a.measurements.energy.value as number), 0);
      assert.equal(total, (Date.parse(closed[closed.length - 1].window.end) - Date.parse(closed[0].window.start)) / MIN);
    });
    it("is exact when readings fall on the boundaries, and spans a gap: the missing windows carry their share", () => {
      const agg = aggregator({ window: "15m", aggregates: '{"energy":"delta"}' });
      const out: Aggregate[] = [];
      const at = (t: number, v: number) => out.push(...agg.add([reading("m1", t, { energy: v })], t).aggregates);
      at(T0, 100);
      at(T0 + 15 * MIN, 110);
      // outage: nothing for 45 minutes, then 160 at 01:00
      at(T0 + 60 * MIN, 160);
      at(T0 + 75 * MIN, 170);
      at(T0 + 90 * MIN, 180);
      const w = byStart(out);
      assert.deepEqual(
        ["00:00", "00:15", "00:30", "00:45", "01:00"].map((h) => +(w.get(`2026-06-01T${h}:00.000Z`)?.measurements.energy.value as number).toFixed(9)),
        [10, 16.666666667, 16.666666667, 16.666666667, 10],
      );
      assert.equal(w.get("2026-06-01T00:30:00.000Z")!.window.received, 0);
      assert.equal(w.get("2026-06-01T00:30:00.000Z")!.quality, "SUSPECT");
    });
  });

  it("a correction that moves a boundary's interpolation re-emits the neighbour too: the two deltas still meet", () => {
    const agg = aggregator({ window: "15m", latenessSeconds: 0, aggregates: '{"energy":"delta"}' });
    const at = (m: number, v: number) => agg.add([reading("m1", T0 + m * MIN, { energy: v })], T0).aggregates;
    const first = byStart([...at(5, 100), ...at(25, 120), ...at(35, 130), ...at(50, 145)]);
    assert.equal(first.get("2026-06-01T00:00:00.000Z")?.measurements.energy.stats.endValue, 110);
    assert.equal(first.get("2026-06-01T00:15:00.000Z")?.window.revision, 0);
    // a late reading at 00:16 (store-forward's replay) lands in the 00:15 window, next to the 00:15 boundary
    const fixed = at(16, 101);
    const a = fixed.find((x) => x.window.start === "2026-06-01T00:00:00.000Z");
    const b = fixed.find((x) => x.window.start === "2026-06-01T00:15:00.000Z");
    assert.ok(a && b, "both windows re-emitted");
    assert.deepEqual([a.window.revision, b.window.revision], [1, 1]);
    assert.equal(a.measurements.energy.stats.endValue, b.measurements.energy.stats.startValue);
    assert.equal(+(a.measurements.energy.stats.endValue as number).toFixed(6), +(100 + 1 * (10 / 11)).toFixed(6));
  });

  it("twa: the time-weighted average of the line through the points, interpolated to the window's edges", () => {
    const agg = aggregator({ window: "1h", intervalSeconds: 600, aggregates: '{"p":"twa","q":"mean"}' });
    // 0 at 00:00, 60 at 00:10, 60 at 01:00: the first 10 minutes average 30, the other 50 minutes 60
    for (const [m, v] of [[0, 0], [10, 60], [60, 60]] as const) agg.add([reading("m1", T0 + m * MIN, { p: v, q: v })], T0);
    const out = agg.flush();
    const w = byStart(out).get("2026-06-01T00:00:00.000Z")!;
    assert.equal(w.measurements.p.value, (10 * 30 + 50 * 60) / 60);
    assert.equal(w.measurements.q.value, 30);
    assert.equal(w.measurements.p.stats.duration, 3600);
  });

  describe("rollup merge: 15m → 1h → 1d → 1mo equals 1mo over the raw readings (Europe/Berlin, March 2026: 743 h)", () => {
    const zone = "Europe/Berlin";
    const fns = '{"energy":"delta","sum*":"sum","mean*":"mean","min*":"min","max*":"max","count*":"count","first*":"first","last*":"last","twa*":"twa"}';
    const from = Date.parse("2026-02-28T23:00:00Z") - 2 * HOUR;
    const to = Date.parse("2026-04-01T02:00:00Z");
    function readings() {
      const rs = [];
      let k = 0;
      for (let t = from + 37_000; t < to; t += 15 * MIN, k++) {
        // gaps: 3 h on 10 March, 20 min on 29 March across the spring change, and every 97th reading
        if ((t >= Date.parse("2026-03-10T05:00:00Z") && t < Date.parse("2026-03-10T08:00:00Z")) || (t >= Date.parse("2026-03-29T00:50:00Z") && t < Date.parse("2026-03-29T01:10:00Z")) || k % 97 === 5) continue;
        const v = ((k * 7) % 23) * 0.25; // binary-exact values, so sums are exact in any order
        rs.push(reading("m1", t, { energy: 5000 + k * 0.5 + (k % 3) * 0.25, sumA: v, meanA: v, minA: v, maxA: v, countA: v, firstA: v, lastA: v, twaA: v }));
      }
      return rs;
    }
    function march(out: Aggregate[]): Aggregate {
      const a = byStart(out).get("2026-02-28T23:00:00.000Z");
      assert.ok(a, "the March window was emitted");
      return a;
    }
    it("sums, counts, min, max, first, last, deltas and completeness are equal; twa to 1e-9", () => {
      const common = { zone, aggregates: fns, correctionHours: 48 };
      const direct = aggregator({ ...common, window: "1mo" });
      const chain = [aggregator({ ...common, window: "15m" }), aggregator({ ...common, window: "1h" }), aggregator({ ...common, window: "1d" }), aggregator({ ...common, window: "1mo" })];
      const directOut: Aggregate[] = [];
      const chainOut: Aggregate[] = [];
      const pipe = (level: number, items: unknown[], now: number) => {
        if (level === chain.length) return chainOut.push(...(items as Aggregate[]));
        const r = chain[level].add(items, now);
        assert.deepEqual(r.rejected, [], `level ${level} refuses nothing`);
        if (r.aggregates.length) pipe(level + 1, r.aggregates, now);
      };
      for (const r of readings()) {
        const now = Date.parse(r.timestamp);
        directOut.push(...direct.add([r], now).aggregates);
        pipe(0, [r], now);
      }
      directOut.push(...direct.flush());
      for (let level = 0; level < chain.length; level++) {
        const flushed = chain[level].flush();
        if (level + 1 < chain.length) pipe(level + 1, flushed, to);
        else chainOut.push(...flushed);
      }
      const d = march(directOut);
      const c = march(chainOut);
      assert.equal((Date.parse(d.window.end) - Date.parse(d.window.start)) / HOUR, 743);
      assert.equal(d.window.expected, 2972);
      const counts = (a: Aggregate) => ({ expected: a.window.expected, received: a.window.received, estimated: a.window.estimated, completeness: a.window.completeness, local: a.window.local });
      assert.deepEqual(counts(c), counts(d));
      assert.ok(d.window.received < 2972 && d.window.received > 2900, `received ${d.window.received}`);
      for (const name of Object.keys(d.measurements)) {
        const ds = { ...d.measurements[name].stats };
        const cs = { ...c.measurements[name].stats };
        if (name === "twaA") {
          assert.ok(Math.abs((c.measurements[name].value as number) - (d.measurements[name].value as number)) < 1e-9, name);
          assert.ok(Math.abs(cs.area! - ds.area!) < 1e-6 * Math.abs(ds.area!), `${name} area`);
          assert.equal(cs.duration, ds.duration, `${name} duration`);
          delete cs.area;
          delete ds.area;
        } else assert.equal(c.measurements[name].value, d.measurements[name].value, name);
        assert.deepEqual(cs, ds, `${name} stats`);
        assert.equal(c.measurements[name].quality, d.measurements[name].quality, `${name} quality`);
      }
      assert.equal(c.quality, d.quality);
    });
  });
});
