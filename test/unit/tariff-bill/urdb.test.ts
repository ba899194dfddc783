/**
 * URDB import: real rate documents (test/fixtures/urdb, sources in its NOTES.md) billed to the cent. Expected
 * figures are worked by hand from each document's own rate + adj values.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "mocha";
import { computeBill, type Interval } from "../../../nodes/tariff-bill/engine";
import { dec } from "../../../nodes/tariff-bill/money";
import { parseTariff } from "../../../nodes/tariff-bill/tariff";

const FIX = path.join(__dirname, "../../fixtures/urdb");
const read = (f: string) => fs.readFileSync(path.join(FIX, f), "utf8");
const ms = (iso: string) => Date.parse(iso);
const q = (iso: string, kwh: number, minutes = 15): Interval => ({ start: ms(iso), end: ms(iso) + minutes * 60_000, kwh: dec(kwh), quality: "GOOD" });
const lines = (b: ReturnType<typeof computeBill>) => b.lines.map((l) => `${l.code}:${l.quantity}×${l.rate}=${l.amount}`);
const opts = { deviceId: "m1", final: true };

describe("tariff-bill URDB import (real rates)", () => {
  it("FPL GSLDT-1 (URDB 6776f98328a262f68a0081be), a July weekday in America/New_York: TOU energy and TOU demand", () => {
    const t = parseTariff(read("fpl-gsldt-1.json"), { timezone: "America/New_York" });
    assert.equal(t.id, "6776f98328a262f68a0081be");
    const july = { start: ms("2026-07-01T04:00:00Z"), end: ms("2026-08-01T04:00:00Z") };
    // 15:00Z is 11:00 EDT: off-peak (read as UTC it would be hour 15, on-peak); 16:00Z is 12:00 EDT: on-peak (12–21).
    const b = computeBill(t, july, [q("2026-07-15T16:00:00Z", 25), q("2026-07-15T15:00:00Z", 10)], opts);
    assert.deepEqual(lines(b), [
      "fixed:1×88.67=88.67",
      "energy-p0-t1:10×0.04802=0.48", // 0.01413 + 0.03389 adj
      "energy-p1-t1:25×0.07159=1.79", // 0.03254 + 0.03905 adj; 1.78975 half-up
      "demand-tou-p0-t1:40×2.85=114.00", // 0.79 + 2.06 adj, 10 kWh in 15 min = 40 kW
      "demand-tou-p1-t1:100×14.87=1487.00", // 12.81 + 2.06 adj, 25 kWh in 15 min = 100 kW
    ]);
    assert.equal(b.total, "1691.94");
  });

  it("FPL GSLD-1 (URDB 6776fc805a742cce3901ecd8): flat energy, flat demand, and its $6,833.67/month minimum", () => {
    const t = parseTariff(read("fpl-gsld-1.json"), { timezone: "America/New_York" });
    const june = { start: ms("2026-06-01T04:00:00Z"), end: ms("2026-07-01T04:00:00Z") };
    // 30 days of 15-minute intervals at a steady 40 kW: 10 kWh each, 28,800 kWh.
    const ivs = Array.from({ length: 30 * 96 }, (_, k) => q(new Date(june.start + k * 900_000).toISOString(), 10));
    const b = computeBill(t, june, ivs, opts);
    assert.deepEqual(lines(b), [
      "fixed:1×88.67=88.67",
      "energy-p0-t1:28800×0.05502=1584.58", // 1584.576
      "demand-flat-p0-t1:40×15.65=626.00", // 13.59 + 2.06 adj
      "minimum:1×4534.42=4534.42", // 6833.67 − 2299.25
    ]);
    assert.equal(b.total, "6833.67");
    assert.equal(b.completeness, 1);
  });

  it("REopt.jl's multi-tier URDB response: June energy period 1, kW-tiered demand, $3.298/day fixed", () => {
    const t = parseTariff(read("reopt-multi-tier.json"), { timezone: "UTC" });
    const june = { start: ms("2026-06-01T00:00:00Z"), end: ms("2026-07-01T00:00:00Z") };
    const ivs = Array.from({ length: 10 }, (_, h) => q(new Date(ms("2026-06-10T08:00:00Z") + h * 3_600_000).toISOString(), 150, 60));
    const b = computeBill(t, june, ivs, opts);
    assert.deepEqual(lines(b), [
      "fixed:30×3.298=98.94",
      "energy-p1-t1:1500×0.078891=118.34", // 118.3365
      "demand-tou-p1-t1:100×24.368=2436.80",
      "demand-tou-p1-t2:50×17.031=851.55",
    ]);
    assert.equal(b.total, "3505.63");
  });
});
