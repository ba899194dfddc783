/**
 * The tariff: the OpenEI Utility Rate Database (URDB) rate format, API v7, so a rate pasted from URDB works as is,
 * plus the extensions a bill needs and URDB lacks (timezone, currency, holidays, adders, taxes, rounding, prorate).
 *
 * Checked with ajv (errors name the field: `/energyratestructure/1/0/rate must be ...`), then compiled into
 * exact decimals. A URDB API answer (`{ items: [rate] }`) is unwrapped. URDB fields that would change the bill and
 * that this node does not compute (coincident demand, ratchets, kWh/kW tiers) are refused by name, never ignored.
 */
import { IANAZone } from "luxon";
import { ConfigError, errorMessage } from "../shared/errors";
import { compileSchema, describeAjvErrors } from "../shared/schema";
import { isRec } from "../shared/util";
import { dec, minorDigits, type Dec, type RoundingMode } from "./money";
import { isSimpleTariff, simpleToUrdb } from "./simple";

const decimal = {
  anyOf: [
    { type: "number" },
    { type: "string", pattern: "^\\s*[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?\\s*$" },
  ],
};
const tier = (units: string[]) => ({
  type: "object",
  properties: {
    max: decimal,
    unit: { type: "string", enum: units },
    rate: decimal,
    adj: decimal,
    sell: decimal,
    /** Extension: the seeds' time-of-use multiplier (0.8× off-peak, 1.5× on-peak) on this tier's price. */
    multiplier: decimal,
  },
});
const structure = (units: string[]) => ({ type: "array", minItems: 1, items: { type: "array", minItems: 1, items: tier(units) } });
const schedule = {
  type: "array",
  minItems: 12,
  maxItems: 12,
  items: { type: "array", minItems: 24, maxItems: 24, items: { type: "integer", minimum: 0 } },
};
const chargeUnits = { type: "string", enum: ["$/day", "$/month", "$/year"] };
const text = { type: "string", maxLength: 1000 };

