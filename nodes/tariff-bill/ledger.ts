/**
 * The open billing periods of every device: pure (no timers, no I/O), JSON-safe state for the state file.
 *
 * - An interval is keyed by deviceId + interval start: a repeat replaces the earlier value (a duplicate never
 *   charges twice); a later `window.revision` replaces an earlier one, an older revision is refused.
 * - `period: "month"`: calendar months in the tariff's zone; a month is due once the data (a reading whose interval
 *   starts in a later month) or the wall clock has passed its end by `latenessSeconds`. `period: "command"`: one open period per
 *   device, closed by a close command (meter read dates) at `periodEnd` (default: now).
 * - What cannot be billed comes back with a reason: no such measurement, not a number, negative consumption,
 *   outside any open period (already billed, or before the open period), an older revision.
 */
import { DateTime } from "luxon";
import { worseQuality, type Quality } from "../shared/canonical-reading";
import { isRec } from "../shared/util";
import { computeBill, type Bill, type Interval } from "./engine";
import { dec, isDecimal } from "./money";
import type { Tariff } from "./tariff";

export interface LedgerOptions {
  tariff: Tariff;
  /** The consumption measurement (kWh per interval). */
  measurement: string;
  /** The demand measurement (kW); absent: energy ÷ interval hours. */
  demandMeasurement: string;
  /** The interval of a raw reading: [timestamp, timestamp + intervalSeconds). */
  intervalSeconds: number;
  period: "month" | "command";
  latenessSeconds: number;
}

/** One interval as stored: [end, kWh (number or decimal string), kW or null, quality, revision or null]. */
type Rec = [number, number | string, number | string | null, Quality, number | null];

interface OpenPeriod {
  start: number;
  /** Month periods end at the next month; command periods are open-ended until closed. */
  end: number | null;
  intervals: Map<number, Rec>;
}

interface Device {
  customerId?: string;
  /** Billed through here: readings before it are refused. */
  closedUntil?: number;
  open: OpenPeriod[];
}

export interface LedgerState {
  format: 1;
  watermark: number;
  devices: Record<string, { customerId?: string; closedUntil?: number; open: { start: number; end: number | null; intervals: [number, ...Rec][] }[] }>;
}

export type Accepted = { ok: true; deviceId: string; replaced: boolean } | { ok: false; reason: string; deviceId?: string };

const QUALITIES: Quality[] = ["GOOD", "ESTIMATED", "SUSPECT", "BAD"];
const ENERGY_UNITS: Record<string, string> = { kWh: "1", Wh: "0.001", MWh: "1000" };

function timeOf(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "string") return Date.parse(v);
  return NaN;
}

export class Ledger {
  private devices = new Map<string, Device>();
  /** The latest interval start seen (data time): a reading from the next month moves it past a month's end. */
  watermark = -Infinity;
  /** How many intervals are held in open periods. */
  held = 0;
  /** No open month period ends before this (a lower bound): closeDue scans the devices only once it is due. */
  private earliestEnd = Infinity;

  constructor(private opts: LedgerOptions) {}

  get deviceCount(): number {
    return this.devices.size;
  }

  private device(id: string): Device {
    let d = this.devices.get(id);
    if (!d) this.devices.set(id, (d = { open: [] }));
    return d;
  }

  private monthOf(ms: number): { start: number; end: number } {
    const dt = DateTime.fromMillis(ms, { zone: this.opts.tariff.timezone }).startOf("month");
    return { start: dt.toMillis(), end: dt.plus({ months: 1 }).toMillis() };
  }

  /** Take one reading (a raw interval reading or an aggregate with `window`). */
  accept(reading: unknown): Accepted {
    if (!isRec(reading) || typeof reading.deviceId !== "string" || reading.deviceId === "") return { ok: false, reason: "not a canonical reading (no deviceId)" };
    const deviceId = reading.deviceId;
    const ms = isRec(reading.measurements) ? reading.measurements : undefined;
    const m = ms?.[this.opts.measurement];
    if (!isRec(m)) return { ok: false, deviceId, reason: `no measurement "${this.opts.measurement}"` };
    if (!isDecimal(m.value)) return { ok: false, deviceId, reason: `measurement "${this.opts.measurement}" is not a number (${JSON.stringify(m.value)})` };
    let value: number | string = m.value;
    const unit = typeof m.unit === "string" ? m.unit : "kWh";
    const factor = ENERGY_UNITS[unit];
    if (factor === undefined) return { ok: false, deviceId, reason: `measurement "${this.opts.measurement}" is in ${unit}, not kWh, Wh or MWh` };
    if (factor !== "1") value = dec(value).times(factor).toString();
    if (dec(value).lt(0)) return { ok: false, deviceId, reason: `negative consumption (${String(m.value)} ${unit})` };

    let start: number;
    let end: number;
    let revision: number | null = null;
    if (isRec(reading.window)) {
      start = timeOf(reading.window.start);
      end = timeOf(reading.window.end);
      if (typeof reading.window.revision === "number") revision = reading.window.revision;
      if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) return { ok: false, deviceId, reason: "window has no valid start and end" };
    } else {
      start = timeOf(reading.timestamp);
      if (!Number.isFinite(start)) return { ok: false, deviceId, reason: `timestamp ${JSON.stringify(reading.timestamp)} is not a time` };
      end = start + this.opts.intervalSeconds * 1000;
    }
    const dm = ms?.[this.opts.demandMeasurement];
    const kw = isRec(dm) && isDecimal(dm.value) ? dm.value : null;
    const rq = QUALITIES.includes(reading.quality as Quality) ? (reading.quality as Quality) : "GOOD";
    const mq = QUALITIES.includes(m.quality as Quality) ? (m.quality as Quality) : "GOOD";
    const quality = worseQuality(rq, mq);

