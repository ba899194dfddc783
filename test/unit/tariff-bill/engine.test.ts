/**
 * tariff-bill's engine, each case to the cent, each citing its source. The seeds are the two domain documents in
 * /work/shared/seeds (000_… "Billing Integration", 002_… "M2M Data Flow from Meter to Bill" and the TOU table);
 * the Seymour and Otter Tail figures are the published examples quoted by issue 10.
 */
import assert from "node:assert/strict";
import { describe, it } from "mocha";
import { computeBill, type Interval } from "../../../nodes/tariff-bill/engine";
import { dec } from "../../../nodes/tariff-bill/money";
import { parseTariff } from "../../../nodes/tariff-bill/tariff";

const H = 3_600_000;
const ms = (iso: string) => Date.parse(iso);
const iv = (startIso: string, kwh: number | string, hours = 1, extra: Partial<Interval> = {}): Interval => {
  const start = ms(startIso);
  return { start, end: start + hours * H, kwh: dec(kwh), quality: "GOOD", ...extra };
};
const JAN = { start: ms("2026-01-01T00:00:00Z"), end: ms("2026-02-01T00:00:00Z") };
const opts = { deviceId: "m1", final: true };
const flat = (rows: number[][] = Array.from({ length: 12 }, () => new Array(24).fill(0))) => rows;
const amounts = (b: ReturnType<typeof computeBill>) => b.lines.map((l) => `${l.kind}:${l.code}:${l.quantity}×${l.rate}=${l.amount}`);

