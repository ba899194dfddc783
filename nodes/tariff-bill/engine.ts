/**
 * The bill of one device for one billing period: pure, exact, every cent on a line.
 *
 * - Energy: the intervals fill the tiers in time order, cumulatively over the billing period; each interval's kWh
 *   is priced at the tier rate (rate + adj) of the TOU period its local time falls in (DST and holidays included),
 *   times the tier's multiplier where one is set. An interval that straddles a tier boundary is split between the
 *   two tiers; one that spans local hours of different TOU periods is split by time. Consumption beyond a last tier
 *   that has a max is priced at that last tier (as NREL SAM does).
 * - Tier limits: `kWh` per billing period (× billing days ÷ (365/12) with `prorate: "days"`); `kWh daily` × the
 *   billing period's days, not the calendar month's (REopt.jl#538).
 * - Fixed and minimum charges: `$/day` × days; `$/month` once per bill (or × days ÷ (365/12) with prorate days);
 *   `$/year` ÷ 12 (or × days ÷ 365).
 * - Demand: the maximum kW at the intervals' resolution, per flat-demand period (by month) and per TOU demand
 *   period, filling kW tiers.
 * - Fuel adjustments (URDB `fueladjustmentsmonthly`, $/kWh by month) and adders ($/kWh on all kWh) get their own
 *   lines; the minimum charge tops the subtotal up; taxes apply to the subtotal.
 * - Rounding half-up or half-even to the currency's minor digits, per line (the default: the subtotal is the sum
 *   of the printed lines) or on the total only (each line still shows its exact amount as `exact`).
 */
import { DateTime, IANAZone } from "luxon";
import type { Quality } from "../shared/canonical-reading";
import { worseQuality } from "../shared/canonical-reading";
import { isoUtc } from "../shared/time";
import { dec, money, plain, quantity, roundMoney, ZERO, type Dec } from "./money";
import type { Charge, Schedules, Tariff, Tier } from "./tariff";

export interface Interval {
  /** Epoch ms, inclusive. */
  start: number;
  /** Epoch ms, exclusive. */
  end: number;
  kwh: Dec;
  /** Demand in kW over the interval, when the reading carried it. */
  kw?: Dec;
  quality: Quality;
}

export interface BillPeriod {
  start: number;
  end: number;
}

export type LineKind = "fixed" | "energy" | "adder" | "demand" | "minimum" | "tax";

export interface BillLine {
  kind: LineKind;
  code: string;
  description: string;
  quantity: string;
  unit: string;
  rate: string;
  amount: string;
  /** The unrounded amount, when rounding applies to the total only. */
  exact?: string;
  /** The TOU period and tier of an energy or demand line (0-based period, 1-based tier). */
  period?: number;
  tier?: number;
}

export interface Bill {
  deviceId: string;
  customerId?: string;
  tariffId: string;
  currency: string;
  period: { start: string; end: string; zone: string; days: string };
  lines: BillLine[];
  subtotal: string;
  taxes: string;
  total: string;
  energy: { total: string; byPeriod: { period: number; label: string; kWh: string }[] };
  demand?: { period: string; kW: string }[];
  completeness: number;
  quality: Quality;
  intervals: number;
  rounding: { mode: string; per: string };
  final: boolean;
}

export interface BillOptions {
  deviceId: string;
  customerId?: string;
  final: boolean;
  /** For a bill to date: the expected intervals end here (default: the period's end). */
  asOf?: number;
}

const HOUR = 3_600_000;
const DAYS_PER_MONTH = dec(365).div(12);

/** The local clock of an instant for the schedules: month (0-11), hour (0-23), weekend or holiday, hour's end. */
interface Clock {
  month: number;
  hour: number;
  weekend: boolean;
  hourEnd: number;
}

/** Zone offsets (minutes) by UTC hour, shared by every bill: tzdata through Intl is costly, and bills share hours. */
const offsets = new Map<string, Map<number, number>>();

function offsetAt(zone: IANAZone, ms: number): number {
  let byHour = offsets.get(zone.name);
  if (!byHour) offsets.set(zone.name, (byHour = new Map()));
  if (byHour.size > 200_000) byHour.clear();
  const h = Math.floor(ms / HOUR);
  let a = byHour.get(h);
  if (a === undefined) byHour.set(h, (a = zone.offset(h * HOUR)));
  let b = byHour.get(h + 1);
  if (b === undefined) byHour.set(h + 1, (b = zone.offset((h + 1) * HOUR)));
  // The same offset at both ends of the UTC hour: no change inside it. Otherwise (a change within it), ask exactly.
  return a === b ? a : zone.offset(ms);
}

