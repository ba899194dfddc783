// Issue 10's flow test: meter readings → aggregate-window (hourly) → tariff-bill gives the same bill as the engine
// on the raw 15-minute intervals, to the cent; a late reading that aggregate-window re-emits as revision + 1 replaces
// its hour (the bill counts it once), and the older revision sent again is refused. March 2026 in America/New_York
// holds the spring-forward day (tzdata Rule US: second Sunday of March, 2:00 → 3:00, so 8 March has 23 hours).
// No test asserts a duration.
import { after, afterEach, before, describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { capture, catchAndComplete, core, getNode, init, load, unload, waitFor, type Msg } from "../../helpers/node-red";
import { computeBill, type Bill } from "../../../nodes/tariff-bill/engine";
import { dec } from "../../../nodes/tariff-bill/money";
import { parseTariff } from "../../../nodes/tariff-bill/tariff";
import awModule = require("../../../nodes/aggregate-window/aggregate-window");
import tbModule = require("../../../nodes/tariff-bill/tariff-bill");

const NODES = [awModule as never, tbModule as never, core.catch, core.complete];
const Q = 900_000;
const ZONE = "America/New_York";
const MARCH = { start: Date.parse("2026-03-01T05:00:00Z"), end: Date.parse("2026-04-01T04:00:00Z") }; // EST → EDT

/** A URDB (v7) TOU rate: 3 periods × 4 cumulative tiers, weekday/weekend schedules, $/day fixed charge, a tax. */
function touTariff(): Record<string, unknown> {
  const weekday = Array.from({ length: 24 }, (_, h) => (h >= 14 && h < 19 ? 2 : h >= 6 && h < 22 ? 1 : 0));
  const weekend = Array.from({ length: 24 }, (_, h) => (h >= 14 && h < 19 ? 1 : 0));
  const tiers = (base: number) => [
    { max: 200, unit: "kWh", rate: (base).toFixed(4) },
    { max: 500, unit: "kWh", rate: (base + 0.02).toFixed(4) },
    { max: 800, unit: "kWh", rate: (base + 0.04).toFixed(4) },
    { unit: "kWh", rate: (base + 0.07).toFixed(4) },
  ];
  return {
    label: "chain-tou-3x4",
    timezone: ZONE,
    energyratestructure: [tiers(0.0625), tiers(0.0975), tiers(0.1575)],
    energyweekdayschedule: Array.from({ length: 12 }, () => weekday),
    energyweekendschedule: Array.from({ length: 12 }, () => weekend),
    fixedchargefirstmeter: "0.35",
    fixedchargeunits: "$/day",
    taxes: [{ code: "tax", description: "Sales tax", rate: "0.0725", on: "subtotal" }],
  };
}

/** A 15-minute consumption reading (kWh used in [timestamp, timestamp + 15 min)). */
function reading(deviceId: string, ms: number, kwh: number): Msg {
  return { deviceId, timestamp: new Date(ms).toISOString(), measurements: { energy: { value: kwh, unit: "kWh" } }, quality: "GOOD", meta: { customerId: `c-${deviceId}` } };
}
const kwhAt = (k: number) => Number((0.05 + ((k * 7) % 13) * 0.037 + (k % 5) * 0.011).toFixed(3));

/** Every aggregate in the captured messages (payloads may be arrays). */
const aggregatesOf = (msgs: Msg[]): Msg[] => msgs.flatMap((m) => (Array.isArray(m.payload) ? m.payload : [m.payload]));

describe("meter readings → aggregate-window (hourly) → tariff-bill", () => {
  let dir = "";
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-tariff-chain-"));
    init({ userDir: dir });
  });
  after(() => {
    init();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => unload());

  const flow = (): Msg[] => [
    { id: "tab", type: "tab" },
    // 15-minute consumption summed per local hour; no wall-clock close (the test's data is in the past)
    { id: "aw", z: "tab", type: "aggregate-window", window: "1h", zone: ZONE, aggregates: '{"energy":"sum"}', intervalSeconds: "900", latenessSeconds: "300", idleCloseSeconds: "0", correctionHours: "48", emit: "revisions", stateDir: fs.mkdtempSync(path.join(dir, "aw-")), wires: [["tb", "aggs"], ["aw-rejects"]] },
    { id: "tb", z: "tab", type: "tariff-bill", tariff: JSON.stringify(touTariff()), period: "month", closeBy: "reading", latenessSeconds: "3600", intervalSeconds: "900", dir: fs.mkdtempSync(path.join(dir, "tb-")), wires: [["bills"], ["rejects"]] },
    { id: "aggs", z: "tab", type: "helper", wires: [] },
    { id: "aw-rejects", z: "tab", type: "helper", wires: [] },
    { id: "bills", z: "tab", type: "helper", wires: [] },
    { id: "rejects", z: "tab", type: "helper", wires: [] },
    ...catchAndComplete("aw"),
    ...catchAndComplete("tb"),
  ];
  const ids = ["aggs", "aw-rejects", "bills", "rejects", "aw-caught", "aw-done", "tb-caught", "tb-done"];

  it("the March bill (spring-forward day included) equals the engine's on the raw intervals, a revised hour counted once", async () => {
    const seen = capture(ids);
    const handled = (id: string) => seen[`${id}-done`].length + seen[`${id}-caught`].length;
    /** Send to aggregate-window, then wait until tariff-bill has handled everything aggregate-window sent. */
    async function send(msgs: Msg[]): Promise<void> {
      const before = handled("aw");
      for (const m of msgs) getNode("aw").receive(m);
      await waitFor(() => handled("aw") >= before + msgs.length, "aggregate-window done");
      await waitFor(() => handled("tb") >= seen.aggs.length, "tariff-bill done", 20_000, () => ({ tb: handled("tb"), aggs: seen.aggs.length }));
    }
    try {
      await load(NODES, flow());
      const n = (MARCH.end - MARCH.start) / Q;
      assert.equal(n, 31 * 96 - 4, "8 March has 23 hours");
      const raw = Array.from({ length: n }, (_, k) => reading("m1", MARCH.start + k * Q, kwhAt(k)));
      // one reading of 10 March, 15:15 EDT (on-peak), arrives late: its hour is emitted with 3 of 4 readings first
      const late = raw.findIndex((r) => r.timestamp === "2026-03-10T19:15:00.000Z");
      assert.ok(late > 0);
      const lateHour = "2026-03-10T19:00:00.000Z";
      await send(raw.slice(0, late + 40).filter((_, k) => k !== late).map((r) => ({ payload: r })));
      const firstEmits = aggregatesOf(seen.aggs).filter((a) => a.window.start === lateHour);
      assert.equal(firstEmits.length, 1, "the hour is emitted once, closed without the late reading");
      assert.equal(firstEmits[0].window.received, 3);
      const rev0 = firstEmits[0].window.revision;

      await send([{ payload: raw[late] }]);
      const revised = aggregatesOf(seen.aggs).filter((a) => a.window.start === lateHour);
      assert.equal(revised.length, 2, "the late reading re-emits its hour");
      assert.equal(revised[1].window.revision, rev0 + 1);
      assert.equal(revised[1].window.received, 4);
      // the older revision, sent again straight to tariff-bill, is refused and does not replace the newer one
      const beforeTb = handled("tb");
      getNode("tb").receive({ payload: firstEmits[0] });
      await waitFor(() => handled("tb") > beforeTb, "tariff-bill done with the old revision");
      assert.equal(seen.rejects.length, 1);
      assert.match(seen.rejects[0].reason, new RegExp(`revision ${rev0} is older than revision ${rev0 + 1}`));

      // the rest of March as arrays (store-forward batches), then April's first hours close March by the data
      const rest = raw.slice(late + 40);
      for (let i = 0; i < rest.length; i += 250) await send([{ payload: rest.slice(i, i + 250) }]);
      assert.equal(seen.bills.length, 0, "March stays open until tariff-bill sees April's data");
      await send(Array.from({ length: 16 }, (_, k) => ({ payload: reading("m1", MARCH.end + k * Q, 0.5) })));
      await waitFor(() => seen.bills.length === 1, "March's bill");

      assert.equal(seen["aw-caught"].length + seen["tb-caught"].length, 0, "nothing reached Catch");
      assert.equal(seen["aw-rejects"].length, 0);
      assert.equal(seen.rejects.length, 1, "only the older revision was refused");
      const bill = seen.bills[0].payload as Bill;
      const ivs = raw.map((r) => ({ start: Date.parse(r.timestamp), end: Date.parse(r.timestamp) + Q, kwh: dec(r.measurements.energy.value), quality: "GOOD" as const }));
      const engine = computeBill(parseTariff(touTariff()), MARCH, ivs, { deviceId: "m1", customerId: "c-m1", final: true });
      // every amount, to the cent, and every line
      assert.deepEqual(
        bill.lines.map((l) => [l.kind, l.code, l.amount]),
        engine.lines.map((l) => [l.kind, l.code, l.amount]),
      );
      assert.deepEqual([bill.subtotal, bill.taxes, bill.total], [engine.subtotal, engine.taxes, engine.total]);
      // and the rest of the bill, but for the number of intervals (743 hours, not 2,972 quarter hours) and the kWh
      // totals' last digits: aggregate-window sums an hour in binary floating point (0.1 + 0.2 prints
      // 0.30000000000000004), and tariff-bill takes each hourly number as the decimal it prints, so the month's kWh
      // total carries that noise beyond the 6th decimal (873.439000000000004). The line quantities show 6 decimals.
      const kwh6 = (b: Bill) => ({ total: dec(b.energy.total).round(6).toString(), byPeriod: b.energy.byPeriod.map((p) => ({ ...p, kWh: dec(p.kWh).round(6).toString() })) });
      assert.deepEqual(kwh6(bill), kwh6(engine));
      assert.equal(bill.intervals, n / 4);
      assert.equal(engine.intervals, n);
      assert.deepEqual({ ...bill, intervals: 0, energy: null }, { ...engine, intervals: 0, energy: null });
      assert.equal(bill.period.days, "31");
      assert.equal(bill.completeness, 1);
      assert.equal(bill.quality, "GOOD", "the revised hour (4 of 4 readings) replaced the incomplete one (SUSPECT)");
      assert.ok(bill.lines.filter((l) => l.kind === "energy").length >= 6, "energy lines over several periods and tiers");
    } finally {
      seen.dispose();
    }
  });

  it("a cumulative register through aggregate-window's default delta bills as the engine on the raw intervals, kWh and all", async () => {
    // Register increments that binary floating point holds exactly (quarters of a kWh): the hourly deltas carry no
    // rounding noise, so the whole bill, the kWh totals included, equals the engine's.
    const seen = capture(ids);
    const handled = (id: string) => seen[`${id}-done`].length + seen[`${id}-caught`].length;
    try {
      const f = flow().map((n) => (n.id === "aw" ? { ...n, aggregates: '{"energy*":"delta","*":"mean"}' } : n.id === "tb" ? { ...n, measurement: "energyImport" } : n));
      await load(NODES, f);
      const n = (MARCH.end - MARCH.start) / Q;
      const inc = (k: number) => 0.25 + ((k * 7) % 13) * 0.25;
      const register: number[] = [1000];
      for (let k = 0; k < n + 16; k++) register.push(register[k] + inc(k));
      const msgs = register.map((v, k) => ({ payload: { deviceId: "m2", timestamp: new Date(MARCH.start + k * Q).toISOString(), measurements: { energyImport: { value: v, unit: "kWh" } }, quality: "GOOD", meta: { customerId: "c-m2" } } }));
      for (let i = 0; i < msgs.length; i += 200) {
        const before = handled("aw");
        const part = msgs.slice(i, i + 200);
        for (const m of part) getNode("aw").receive(m);
        await waitFor(() => handled("aw") >= before + part.length, "aggregate-window done");
      }
      await waitFor(() => seen.bills.length === 1, "March's bill", 20_000, () => ({ tb: handled("tb"), aggs: seen.aggs.length }));
      assert.equal(seen["aw-caught"].length + seen["tb-caught"].length + seen.rejects.length + seen["aw-rejects"].length, 0);
      const ivs = Array.from({ length: n }, (_, k) => ({ start: MARCH.start + k * Q, end: MARCH.start + (k + 1) * Q, kwh: dec(inc(k)), quality: "GOOD" as const }));
      const engine = computeBill(parseTariff(touTariff()), MARCH, ivs, { deviceId: "m2", customerId: "c-m2", final: true });
      const bill = seen.bills[0].payload as Bill;
      assert.equal(bill.intervals, n / 4);
      assert.deepEqual({ ...bill, intervals: 0 }, { ...engine, intervals: 0 });
    } finally {
      seen.dispose();
    }
  });
});
