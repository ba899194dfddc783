/**
 * The friendlier form of the seeds' structure: tiers, plus TOU periods given by hours and weekdays with either
 * their own rates or a multiplier; converted to the URDB model (energyratestructure + 12×24 schedules), which the
 * user can see as JSON. Everything else in the document (fixed charges, timezone, taxes...) passes through.
 *
 * {
 *   "tiers": [{ "upTo": 100, "rate": "0.08" }, { "upTo": 300, "rate": "0.10" }, { "rate": "0.15" }],
 *   "periods": [
 *     { "name": "off-peak", "hours": "22-6", "multiplier": "0.8" },
 *     { "name": "mid-peak", "hours": "6-14,19-22" },
 *     { "name": "on-peak", "hours": "14-19", "days": "weekdays", "months": [6,7,8], "multiplier": "1.5" }
 *   ]
 * }
 *
 * A period's `days` is all (default), weekdays or weekends (holidays count as weekends); `months` 1-12 (default
 * all). Where periods overlap the later one wins; an hour that no period covers is refused, naming it.
 */
import { ConfigError } from "../shared/errors";
import { isRec } from "../shared/util";
import { isDecimal } from "./money";

type Raw = Record<string, unknown>;

function hoursOf(spec: unknown, where: string): boolean[] {
  const on = new Array<boolean>(24).fill(false);
  const text = Array.isArray(spec) ? spec.join(",") : String(spec ?? "0-24");
  for (const part of text.split(",")) {
    const m = /^\s*(\d{1,2})\s*-\s*(\d{1,2})\s*$/.exec(part);
    if (!m || Number(m[1]) > 23 || Number(m[2]) > 24 || m[1] === m[2])
      throw new ConfigError(`tariff: ${where}/hours "${part.trim()}" must be a range of local hours such as 14-19 or 22-6 (start 0-23, end 1-24)`, `${where}/hours`);
    const a = Number(m[1]);
    const n = (Number(m[2]) - a + 24) % 24 || 24;
    for (let k = 0; k < n; k++) on[(a + k) % 24] = true;
  }
  return on;
}

/** True if `doc` is in the friendly form (it has `tiers` and no `energyratestructure`). */
export function isSimpleTariff(doc: unknown): doc is Raw {
  return isRec(doc) && Array.isArray(doc.tiers) && doc.energyratestructure === undefined;
}

/** The URDB model of a friendly tariff. Throws a ConfigError naming the field. */
export function simpleToUrdb(doc: Raw): Raw {
  const { tiers: rawTiers, periods: rawPeriods, ...rest } = doc;
  const tiers = rawTiers as unknown[];
  if (tiers.length === 0) throw new ConfigError("tariff: /tiers must list at least one tier", "/tiers");
  tiers.forEach((t, i) => {
    if (!isRec(t) || !isDecimal(t.rate)) throw new ConfigError(`tariff: /tiers/${i}/rate must be a number or a decimal string such as "0.08"`, `/tiers/${i}/rate`);
    if (t.upTo !== undefined && !isDecimal(t.upTo)) throw new ConfigError(`tariff: /tiers/${i}/upTo must be a number of kWh`, `/tiers/${i}/upTo`);
    if (t.upTo === undefined && i < tiers.length - 1) throw new ConfigError(`tariff: /tiers/${i} has no upTo but is not the last tier`, `/tiers/${i}/upTo`);
  });
  const periods = (rawPeriods as Raw[] | undefined) ?? [{ name: "all hours" }];
  if (!Array.isArray(periods) || periods.length === 0) throw new ConfigError("tariff: /periods must list at least one period", "/periods");
  const weekday = Array.from({ length: 12 }, () => new Array<number>(24).fill(-1));
  const weekend = Array.from({ length: 12 }, () => new Array<number>(24).fill(-1));
  const structure = periods.map((p, k) => {
    const where = `/periods/${k}`;
    if (!isRec(p)) throw new ConfigError(`tariff: ${where} must be an object`, where);
    const hours = hoursOf(p.hours, where);
    const days = p.days ?? "all";
    if (days !== "all" && days !== "weekdays" && days !== "weekends") throw new ConfigError(`tariff: ${where}/days "${String(days)}" must be all, weekdays or weekends`, `${where}/days`);
    const months = (p.months as number[] | undefined) ?? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    if (!Array.isArray(months) || months.some((m) => !Number.isInteger(m) || m < 1 || m > 12)) throw new ConfigError(`tariff: ${where}/months must be month numbers 1-12`, `${where}/months`);
    for (const m of months)
      for (let h = 0; h < 24; h++) {
        if (!hours[h]) continue;
        if (days !== "weekends") weekday[m - 1][h] = k;
        if (days !== "weekdays") weekend[m - 1][h] = k;
      }
    if (p.multiplier !== undefined && !isDecimal(p.multiplier)) throw new ConfigError(`tariff: ${where}/multiplier must be a number such as 1.5`, `${where}/multiplier`);
    const rates = p.rates as unknown[] | undefined;
    if (rates !== undefined && (!Array.isArray(rates) || rates.length !== tiers.length || !rates.every(isDecimal)))
      throw new ConfigError(`tariff: ${where}/rates must list one rate per tier (${tiers.length})`, `${where}/rates`);
    return tiers.map((t, i) => {
      const tr = t as Raw;
      return {
        ...(tr.upTo !== undefined ? { max: tr.upTo } : {}),
        unit: tr.daily === true ? "kWh daily" : "kWh",
        rate: rates ? rates[i] : tr.rate,
        ...(p.multiplier !== undefined ? { multiplier: p.multiplier } : {}),
      };
    });
  });
  for (const [s, name] of [
    [weekday, "weekdays"],
    [weekend, "weekends"],
  ] as const)
    for (let m = 0; m < 12; m++)
      for (let h = 0; h < 24; h++)
        if (s[m][h] < 0) throw new ConfigError(`tariff: hour ${h}:00 on ${name} in month ${m + 1} is in no period; cover all 24 hours (e.g. add a period with "hours": "0-24" first)`, "/periods");
  return {
    ...rest,
    energyratestructure: structure,
    energyweekdayschedule: weekday,
    energyweekendschedule: weekend,
    energytoulabels: periods.map((p, k) => String((p as Raw).name ?? `period ${k}`)),
  };
}