    const d = this.device(deviceId);
    const meta = reading.meta;
    if (isRec(meta) && typeof meta.customerId === "string") d.customerId = meta.customerId;
    if (d.closedUntil !== undefined && start < d.closedUntil) return { ok: false, deviceId, reason: `outside any open period: ${new Date(start).toISOString()} is in a period already billed (through ${new Date(d.closedUntil).toISOString()})` };
    let p: OpenPeriod | undefined;
    if (this.opts.period === "month") {
      // The open month holding the interval, without asking tzdata (luxon's zone offsets cost ~150 µs a reading).
      p = d.open.find((o) => start >= o.start && o.end !== null && start < o.end);
      if (!p) {
        const mo = this.monthOf(start);
        p = { start: mo.start, end: mo.end, intervals: new Map() };
        if (mo.end < this.earliestEnd) this.earliestEnd = mo.end;
        d.open.push(p);
        d.open.sort((a, b) => a.start - b.start);
      }
    } else {
      p = d.open[0];
      if (!p) d.open.push((p = { start: d.closedUntil ?? start, end: null, intervals: new Map() }));
      else if (start < p.start) return { ok: false, deviceId, reason: `outside any open period: ${new Date(start).toISOString()} is before the open period (from ${new Date(p.start).toISOString()})` };
    }
    const old = p.intervals.get(start);
    if (old && old[4] !== null && revision !== null && revision < old[4])
      return { ok: false, deviceId, reason: `revision ${revision} is older than revision ${old[4]} already held for ${new Date(start).toISOString()}` };
    p.intervals.set(start, [end, value, kw, quality, revision]);
    if (!old) this.held++;
    if (start > this.watermark) this.watermark = start;
    return { ok: true, deviceId, replaced: old !== undefined };
  }

  private intervalsOf(p: OpenPeriod, until = Infinity): Interval[] {
    const out: Interval[] = [];
    for (const [start, r] of p.intervals)
      if (start < until) out.push({ start, end: r[0], kwh: dec(r[1]), ...(r[2] !== null ? { kw: dec(r[2]) } : {}), quality: r[3] });
    return out;
  }

  private bill(deviceId: string, d: Device, p: OpenPeriod, end: number, final: boolean, tariff: Tariff, asOf?: number): Bill {
    return computeBill(tariff, { start: p.start, end }, this.intervalsOf(p, end), { deviceId, customerId: d.customerId, final, asOf });
  }

  /**
   * How far month periods are due at `now` (the data watermark, and the wall clock when `useClock`), or undefined
   * when none can be (cheap: no scan of every device at every reading).
   */
  dueReach(now: number, useClock: boolean): number | undefined {
    if (this.opts.period !== "month") return undefined;
    const reach = useClock ? Math.max(this.watermark, now) : this.watermark;
    return this.earliestEnd + this.opts.latenessSeconds * 1000 > reach ? undefined : reach;
  }

  /** The devices with a month period due at `reach` (from dueReach). */
  dueDevices(reach: number): string[] {
    const lateMs = this.opts.latenessSeconds * 1000;
    const ids: string[] = [];
    for (const [id, d] of this.devices) if (d.open.length && d.open[0].end !== null && d.open[0].end + lateMs <= reach) ids.push(id);
    return ids;
  }

  /**
   * Close and bill one device's month periods due at `reach`. Its periods leave the ledger here, in the same turn as
   * the caller sends the bills: a state file saved between two devices of a long close holds every period not yet sent.
   */
  closeDeviceDue(id: string, reach: number, tariff = this.opts.tariff): Bill[] {
    const d = this.devices.get(id);
    if (!d) return [];
    const lateMs = this.opts.latenessSeconds * 1000;
    let k = 0;
    while (k < d.open.length && d.open[k].end !== null && (d.open[k].end as number) + lateMs <= reach) k++;
    // Every bill first: a bill that throws leaves all of the device's periods open.
    const bills = d.open.slice(0, k).map((p) => this.bill(id, d, p, p.end as number, true, tariff));
    for (const p of d.open.splice(0, k)) {
      this.held -= p.intervals.size;
      d.closedUntil = p.end as number;
    }
    return bills;
  }

  /** Recompute the lower bound of the open months' ends (after a close). */
  refreshDue(): void {
    let earliest = Infinity;
    for (const d of this.devices.values()) {
      const next = d.open[0]?.end;
      if (typeof next === "number" && next < earliest) earliest = next;
    }
    this.earliestEnd = earliest;
  }

  /** Month periods due at `now` (data watermark, and the wall clock when `useClock`): closed and billed, at once. */
  closeDue(now: number, useClock: boolean, tariff = this.opts.tariff): Bill[] {
    const reach = this.dueReach(now, useClock);
    if (reach === undefined) return [];
    const bills = this.dueDevices(reach).flatMap((id) => this.closeDeviceDue(id, reach, tariff));
    this.refreshDue();
    return bills;
  }

  /** The devices with an open period (all, or the one named). */
  openDevices(deviceId?: string): string[] {
    const ids: string[] = [];
    for (const [id, d] of this.devices) if ((deviceId === undefined || id === deviceId) && d.open.length) ids.push(id);
    return ids;
  }

  /** Close one device's open periods now and bill them (a command period ends at `periodEnd`). */
  closeDevice(id: string, periodEnd: number, tariff = this.opts.tariff): Bill[] {
    const d = this.devices.get(id);
    if (!d) return [];
    const open = d.open;
    const ends = open.map((p) => p.end ?? Math.max(periodEnd, p.start + 1));
    // Every bill first: a bill that throws leaves all of the device's periods open.
    const bills = open.map((p, k) => this.bill(id, d, p, ends[k], true, tariff));
    d.open = [];
    open.forEach((p, k) => {
      this.held -= p.intervals.size;
      d.closedUntil = ends[k];
      if (p.end === null) {
        // Intervals after the meter read date open the next period.
        const rest = new Map([...p.intervals].filter(([s]) => s >= ends[k]));
        if (rest.size) {
          d.open.push({ start: ends[k], end: null, intervals: rest });
          this.held += rest.size;
        }
      }
    });
    return bills;
  }

  /** Close every open period now and bill it (command periods end at `periodEnd`), at once. */
  closeAll(periodEnd: number, tariff = this.opts.tariff, deviceId?: string): Bill[] {
    const bills = this.openDevices(deviceId).flatMap((id) => this.closeDevice(id, periodEnd, tariff));
    this.refreshDue();
    return bills;
  }

  /** Bills to date of one device's open periods; nothing closes. Completeness is counted up to the latest interval held. */
  estimateDevice(id: string, now: number, tariff = this.opts.tariff): Bill[] {
    const d = this.devices.get(id);
    const bills: Bill[] = [];
    if (!d) return bills;
    for (const p of d.open) {
      let last = p.start;
      for (const r of p.intervals.values()) if (r[0] > last) last = r[0];
      const end = p.end ?? Math.max(now, last, p.start + 1);
      bills.push(this.bill(id, d, p, end, false, tariff, last));
    }
    return bills;
  }

  /** Bills to date of every open period (or the named device's); nothing closes. */
  estimate(now: number, tariff = this.opts.tariff, deviceId?: string): Bill[] {
    return this.openDevices(deviceId).flatMap((id) => this.estimateDevice(id, now, tariff));
  }

  toJSON(): LedgerState {
    const devices: LedgerState["devices"] = {};
    for (const [id, d] of this.devices)
      devices[id] = {
        ...(d.customerId !== undefined ? { customerId: d.customerId } : {}),
        ...(d.closedUntil !== undefined ? { closedUntil: d.closedUntil } : {}),
        open: d.open.map((p) => ({ start: p.start, end: p.end, intervals: [...p.intervals].map(([s, r]) => [s, ...r] as [number, ...Rec]) })),
      };
    return { format: 1, watermark: Number.isFinite(this.watermark) ? this.watermark : 0, devices };
  }

  load(state: LedgerState | undefined): void {
    this.devices.clear();
    this.held = 0;
    this.earliestEnd = Infinity;
    this.watermark = -Infinity;
    if (!state || state.format !== 1) return;
    this.watermark = state.watermark || -Infinity;
    for (const [id, d] of Object.entries(state.devices)) {
      const open = d.open.map((p) => ({ start: p.start, end: p.end, intervals: new Map(p.intervals.map(([s, ...r]) => [s, r as Rec])) }));
      for (const p of open) {
        this.held += p.intervals.size;
        if (p.end !== null && p.end < this.earliestEnd) this.earliestEnd = p.end;
      }
      this.devices.set(id, { customerId: d.customerId, closedUntil: d.closedUntil, open });
    }
  }
}