export const tariffSchema = {
  type: "object",
  properties: {
    label: text,
    name: text,
    utility: text,
    uri: text,
    energyratestructure: structure(["kWh", "kWh daily"]),
    energyweekdayschedule: schedule,
    energyweekendschedule: schedule,
    energytoulabels: { type: "array", items: { type: "string" } },
    fixedchargefirstmeter: decimal,
    fixedchargeunits: chargeUnits,
    mincharge: decimal,
    minchargeunits: chargeUnits,
    flatdemandstructure: structure(["kW"]),
    flatdemandmonths: { type: "array", minItems: 12, maxItems: 12, items: { type: "integer", minimum: 0 } },
    flatdemandunit: { type: "string", enum: ["kW"] },
    demandratestructure: structure(["kW"]),
    demandweekdayschedule: schedule,
    demandweekendschedule: schedule,
    demandrateunit: { type: "string", enum: ["kW"] },
    demandunits: { type: "string", enum: ["kW"] },
    fueladjustmentsmonthly: { type: "array", minItems: 12, maxItems: 12, items: decimal },
    // extensions
    timezone: { type: "string", minLength: 1 },
    currency: { type: "string", pattern: "^[A-Z]{3}$" },
    holidays: { type: "array", items: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$" } },
    adders: {
      type: "array",
      items: {
        type: "object",
        required: ["code", "rate"],
        additionalProperties: false,
        properties: { code: { type: "string", minLength: 1 }, description: { type: "string" }, rate: decimal },
      },
    },
    taxes: {
      type: "array",
      items: {
        type: "object",
        required: ["code", "rate"],
        additionalProperties: false,
        properties: { code: { type: "string", minLength: 1 }, description: { type: "string" }, rate: decimal, on: { type: "string", enum: ["subtotal"] } },
      },
    },
    rounding: {
      type: "object",
      additionalProperties: false,
      properties: { mode: { type: "string", enum: ["half-up", "half-even"] }, per: { type: "string", enum: ["line", "total"] } },
    },
    prorate: { type: "string", enum: ["none", "days"] },
  },
  required: ["energyratestructure"],
} as const;

let validate: ReturnType<typeof compileSchema> | undefined;

export interface Tier {
  /** The tier's cumulative upper bound (kWh in the billing period, or per day when `daily`; kW for demand). */
  max?: Dec;
  daily: boolean;
  rate: Dec;
  adj: Dec;
  /** rate + adj. */
  price: Dec;
  multiplier?: Dec;
}

export interface Schedules {
  weekday: number[][];
  weekend: number[][];
}

export interface Charge {
  amount: Dec;
  units: "$/day" | "$/month" | "$/year";
}

export interface Tariff {
  id: string;
  name?: string;
  timezone: string;
  currency: string;
  /** The currency's minor digits (USD 2). */
  digits: number;
  energy: Tier[][];
  energySchedule: Schedules;
  periodLabels: string[];
  fixed?: Charge;
  minimum?: Charge;
  flatDemand?: { tiers: Tier[][]; months: number[] };
  demand?: { tiers: Tier[][]; schedule: Schedules };
  fuel?: Dec[];
  adders: { code: string; description: string; rate: Dec }[];
  taxes: { code: string; description: string; rate: Dec }[];
  rounding: { mode: RoundingMode; per: "line" | "total" };
  prorate: "none" | "days";
  holidays: Set<string>;
}

type Raw = Record<string, unknown>;

/** Fields of URDB that change a bill and that this node does not compute: refused by name, never ignored. */
const UNSUPPORTED: Record<string, string> = {
  coincidentratestructure: "coincident demand charges",
  demandratchetpercentage: "demand ratchets",
  lookbackpercent: "look-back demand",
  lookbackrange: "look-back demand",
  energyattrs: "energy attributes",
};

function nonZero(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (Array.isArray(v)) return v.some(nonZero);
  if (isRec(v)) return Object.values(v).some(nonZero);
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") return v.trim() !== "" && v.trim() !== "0";
  return true;
}

/** The rate inside a URDB answer: `{ items: [rate] }` (the API) or the rate itself. */
export function unwrapUrdb(doc: unknown): unknown {
  if (isRec(doc) && Array.isArray(doc.items)) {
    if (doc.items.length !== 1) throw new ConfigError(`tariff: a URDB answer holds ${doc.items.length} rates; paste exactly one (items[0])`, "/items");
    return doc.items[0];
  }
  return doc;
}

function tiersOf(raw: Raw[][], field: string): Tier[][] {
  return raw.map((period, p) => {
    let prev: Dec | undefined;
    return period.map((t, i) => {
      const where = `/${field}/${p}/${i}`;
      if (t.rate === undefined && t.adj === undefined) throw new ConfigError(`tariff: ${where} has neither "rate" nor "adj"`, where);
      const rate = t.rate === undefined ? dec(0) : dec(t.rate as number | string);
      const adj = t.adj === undefined ? dec(0) : dec(t.adj as number | string);
      const max = t.max === undefined || t.max === null ? undefined : dec(t.max as number | string);
      if (max !== undefined) {
        if (max.lte(0)) throw new ConfigError(`tariff: ${where}/max must be above 0`, `${where}/max`);
        if (prev !== undefined && max.lte(prev)) throw new ConfigError(`tariff: ${where}/max ${max.toString()} must be above the previous tier's max ${prev.toString()} (tiers are cumulative)`, `${where}/max`);
        prev = max;
      } else if (i < period.length - 1) {
        throw new ConfigError(`tariff: ${where} has no "max" but is not the last tier of period ${p} (only the last tier is unbounded)`, `${where}/max`);
      }
      const multiplier = t.multiplier === undefined ? undefined : dec(t.multiplier as number | string);
      if (multiplier !== undefined && multiplier.lt(0)) throw new ConfigError(`tariff: ${where}/multiplier must not be negative`, `${where}/multiplier`);
      const daily = t.unit === "kWh daily";
      if (i > 0 && daily !== (period[0].unit === "kWh daily")) throw new ConfigError(`tariff: ${where}/unit mixes "kWh" and "kWh daily" tiers in one period`, `${where}/unit`);
      return { max, daily, rate, adj, price: rate.plus(adj), multiplier };
    });
  });
}

function checkSchedule(s: number[][], field: string, periods: number): void {
  for (let m = 0; m < 12; m++)
    for (let h = 0; h < 24; h++)
      if (s[m][h] >= periods)
        throw new ConfigError(`tariff: /${field}/${m}/${h} is period ${s[m][h]}, but the rate structure has only ${periods} period${periods === 1 ? "" : "s"} (0-based)`, `/${field}/${m}/${h}`);
}

const FLAT: number[][] = Array.from({ length: 12 }, () => new Array<number>(24).fill(0));

/**
 * Parse a tariff (JSON text or an object) into exact decimals. Throws a ConfigError naming the field.
 * `defaults.timezone` is used when the tariff names none.
 */
export function parseTariff(input: unknown, defaults: { timezone?: string } = {}): Tariff {
  let doc: unknown = input;
  if (typeof input === "string") {
    try {
      doc = JSON.parse(input);
    } catch (err) {
      throw new ConfigError(`tariff: not JSON: ${errorMessage(err)}`, "/");
    }
  }
  doc = unwrapUrdb(doc);
  if (isSimpleTariff(doc)) doc = simpleToUrdb(doc);
  if (!isRec(doc)) throw new ConfigError("tariff: must be a JSON object (a URDB rate)", "/");
  validate ??= compileSchema(tariffSchema);
  if (!validate(doc)) {
    const errs = describeAjvErrors(validate.errors, "", doc);
    const first = validate.errors?.[0]?.instancePath || "/";
    throw new ConfigError(`tariff: ${errs.join("; ")}`, first);
  }
  const d = doc;
  for (const [k, what] of Object.entries(UNSUPPORTED))
    if (nonZero(d[k])) throw new ConfigError(`tariff: /${k} (${what}) is not supported by tariff-bill; remove it or bill that charge elsewhere`, `/${k}`);

  const energy = tiersOf(d.energyratestructure as Raw[][], "energyratestructure");
  const weekday = (d.energyweekdayschedule as number[][] | undefined) ?? (d.energyweekendschedule as number[][] | undefined);
  const weekend = (d.energyweekendschedule as number[][] | undefined) ?? weekday;
  if (!weekday && energy.length > 1) throw new ConfigError(`tariff: /energyweekdayschedule is required when /energyratestructure has ${energy.length} periods`, "/energyweekdayschedule");
  const energySchedule = { weekday: weekday ?? FLAT, weekend: weekend ?? FLAT };
  checkSchedule(energySchedule.weekday, "energyweekdayschedule", energy.length);
  checkSchedule(energySchedule.weekend, "energyweekendschedule", energy.length);

  const timezone = (d.timezone as string | undefined) ?? defaults.timezone ?? "UTC";
  if (!IANAZone.isValidZone(timezone)) throw new ConfigError(`tariff: /timezone "${timezone}" is not an IANA time zone such as America/New_York`, "/timezone");
  const currency = (d.currency as string | undefined) ?? "USD";
  let digits: number;
  try {
    digits = minorDigits(currency);
  } catch (err) {
    throw new ConfigError(`tariff: /currency ${errorMessage(err)}`, "/currency");
  }

  const charge = (amountKey: string, unitKey: string): Charge | undefined => {
    const a = d[amountKey];
    if (a === undefined || a === null) return undefined;
    const amount = dec(a as number | string);
    if (amount.lt(0)) throw new ConfigError(`tariff: /${amountKey} must not be negative`, `/${amountKey}`);
    return { amount, units: ((d[unitKey] as Charge["units"] | undefined) ?? "$/month") };
  };

  let flatDemand: Tariff["flatDemand"];
  if (d.flatdemandstructure !== undefined) {
    const tiers = tiersOf(d.flatdemandstructure as Raw[][], "flatdemandstructure");
    const months = (d.flatdemandmonths as number[] | undefined) ?? new Array<number>(12).fill(0);
    months.forEach((p, m) => {
      if (p >= tiers.length) throw new ConfigError(`tariff: /flatdemandmonths/${m} is period ${p}, but /flatdemandstructure has only ${tiers.length} (0-based)`, `/flatdemandmonths/${m}`);
    });
    flatDemand = { tiers, months };
  }
  let demand: Tariff["demand"];
  if (d.demandratestructure !== undefined) {
    const tiers = tiersOf(d.demandratestructure as Raw[][], "demandratestructure");
    const wd = (d.demandweekdayschedule as number[][] | undefined) ?? (d.demandweekendschedule as number[][] | undefined);
    if (!wd && tiers.length > 1) throw new ConfigError(`tariff: /demandweekdayschedule is required when /demandratestructure has ${tiers.length} periods`, "/demandweekdayschedule");
    const schedule = { weekday: wd ?? FLAT, weekend: (d.demandweekendschedule as number[][] | undefined) ?? wd ?? FLAT };
    checkSchedule(schedule.weekday, "demandweekdayschedule", tiers.length);
    checkSchedule(schedule.weekend, "demandweekendschedule", tiers.length);
    demand = { tiers, schedule };
  }

  const holidays = new Set<string>();
  for (const [i, h] of ((d.holidays as string[] | undefined) ?? []).entries()) {
    const [y, m, day] = h.split("-").map(Number);
    const dt = new Date(Date.UTC(y, m - 1, day));
    if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== m - 1 || dt.getUTCDate() !== day) throw new ConfigError(`tariff: /holidays/${i} "${h}" is not a real date`, `/holidays/${i}`);
    holidays.add(h);
  }
  const labels = (d.energytoulabels as string[] | undefined) ?? [];
  const rounding = (d.rounding as { mode?: RoundingMode; per?: "line" | "total" } | undefined) ?? {};
  return {
    id: String(d.label ?? d.name ?? "tariff"),
    name: d.name as string | undefined,
    timezone,
    currency,
    digits,
    energy,
    energySchedule,
    periodLabels: energy.map((_, p) => labels[p] ?? (energy.length === 1 ? "all hours" : `period ${p}`)),
    fixed: charge("fixedchargefirstmeter", "fixedchargeunits"),
    minimum: charge("mincharge", "minchargeunits"),
    flatDemand,
    demand,
    fuel: (d.fueladjustmentsmonthly as (number | string)[] | undefined)?.map((v) => dec(v)),
    adders: ((d.adders as Raw[] | undefined) ?? []).map((a) => ({ code: a.code as string, description: (a.description as string | undefined) ?? (a.code as string), rate: dec(a.rate as number | string) })),
    taxes: ((d.taxes as Raw[] | undefined) ?? []).map((a) => ({ code: a.code as string, description: (a.description as string | undefined) ?? (a.code as string), rate: dec(a.rate as number | string) })),
    rounding: { mode: rounding.mode ?? "half-up", per: rounding.per ?? "line" },
    prorate: (d.prorate as "none" | "days" | undefined) ?? "none",
    holidays,
  };
}