/** Clocks by tariff and quarter-hour, shared by the bills of every device on the same tariff. */
const clocks = new WeakMap<Tariff, Map<number, Clock>>();

function clockReader(tariff: Tariff): (ms: number) => Clock {
  const zone = IANAZone.create(tariff.timezone) as IANAZone;
  let cache = clocks.get(tariff);
  if (!cache) clocks.set(tariff, (cache = new Map()));
  if (cache.size > 200_000) cache.clear();
  const memo = cache;
  return (ms) => {
    // Every zone offset in use is a multiple of 15 minutes, so instants of one quarter-hour share their clock hour.
    const q = Math.floor(ms / 900_000);
    let c = memo.get(q);
    if (c) return c;
    const offset = offsetAt(zone, ms) * 60_000; // tzdata through Intl, DST included
    const local = new Date(ms + offset); // the wall clock, read with UTC getters
    const iso = `${local.getUTCFullYear()}-${String(local.getUTCMonth() + 1).padStart(2, "0")}-${String(local.getUTCDate()).padStart(2, "0")}`;
    const day = local.getUTCDay();
    c = {
      month: local.getUTCMonth(),
      hour: local.getUTCHours(),
      weekend: day === 0 || day === 6 || tariff.holidays.has(iso),
      // The end of this wall-clock hour; an offset change happens at such a boundary, so this offset still holds.
      hourEnd: (Math.floor((ms + offset) / HOUR) + 1) * HOUR - offset,
    };
    memo.set(q, c);
    return c;
  };
}

function periodAt(s: Schedules, c: Clock): number {
  return (c.weekend ? s.weekend : s.weekday)[c.month][c.hour];
}

/** The local calendar days of a period (fractional for a period that does not start or end at midnight). */
export function billingDays(period: BillPeriod, zone: string): Dec {
  const a = DateTime.fromMillis(period.start, { zone });
  const b = DateTime.fromMillis(period.end, { zone });
  const days = b.diff(a, "days").days;
  return dec(Number(days.toFixed(6)));
}

/** Fill tiers from `used` with `q`: [tier index, kWh][]. */
function fill(limits: (Dec | undefined)[], used: Dec, q: Dec): [number, Dec][] {
  const out: [number, Dec][] = [];
  let rest = q;
  let cursor = used;
  for (let i = 0; i < limits.length; i++) {
    const upper = limits[i];
    if (i === limits.length - 1 || upper === undefined) {
      out.push([i, rest]);
      return out;
    }
    if (cursor.lt(upper)) {
      const room = upper.minus(cursor);
      const take = rest.lt(room) ? rest : room;
      if (take.gt(0)) out.push([i, take]);
      cursor = cursor.plus(take);
      rest = rest.minus(take);
      if (rest.lte(0)) return out;
    }
  }
  return out;
}

function chargeFor(c: Charge, days: Dec, prorate: Tariff["prorate"]): { qty: Dec; unit: string; amount: Dec } {
  if (c.units === "$/day") return { qty: days, unit: "day", amount: c.amount.times(days) };
  if (c.units === "$/month") {
    if (prorate === "none") return { qty: dec(1), unit: "month", amount: c.amount };
    return { qty: days.div(DAYS_PER_MONTH), unit: "month", amount: c.amount.times(days).times(12).div(365) };
  }
  if (prorate === "none") return { qty: dec(1).div(12), unit: "year", amount: c.amount.div(12) };
  return { qty: days.div(365), unit: "year", amount: c.amount.times(days).div(365) };
}

function tierText(t: Tier, lower: Dec | undefined, unit: string): string {
  const lo = lower ? plain(lower) : "0";
  return t.max ? `${lo}–${plain(t.max)} ${unit}` : `over ${lo} ${unit}`;
}

interface RawLine extends Omit<BillLine, "amount" | "exact"> {
  exactAmount: Dec;
}

/** Demand lines: the peak kW filling the kW tiers of one period. */
function demandLines(tiers: Tier[], peak: Dec, code: string, label: string, period: number): RawLine[] {
  const limits = tiers.map((t) => t.max);
  const out: RawLine[] = [];
  for (const [i, kw] of fill(limits, ZERO, peak)) {
    const t = tiers[i];
    const rate = t.multiplier ? t.price.times(t.multiplier) : t.price;
    out.push({
      kind: "demand",
      code: `${code}-t${i + 1}`,
      description: tiers.length > 1 ? `Demand, ${label}, tier ${i + 1} (${tierText(t, tiers[i - 1]?.max, "kW")})` : `Demand, ${label}`,
      quantity: quantity(kw),
      unit: "kW",
      rate: plain(rate),
      exactAmount: kw.times(rate),
      period,
      tier: i + 1,
    });
  }
  return out;
}

