/**
 * The tariff model: ajv errors that name the field, decimals read exactly, unsupported URDB fields refused by name,
 * and the friendlier tiers + TOU form converted to the same model.
 */
import assert from "node:assert/strict";
import { describe, it } from "mocha";
import { ConfigError } from "../../../nodes/shared/errors";
import { parseTariff } from "../../../nodes/tariff-bill/tariff";
import { simpleToUrdb } from "../../../nodes/tariff-bill/simple";

const rows = (n: number, v = 0) => Array.from({ length: n }, () => new Array(24).fill(v));
function refused(doc: unknown, field: RegExp, text: RegExp): void {
  assert.throws(
    () => parseTariff(doc),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.field ?? "", field);
      assert.match(e.message, text);
      return true;
    },
  );
}

describe("tariff-bill tariff model", () => {
  it("a schedule that is not 12×24 is refused, naming the field", () => {
    refused({ energyratestructure: [[{ rate: 0.1 }]], energyweekdayschedule: rows(11) }, /energyweekdayschedule/, /\/energyweekdayschedule must NOT have fewer than 12 items/);
    const short = rows(12);
    short[3] = new Array(23).fill(0);
    refused({ energyratestructure: [[{ rate: 0.1 }]], energyweekdayschedule: short }, /energyweekdayschedule\/3/, /\/energyweekdayschedule\/3 must NOT have fewer than 24 items/);
  });
  it("a schedule naming a period the structure lacks is refused with month and hour", () => {
    const s = rows(12);
    s[6][15] = 2;
    refused({ energyratestructure: [[{ rate: 0.1 }], [{ rate: 0.2 }]], energyweekdayschedule: s, energyweekendschedule: rows(12) }, /^\/energyweekdayschedule\/6\/15$/, /is period 2, but the rate structure has only 2 periods/);
  });
  it("a rate that is not a decimal is refused, naming the tier", () => {
    refused({ energyratestructure: [[{ rate: "0,08" }]] }, /energyratestructure\/0\/0\/rate/, /\/energyratestructure\/0\/0\/rate/);
  });
  it("tiers must rise, and only the last may be unbounded", () => {
    refused({ energyratestructure: [[{ max: 500, rate: 0.1 }, { max: 400, rate: 0.2 }, { rate: 0.3 }]] }, /\/energyratestructure\/0\/1\/max/, /must be above the previous tier's max 500/);
    refused({ energyratestructure: [[{ rate: 0.1 }, { rate: 0.2 }]] }, /\/energyratestructure\/0\/0\/max/, /only the last tier is unbounded/);
  });
  it("URDB fields that would change the bill and are not computed are refused by name", () => {
    refused({ energyratestructure: [[{ rate: 0.1 }]], demandratchetpercentage: [0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8] }, /demandratchetpercentage/, /demand ratchets.*not supported/);
    refused({ energyratestructure: [[{ rate: 0.1, unit: "kWh/kW" }]] }, /unit/, /must be one of "kWh", "kWh daily"/);
  });
  it("extensions are checked: zone, currency, holidays, rounding", () => {
    refused({ energyratestructure: [[{ rate: 0.1 }]], timezone: "Mars/Olympus" }, /^\/timezone$/, /not an IANA time zone/);
    refused({ energyratestructure: [[{ rate: 0.1 }]], currency: "usd" }, /^\/currency$/, /must match/);
    refused({ energyratestructure: [[{ rate: 0.1 }]], holidays: ["2026-02-30"] }, /^\/holidays\/0$/, /not a real date/);
    refused({ energyratestructure: [[{ rate: 0.1 }]], rounding: { mode: "up" } }, /rounding\/mode/, /"up" must be one of "half-up", "half-even"/);
  });
  it("numbers and decimal strings mean the same decimal; rate + adj is the price; JPY has no minor digits", () => {
    const a = parseTariff({ energyratestructure: [[{ rate: 0.0475, adj: 0.01 }]] });
    const b = parseTariff({ energyratestructure: [[{ rate: "0.0475", adj: "0.01" }]], currency: "JPY" });
    assert.equal(a.energy[0][0].price.toString(), "0.0575");
    assert.equal(b.energy[0][0].price.toString(), "0.0575");
    assert.equal(a.digits, 2);
    assert.equal(b.digits, 0);
  });
  it("a URDB API answer { items: [rate] } is unwrapped; two rates are refused", () => {
    assert.equal(parseTariff({ items: [{ label: "x1", energyratestructure: [[{ rate: 0.1 }]] }] }).id, "x1");
    refused({ items: [{}, {}] }, /items/, /holds 2 rates/);
  });
  it("the friendly form: tiers + periods by hours and weekdays become 12×24 schedules", () => {
    const u = simpleToUrdb({
      tiers: [{ upTo: 100, rate: "0.08" }, { rate: "0.10" }],
      periods: [
        { name: "base", hours: "0-24" },
        { name: "peak", hours: "14-19", days: "weekdays", months: [6, 7, 8], multiplier: 1.5 },
      ],
    });
    const wd = u.energyweekdayschedule as number[][];
    const we = u.energyweekendschedule as number[][];
    assert.deepEqual([wd[6][13], wd[6][14], wd[6][18], wd[6][19], wd[0][15], we[6][15]], [0, 1, 1, 0, 0, 0]);
    assert.deepEqual((u.energyratestructure as unknown[][])[1], [{ max: 100, unit: "kWh", rate: "0.08", multiplier: 1.5 }, { unit: "kWh", rate: "0.10", multiplier: 1.5 }]);
    refused({ tiers: [{ rate: 0.1 }], periods: [{ name: "day", hours: "6-22" }] }, /^\/periods$/, /hour 0:00 on weekdays in month 1 is in no period/);
  });
});