describe("tariff-bill engine", () => {
  it("seeds 000 Billing Integration: 1,200 kWh → (500 × $0.08) + (500 × $0.12) + (200 × $0.18) = $136", () => {
    const t = parseTariff({ timezone: "UTC", energyratestructure: [[{ max: 500, rate: 0.08 }, { max: 1000, rate: 0.12 }, { rate: 0.18 }]] });
    // 1,200 kWh in thirty 40-kWh days
    const days = Array.from({ length: 30 }, (_, d) => iv(new Date(JAN.start + d * 24 * H).toISOString(), 40, 24));
    const b = computeBill(t, JAN, days, opts);
    assert.deepEqual(amounts(b), ["energy:energy-p0-t1:500×0.08=40.00", "energy:energy-p0-t2:500×0.12=60.00", "energy:energy-p0-t3:200×0.18=36.00"]);
    assert.equal(b.total, "136.00");
    assert.equal(b.energy.total, "1200");
  });

  it("seeds 002 M2M Data Flow: 450.5 kWh → (100 × 0.10) + (300 × 0.12) + (50.5 × 0.15) = $53.58", () => {
    const t = parseTariff({ energyratestructure: [[{ max: 100, rate: "0.10" }, { max: 400, rate: "0.12" }, { rate: "0.15" }]] });
    const b = computeBill(t, JAN, [iv("2026-01-01T00:00:00Z", 450.5, 24 * 31)], opts);
    assert.deepEqual(amounts(b), ["energy:energy-p0-t1:100×0.1=10.00", "energy:energy-p0-t2:300×0.12=36.00", "energy:energy-p0-t3:50.5×0.15=7.58"]);
    assert.equal(b.total, "53.58");
  });

  it("50.5 × 0.15 is 7.575 → 7.58 half-up (Math.round(50.5 * 0.15 * 100) / 100 gives 7.57; issue 10)", () => {
    assert.equal(Math.round(50.5 * 0.15 * 100) / 100, 7.57);
    const t = parseTariff({ energyratestructure: [[{ rate: 0.15 }]] });
    assert.equal(computeBill(t, JAN, [iv("2026-01-05T00:00:00Z", 50.5)], opts).total, "7.58");
  });

  it("seeds 002 TOU table: tiers 100/300/500 with off-peak 10 PM–6 AM 0.8×, mid 1.0×, on-peak 2–7 PM 1.5×", () => {
    const t = parseTariff({
      timezone: "UTC",
      tiers: [{ upTo: 100, rate: "0.08" }, { upTo: 300, rate: "0.10" }, { upTo: 500, rate: "0.12" }, { rate: "0.15" }],
      periods: [
        { name: "off-peak", hours: "22-6", multiplier: "0.8" },
        { name: "mid-peak", hours: "6-14,19-22", multiplier: "1.0" },
        { name: "on-peak", hours: "14-19", multiplier: "1.5" },
      ],
    });
    // 50 kWh at 02:00 (off-peak, tier 1), then 100 kWh at 15:00 (on-peak: 50 in tier 1, 50 in tier 2)
    const b = computeBill(t, JAN, [iv("2026-01-05T15:00:00Z", 100), iv("2026-01-05T02:00:00Z", 50)], opts);
    assert.deepEqual(amounts(b), [
      "energy:energy-p0-t1:50×0.064=3.20",
      "energy:energy-p2-t1:50×0.12=6.00",
      "energy:energy-p2-t2:50×0.15=7.50",
    ]);
    assert.equal(b.total, "16.70");
    assert.deepEqual(b.energy.byPeriod.map((p) => `${p.label}=${p.kWh}`), ["off-peak=50", "mid-peak=0", "on-peak=100"]);
    // The seeds' clock-drift story: a 3 PM reading stamped 12 PM is mid-peak (1.0×), the real one on-peak (1.5×).
    const at = (isoT: string) => computeBill(t, JAN, [iv(isoT, 10)], opts).total;
    assert.equal(at("2026-01-05T15:00:00Z"), "1.20");
    assert.equal(at("2026-01-05T12:00:00Z"), "0.80");
  });

  describe("a URDB TOU rate over DST in America/New_York (peak 15:00–19:00 local on weekdays)", () => {
    const peakRow = Array.from({ length: 24 }, (_, h) => (h >= 15 && h < 19 ? 1 : 0));
    const t = parseTariff({
      timezone: "America/New_York",
      energyratestructure: [[{ rate: 0.1, unit: "kWh" }], [{ rate: 0.3, unit: "kWh" }]],
      energyweekdayschedule: Array.from({ length: 12 }, () => peakRow),
      energyweekendschedule: flat(),
      holidays: ["2026-07-03"],
    });
    const june = { start: ms("2026-06-01T04:00:00Z"), end: ms("2026-07-01T04:00:00Z") };
    const bill = (isoT: string, p = june) => computeBill(t, p, [iv(isoT, 1)], opts);
    it("19:00Z on Wednesday 2026-06-10 is 15:00 EDT (UTC-4, tzdata US rule: second Sunday of March): on-peak", () => {
      assert.equal(bill("2026-06-10T19:00:00Z").lines[0].code, "energy-p1-t1");
      assert.equal(bill("2026-06-10T19:00:00Z").total, "0.30");
    });
    it("18:00Z the same day is 14:00 EDT: off-peak (a fixed UTC-5 would say 13:00, plain UTC 18:00 on-peak)", () => {
      assert.equal(bill("2026-06-10T18:00:00Z").total, "0.10");
    });
    it("in January (EST, UTC-5) 19:00Z is 14:00: off-peak; 20:00Z is 15:00: on-peak", () => {
      assert.equal(bill("2026-01-14T19:00:00Z", JAN).total, "0.10");
      assert.equal(bill("2026-01-14T20:00:00Z", JAN).total, "0.30");
    });
    it("a holiday uses the weekend schedule: Friday 2026-07-03 (Independence Day observed, 5 U.S.C. 6103) at 15:00 EDT is off-peak", () => {
      const july = { start: ms("2026-07-01T04:00:00Z"), end: ms("2026-08-01T04:00:00Z") };
      assert.equal(bill("2026-07-03T19:00:00Z", july).total, "0.10");
      assert.equal(bill("2026-07-02T19:00:00Z", july).total, "0.30");
    });
    it("an interval spanning the peak's start is split by time: 14:30–15:30 EDT is half off-peak, half on-peak", () => {
      const b = computeBill(t, june, [{ start: ms("2026-06-10T18:30:00Z"), end: ms("2026-06-10T19:30:00Z"), kwh: dec(2), quality: "GOOD" }], opts);
      assert.deepEqual(amounts(b), ["energy:energy-p0-t1:1×0.1=0.10", "energy:energy-p1-t1:1×0.3=0.30"]);
    });
  });

  it("an interval straddling a tier boundary is split between the two tiers (ssc#535 put it in one)", () => {
    const t = parseTariff({ energyratestructure: [[{ max: 100, rate: 0.1 }, { rate: 0.2 }]] });
    const b = computeBill(t, JAN, [iv("2026-01-02T00:00:00Z", 90), iv("2026-01-02T01:00:00Z", 20)], opts);
    assert.deepEqual(amounts(b), ["energy:energy-p0-t1:100×0.1=10.00", "energy:energy-p0-t2:10×0.2=2.00"]);
  });

  it("daily tiers × the billing period's 29 days, not the calendar month's 31 (REopt.jl#538)", () => {
    // 10 kWh/day for 29 days = 290 kWh in tier 1; a 31-day month would allow 310 and bill all 300 kWh at tier 1.
    const t = parseTariff({ timezone: "America/New_York", energyratestructure: [[{ max: 10, unit: "kWh daily", rate: 0.1 }, { unit: "kWh daily", rate: 0.2 }]] });
    const period = { start: ms("2026-03-01T05:00:00Z"), end: ms("2026-03-30T04:00:00Z") }; // 29 local days across the DST change of 8 March
    const b = computeBill(t, period, [iv("2026-03-02T00:00:00Z", 300)], opts);
    assert.equal(b.period.days, "29");
    assert.deepEqual(amounts(b), ["energy:energy-p0-t1:290×0.1=29.00", "energy:energy-p0-t2:10×0.2=2.00"]);
    assert.equal(b.total, "31.00");
  });

  it("$/day fixed charge × billing days: REopt.jl's URDB fixture charges $3.298/day; 31 days → $102.24 (102.238)", () => {
    const t = parseTariff({ energyratestructure: [[{ rate: 0 }]], fixedchargefirstmeter: 3.298, fixedchargeunits: "$/day" });
    const b = computeBill(t, JAN, [], opts);
    assert.deepEqual(amounts(b), ["fixed:fixed:31×3.298=102.24"]);
  });

  it("prorate days: Otter Tail's $9.75/month × 29 ÷ 30.4167 = $9.30; prorate none charges $9.75 once", () => {
    const base = { energyratestructure: [[{ rate: 0 }]], fixedchargefirstmeter: "9.75", fixedchargeunits: "$/month" };
    const p29 = { start: ms("2026-02-01T00:00:00Z"), end: ms("2026-03-02T00:00:00Z") };
    assert.equal(computeBill(parseTariff({ ...base, prorate: "days" }), p29, [], opts).total, "9.30");
    assert.equal(computeBill(parseTariff(base), p29, [], opts).total, "9.75");
  });

  it("a minimum charge tops the bill up: $0.50 of energy under a $10.00/month minimum → a $9.50 minimum line", () => {
    const t = parseTariff({ energyratestructure: [[{ rate: 0.1 }]], mincharge: 10, minchargeunits: "$/month" });
    const b = computeBill(t, JAN, [iv("2026-01-03T00:00:00Z", 5)], opts);
    assert.deepEqual(amounts(b), ["energy:energy-p0-t1:5×0.1=0.50", "minimum:minimum:1×9.5=9.50"]);
    assert.equal(b.total, "10.00");
    assert.equal(computeBill(t, JAN, [iv("2026-01-03T00:00:00Z", 200)], opts).lines.some((l) => l.kind === "minimum"), false);
  });

  it("half-up against half-even: Seymour, Texas 550 × $0.0475 = 26.125 → 26.13 half-up, 26.12 half-even", () => {
    const rate = (mode: string) => parseTariff({ energyratestructure: [[{ rate: "0.0475" }]], rounding: { mode } });
    assert.equal(computeBill(rate("half-up"), JAN, [iv("2026-01-03T00:00:00Z", 550)], opts).total, "26.13");
    assert.equal(computeBill(rate("half-even"), JAN, [iv("2026-01-03T00:00:00Z", 550)], opts).total, "26.12");
  });

  it("rounding per line against per total: three lines of 0.005 → 0.03 per line, 0.02 on the total", () => {
    const doc = {
      timezone: "UTC",
      energyratestructure: [[{ rate: "0.001" }], [{ rate: "0.001" }], [{ rate: "0.001" }]],
      energyweekdayschedule: Array.from({ length: 12 }, () => Array.from({ length: 24 }, (_, h) => h % 3)),
      energyweekendschedule: Array.from({ length: 12 }, () => Array.from({ length: 24 }, (_, h) => h % 3)),
    };
    const ivs = [iv("2026-01-05T00:00:00Z", 5), iv("2026-01-05T01:00:00Z", 5), iv("2026-01-05T02:00:00Z", 5)];
    assert.equal(computeBill(parseTariff(doc), JAN, ivs, opts).total, "0.03");
    const perTotal = computeBill(parseTariff({ ...doc, rounding: { per: "total" } }), JAN, ivs, opts);
    assert.equal(perTotal.total, "0.02");
    assert.deepEqual(perTotal.lines.map((l) => l.exact), ["0.005", "0.005", "0.005"]);
  });

  it("consumption numbers are the decimals they print: thirty readings of 15.01 kWh add up to 450.3 exactly", () => {
    let f = 0;
    for (let i = 0; i < 30; i++) f += 15.01;
    assert.notEqual(f, 450.3); // binary floating point drifts
    const t = parseTariff({ energyratestructure: [[{ rate: 1 }]] });
    const b = computeBill(t, JAN, Array.from({ length: 30 }, (_, d) => iv(new Date(JAN.start + d * 24 * H).toISOString(), 15.01, 24)), opts);
    assert.equal(b.energy.total, "450.3");
    assert.equal(b.total, "450.30");
  });

  it("adders, monthly fuel adjustments and taxes each get their own line; taxes apply to the subtotal", () => {
    const t = parseTariff({
      energyratestructure: [[{ rate: "0.10", adj: "0.02" }]],
      fueladjustmentsmonthly: ["0.005", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      adders: [{ code: "pca", description: "Power cost adjustment", rate: "0.003" }],
      taxes: [{ code: "state", description: "State sales tax", rate: "0.0625", on: "subtotal" }],
      fixedchargefirstmeter: 12,
    });
    const b = computeBill(t, JAN, [iv("2026-01-03T00:00:00Z", 1000)], opts);
    assert.deepEqual(amounts(b), [
      "fixed:fixed:1×12=12.00",
      "energy:energy-p0-t1:1000×0.12=120.00",
      "adder:fuel-1:1000×0.005=5.00",
      "adder:pca:1000×0.003=3.00",
      "tax:state:140.00×0.0625=8.75",
    ]);
    assert.deepEqual([b.subtotal, b.taxes, b.total], ["140.00", "8.75", "148.75"]);
  });

  it("demand: flat by month and TOU, the maximum kW at the interval's resolution, from energy ÷ hours or a kW reading", () => {
    const peakRow = Array.from({ length: 24 }, (_, h) => (h >= 12 && h < 18 ? 1 : 0));
    const t = parseTariff({
      timezone: "UTC",
      energyratestructure: [[{ rate: 0 }]],
      flatdemandstructure: [[{ rate: 5 }]],
      flatdemandmonths: new Array(12).fill(0),
      demandratestructure: [[{ rate: 0 }], [{ rate: 10, max: 20 }, { rate: 8 }]],
      demandweekdayschedule: Array.from({ length: 12 }, () => peakRow),
      demandweekendschedule: flat(),
    });
    const q = 0.25;
    const b = computeBill(t, JAN, [iv("2026-01-05T03:00:00Z", 2, q), iv("2026-01-05T13:00:00Z", 6.25, q), iv("2026-01-05T14:00:00Z", 1, q, { kw: dec(12) })], opts);
    // 6.25 kWh in 15 min = 25 kW: flat 25 × 5 = 125; TOU peak 25 kW → 20 × 10 + 5 × 8 = 240; off-peak 8 kW × 0
    assert.deepEqual(amounts(b).filter((l) => l.startsWith("demand")), [
      "demand:demand-flat-p0-t1:25×5=125.00",
      "demand:demand-tou-p0-t1:8×0=0.00",
      "demand:demand-tou-p1-t1:20×10=200.00",
      "demand:demand-tou-p1-t2:5×8=40.00",
    ]);
    assert.equal(b.total, "365.00");
  });

  it("completeness is the received share of the period; quality the worst input", () => {
    const t = parseTariff({ energyratestructure: [[{ rate: 0.1 }]] });
    const day = { start: ms("2026-01-05T00:00:00Z"), end: ms("2026-01-06T00:00:00Z") };
    const b = computeBill(t, day, [iv("2026-01-05T00:00:00Z", 1, 6), iv("2026-01-05T06:00:00Z", 1, 6, { quality: "ESTIMATED" })], opts);
    assert.equal(b.completeness, 0.5);
    assert.equal(b.quality, "ESTIMATED");
  });
});