/** The bill of `intervals` (any order, each counted once) under `tariff` for `period`. */
export function computeBill(tariff: Tariff, period: BillPeriod, intervals: readonly Interval[], opts: BillOptions): Bill {
  const clock = clockReader(tariff);
  const days = billingDays(period, tariff.timezone);
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  const monthly = tariff.prorate === "days" ? days.div(DAYS_PER_MONTH) : dec(1);
  const limits = tariff.energy.map((tiers) => tiers.map((t) => (t.max ? t.max.times(t.daily ? days : monthly) : undefined)));

  let used = ZERO;
  let quality: Quality = "GOOD";
  let covered = 0;
  const buckets = new Map<string, Dec>(); // "p/i" → kWh
  const byPeriod = new Array<Dec>(tariff.energy.length).fill(ZERO);
  const byMonth = new Map<number, Dec>(); // local month → kWh (fuel adjustments)
  const flatPeak = new Map<number, Dec>();
  const touPeak = new Map<number, Dec>();

  const addEnergy = (p: number, q: Dec, month: number) => {
    for (const [i, kwh] of fill(limits[p], used, q)) {
      const k = `${p}/${i}`;
      buckets.set(k, (buckets.get(k) ?? ZERO).plus(kwh));
    }
    used = used.plus(q);
    byPeriod[p] = byPeriod[p].plus(q);
    byMonth.set(month, (byMonth.get(month) ?? ZERO).plus(q));
  };

  for (const iv of sorted) {
    quality = worseQuality(quality, iv.quality);
    covered += Math.max(0, Math.min(iv.end, period.end) - Math.max(iv.start, period.start));
    // Energy: split by local clock hour where the TOU period changes (the last piece takes the remainder, so the
    // pieces add up to the interval's kWh exactly).
    const c0 = clock(iv.start);
    if (c0.hourEnd >= iv.end) addEnergy(periodAt(tariff.energySchedule, c0), iv.kwh, c0.month);
    else {
      const pieces: { p: number; month: number; ms: number }[] = [];
      for (let t = iv.start; t < iv.end; ) {
        const c = clock(t);
        const next = Math.min(c.hourEnd, iv.end);
        const p = periodAt(tariff.energySchedule, c);
        const last = pieces[pieces.length - 1];
        if (last && last.p === p && last.month === c.month) last.ms += next - t;
        else pieces.push({ p, month: c.month, ms: next - t });
        t = next;
      }
      let rest = iv.kwh;
      const total = iv.end - iv.start;
      pieces.forEach((pc, k) => {
        const q = k === pieces.length - 1 ? rest : iv.kwh.times(pc.ms).div(total);
        rest = rest.minus(q);
        addEnergy(pc.p, q, pc.month);
      });
    }
    // Demand at the interval's resolution.
    if (tariff.flatDemand || tariff.demand) {
      const kw = iv.kw ?? iv.kwh.times(HOUR).div(iv.end - iv.start);
      if (tariff.flatDemand) {
        const fp = tariff.flatDemand.months[c0.month];
        const cur = flatPeak.get(fp);
        if (!cur || kw.gt(cur)) flatPeak.set(fp, kw);
      }
      if (tariff.demand) {
        const dp = periodAt(tariff.demand.schedule, c0);
        const cur = touPeak.get(dp);
        if (!cur || kw.gt(cur)) touPeak.set(dp, kw);
      }
    }
  }

  const raw: RawLine[] = [];
  if (tariff.fixed) {
    const f = chargeFor(tariff.fixed, days, tariff.prorate);
    raw.push({ kind: "fixed", code: "fixed", description: `Fixed charge (${tariff.fixed.units})`, quantity: quantity(f.qty), unit: f.unit, rate: plain(tariff.fixed.amount), exactAmount: f.amount });
  }
  tariff.energy.forEach((tiers, p) => {
    tiers.forEach((t, i) => {
      const kwh = buckets.get(`${p}/${i}`);
      if (!kwh) return;
      const rate = t.multiplier ? t.price.times(t.multiplier) : t.price;
      const label = tariff.periodLabels[p];
      const tierPart = tiers.length > 1 ? `, tier ${i + 1} (${tierText(t, tiers[i - 1]?.max, t.daily ? "kWh/day" : "kWh")})` : "";
      const mult = t.multiplier ? ` × ${plain(t.multiplier)}` : "";
      raw.push({
        kind: "energy",
        code: `energy-p${p}-t${i + 1}`,
        description: `Energy, ${label}${tierPart}${mult}`,
        quantity: quantity(kwh),
        unit: "kWh",
        rate: plain(rate),
        exactAmount: kwh.times(rate),
        period: p,
        tier: i + 1,
      });
    });
  });
  if (tariff.fuel) {
    for (const [m, kwh] of [...byMonth.entries()].sort((a, b) => a[0] - b[0])) {
      const rate = tariff.fuel[m];
      if (rate.eq(0) || kwh.eq(0)) continue;
      raw.push({ kind: "adder", code: `fuel-${m + 1}`, description: `Fuel adjustment, month ${m + 1}`, quantity: quantity(kwh), unit: "kWh", rate: plain(rate), exactAmount: kwh.times(rate) });
    }
  }
  for (const a of tariff.adders)
    raw.push({ kind: "adder", code: a.code, description: a.description, quantity: quantity(used), unit: "kWh", rate: plain(a.rate), exactAmount: used.times(a.rate) });
  if (tariff.flatDemand)
    for (const [fp, peak] of [...flatPeak.entries()].sort((a, b) => a[0] - b[0]))
      raw.push(...demandLines(tariff.flatDemand.tiers[fp], peak, `demand-flat-p${fp}`, tariff.flatDemand.tiers.length > 1 ? `flat period ${fp}` : "flat", fp));
  if (tariff.demand)
    for (const [dp, peak] of [...touPeak.entries()].sort((a, b) => a[0] - b[0]))
      raw.push(...demandLines(tariff.demand.tiers[dp], peak, `demand-tou-p${dp}`, `TOU period ${dp}`, dp));

  const { mode, per } = tariff.rounding;
  const digits = tariff.digits;
  const r = (x: Dec) => roundMoney(x, digits, mode);
  const lines: BillLine[] = [];
  const push = (l: RawLine) => {
    const { exactAmount, ...rest } = l;
    const line: BillLine = { ...rest, amount: money(r(exactAmount), digits) };
    if (per === "total") line.exact = plain(exactAmount);
    lines.push(line);
  };
  raw.forEach(push);
  // The subtotal: the printed lines (per line), or the exact amounts (per total).
  const base = raw.reduce((s, l) => s.plus(per === "line" ? r(l.exactAmount) : l.exactAmount), ZERO);
  let subtotalExact = base;
  if (tariff.minimum) {
    const m = chargeFor(tariff.minimum, days, tariff.prorate);
    const floor = per === "line" ? r(m.amount) : m.amount;
    if (floor.gt(base)) {
      const l: RawLine = { kind: "minimum", code: "minimum", description: `Minimum charge (${tariff.minimum.units}) top-up to ${money(r(m.amount), digits)}`, quantity: "1", unit: "bill", rate: plain(floor.minus(base)), exactAmount: floor.minus(base) };
      push(l);
      subtotalExact = floor;
    }
  }
  let taxesExact = ZERO;
  let taxesRounded = ZERO;
  for (const t of tariff.taxes) {
    const amt = subtotalExact.times(t.rate);
    taxesExact = taxesExact.plus(amt);
    taxesRounded = taxesRounded.plus(r(amt));
    push({ kind: "tax", code: t.code, description: t.description, quantity: money(per === "line" ? subtotalExact : r(subtotalExact), digits), unit: tariff.currency, rate: plain(t.rate), exactAmount: amt });
  }
  const subtotal = r(subtotalExact);
  const taxes = per === "line" ? taxesRounded : r(taxesExact);
  const total = per === "line" ? subtotal.plus(taxesRounded) : r(subtotalExact.plus(taxesExact));

  const expectedEnd = Math.min(period.end, opts.asOf ?? period.end);
  const expected = Math.max(0, expectedEnd - period.start);
  const bill: Bill = {
    deviceId: opts.deviceId,
    ...(opts.customerId !== undefined ? { customerId: opts.customerId } : {}),
    tariffId: tariff.id,
    currency: tariff.currency,
    period: { start: isoUtc(period.start), end: isoUtc(period.end), zone: tariff.timezone, days: plain(days) },
    lines,
    subtotal: money(subtotal, digits),
    taxes: money(taxes, digits),
    total: money(total, digits),
    energy: { total: plain(used), byPeriod: byPeriod.map((k, p) => ({ period: p, label: tariff.periodLabels[p], kWh: plain(k) })) },
    completeness: expected > 0 ? Math.min(1, Number((covered / expected).toFixed(4))) : 1,
    quality,
    intervals: sorted.length,
    rounding: { mode, per },
    final: opts.final,
  };
  if (tariff.flatDemand || tariff.demand) {
    bill.demand = [
      ...[...flatPeak.entries()].map(([p, kw]) => ({ period: `flat-${p}`, kW: quantity(kw) })),
      ...[...touPeak.entries()].map(([p, kw]) => ({ period: `tou-${p}`, kW: quantity(kw) })),
    ];
  }
  return bill;
}
