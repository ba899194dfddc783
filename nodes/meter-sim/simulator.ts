/**
 * The simulator, free of Node-RED and of real time: meters and refrigerated stores whose state moves forward
 * only when `step(untilMs)` is called with a simulated time. Every random number comes from prng.ts keyed by the
 * seed, the meter and the slot, so one config gives the same readings, to the last register, on every run.
 *
 * - Electric, gas and water meters read every `intervalMs` (15 min) at a per-meter offset of 0..jitter s (the
 *   seeds' cure for the thundering herd), their cumulative register fed by the seeds' daily pattern: each
 *   15-minute slot of local time draws its hourly rate uniformly within its period's range.
 * - Refrigerated stores: `units` units × 2 sensors (supply air, product), every `fridgeIntervalMs` (5 min), in °F,
 *   each unit's controller at its own offset of 0..jitter s. Supply air swings with the compressor's on/off cycle
 *   around setpoint − 3 °F; the product (a probe in a thermal mass) follows supply air + 3 °F slowly, so it sits at
 *   the setpoint (35.5-37.5 °F); each reading carries the sensor's own noise (±0.2 °F supply air, ±0.25 °F product),
 *   so only a stuck sensor repeats one value for long.
 * - Faults per meter or store, through `command()`.
 */
import { DateTime } from "luxon";
import { InputError } from "../shared/errors";
import { periodOf, type MeterType } from "./patterns";
import { streamKey, uniform } from "./prng";
import {
  NOT_IMPLEMENTED_U16, NOT_IMPLEMENTED_U32, RATE_FROM_HOURLY, RATE_SCALE, STATUS_RESET, TOTAL_SCALE, encodeRegisters,
} from "./register-maps";

/** The pattern's slots: the rate is drawn once per 15 minutes of local time. */
export const SLOT_MS = 15 * 60_000;
const HOUR_MS = 3_600_000;

export interface MeterSpec {
  id: string;
  type: MeterType;
  unitId: number;
}

export interface StoreSpec {
  id: string;
  /** Refrigeration units (2 sensors each). */
  units: number;
}

export interface SimConfig {
  seed: number;
  /** Simulated time at the start (epoch ms). */
  startMs: number;
  /** IANA zone of the daily pattern's hours. */
  zone: string;
  intervalMs: number;
  /** The largest per-meter offset of the reading schedule, in whole seconds. */
  jitterS: number;
  fridgeIntervalMs: number;
  meters: MeterSpec[];
  stores: StoreSpec[];
}

/** Register values of a meter's total at commissioning: up to 20,000 kWh, 5,000 m3, 200 m3 of water. */
const INITIAL_MAX: Record<MeterType, number> = { electric: 20_000_000, gas: 5_000_000, water: 2_000_000 };

export interface MeterFaults {
  offline: boolean;
  /** Clock drift in parts per million (positive: the meter's clock runs fast). */
  driftPpm: number;
  /** Multiplies the next reading's increment and rate, once (0 = none). */
  spike: number;
  stuck: boolean;
  notImplemented: boolean;
  /** Readings still to be sent twice. */
  duplicate: number;
}

interface MeterState {
  spec: MeterSpec;
  key: number;
  jitterMs: number;
  nextMs: number;
  /** Simulated time consumption is integrated up to. */
  integratedMs: number;
  /** Consumption since the start, in raw register units (fractional). */
  consumed: number;
  /** The total register's value when `consumed` was 0 (commissioning or the last counter reset). */
  registerBase: number;
  lastReadMs?: number;
  lastReadConsumed: number;
  status: number;
  /** The meter's clock minus true time, ms (grows with drift). */
  clockOffsetMs: number;
  registers: number[];
  faults: MeterFaults;
}

export interface UnitFaults {
  doorOpen: boolean;
  /** Simulated time the compressor started failing (its supply air then rises slowly), or undefined. */
  compressorSinceMs?: number;
  /** A stuck sensor repeats this value. */
  stuckSupply?: number;
  stuckProduct?: number;
}

interface UnitState {
  /** The product's temperature held (°F). */
  setpoint: number;
  /** The compressor's on/off cycle: its period (ms) and phase (0..1). */
  cycleMs: number;
  phase: number;
  /** The thermal state (°F), before the sensors' noise. */
  supply: number;
  product: number;
  jitterMs: number;
  nextMs: number;
  faults: UnitFaults;
}

interface StoreState {
  spec: StoreSpec;
  key: number;
  /** The earliest of its units' next readings. */
  nextMs: number;
  units: UnitState[];
}

/** The supply air's mean below the setpoint, and the compressor cycle's swing around it (°F). */
const SUPPLY_BELOW = 3;
const CYCLE_SWING = 1;
/** The store's air (°F): where a unit whose compressor has failed ends up. */
const AMBIENT = 70;
/** The sensors' reading noise: ± this many °F, uniform. */
const NOISE_SUPPLY = 0.2;
const NOISE_PRODUCT = 0.25;

export interface MeterReadingEvent {
  kind: "meter";
  meterId: string;
  type: MeterType;
  unitId: number;
  /** True simulated time of the reading (the gateway's clock). */
  timeMs: number;
  /** The meter's own clock at the reading (differs from timeMs under clock drift). */
  clockMs: number;
  registers: number[];
  /** False: the meter does not answer (a Modbus timeout). */
  online: boolean;
  /** 2 when the reading is sent twice (duplicate fault). */
  copies: number;
}

export interface FridgeValue {
  unit: number;
  supplyAir: number;
  product: number;
}

/** One refrigeration unit's reading: its controller reports both sensors at once, at the unit's own offset. */
export interface FridgeReadingEvent {
  kind: "fridge";
  storeId: string;
  timeMs: number;
  /** The unit's values (one entry). */
  values: FridgeValue[];
}

export type SimEvent = MeterReadingEvent | FridgeReadingEvent;

export type MeterCommand = "offline" | "online" | "drift" | "spike" | "stuck" | "counter-reset" | "not-implemented" | "duplicate";
export type StoreCommand = "door-open" | "door-close" | "compressor-failing" | "sensor-stuck";
export const METER_COMMANDS: readonly MeterCommand[] = ["offline", "online", "drift", "spike", "stuck", "counter-reset", "not-implemented", "duplicate"];
export const STORE_COMMANDS: readonly StoreCommand[] = ["door-open", "door-close", "compressor-failing", "sensor-stuck"];

export interface FaultParams {
  /** Meter or store ids; undefined = every meter (meter faults) or every store (store faults). */
  targets?: string[];
  ppm?: number;
  factor?: number;
  count?: number;
  /** Refrigeration unit 1..units; undefined = every unit. */
  unit?: number;
  sensor?: "supplyAir" | "product";
}

const round1 = (v: number) => Math.round(v * 10) / 10;

/** The first time ≥ fromMs on the grid k·interval + offset. */
function firstOnGrid(fromMs: number, intervalMs: number, offsetMs: number): number {
  return Math.ceil((fromMs - offsetMs) / intervalMs) * intervalMs + offsetMs;
}

export class Simulator {
  readonly config: SimConfig;
  /** Simulated time every event up to which has been produced. */
  now: number;
  private readonly meters: MeterState[];
  private readonly byUnit = new Map<number, MeterState>();
  private readonly byId = new Map<string, MeterState>();
  private readonly stores: StoreState[];
  private readonly storeById = new Map<string, StoreState>();
  private readonly hourOf: (ms: number) => number;

  constructor(config: SimConfig) {
    this.config = config;
    this.now = config.startMs;
    const zone = config.zone;
    this.hourOf = zone === "UTC" ? (ms) => Math.floor(ms / HOUR_MS) % 24 : (ms) => DateTime.fromMillis(ms, { zone }).hour;
    this.meters = config.meters.map((spec) => {
      const key = streamKey(config.seed, spec.id, "rate");
      const jitterMs = Math.floor(uniform(streamKey(config.seed, spec.id, "jitter"), 0) * (config.jitterS + 1)) * 1000;
      const registerBase = Math.floor(uniform(streamKey(config.seed, spec.id, "initial"), 0) * INITIAL_MAX[spec.type]);
      const m: MeterState = {
        spec, key, jitterMs, nextMs: firstOnGrid(config.startMs, config.intervalMs, jitterMs), integratedMs: config.startMs,
        consumed: 0, registerBase, lastReadConsumed: 0, status: 0, clockOffsetMs: 0, registers: [],
        faults: { offline: false, driftPpm: 0, spike: 0, stuck: false, notImplemented: false, duplicate: 0 },
      };
      m.registers = encodeRegisters(registerBase, this.slotRate(m, config.startMs), 0);
      this.byUnit.set(spec.unitId, m);
      this.byId.set(spec.id, m);
      return m;
    });
    this.stores = config.stores.map((spec) => {
      const key = streamKey(config.seed, spec.id, "fridge");
      const jitterKey = streamKey(config.seed, spec.id, "jitter");
      const units: UnitState[] = [];
      for (let u = 0; u < spec.units; u++) {
        // Walk-in coolers and reach-in cases holding product at 35.5-37.5 °F, supply air 3 °F colder on average.
        const setpoint = round1(35.5 + 2 * uniform(key, u, 1));
        const jitterMs = Math.floor(uniform(jitterKey, u) * (config.jitterS + 1)) * 1000;
        units.push({
          setpoint, cycleMs: (18 + 12 * uniform(key, u, 2)) * 60_000, phase: uniform(key, u, 3),
          supply: setpoint - SUPPLY_BELOW, product: setpoint, jitterMs, nextMs: firstOnGrid(config.startMs, config.fridgeIntervalMs, jitterMs),
          faults: { doorOpen: false },
        });
      }
      const s: StoreState = { spec, key, nextMs: Math.min(...units.map((u) => u.nextMs)), units };
      this.storeById.set(spec.id, s);
      return s;
    });
  }

  /** The hourly rate (raw register units per hour) of the 15-minute slot holding `ms`. */
  private slotRate(m: MeterState, ms: number): number {
    const slot = Math.floor(ms / SLOT_MS);
    const [lo, hi] = periodOf(this.hourOf(slot * SLOT_MS))[m.spec.type];
    return (lo + (hi - lo) * uniform(m.key, slot)) * TOTAL_SCALE[m.spec.type];
  }

  /** Consumption up to `toMs`, slot by slot. */
  private integrate(m: MeterState, toMs: number): void {
    let t = m.integratedMs;
    while (t < toMs) {
      const end = Math.min(toMs, (Math.floor(t / SLOT_MS) + 1) * SLOT_MS);
      m.consumed += (this.slotRate(m, t) * (end - t)) / HOUR_MS;
      t = end;
    }
    m.integratedMs = Math.max(m.integratedMs, toMs);
  }

  /** The time of the next event (a meter's or a store's reading). */
  nextEventMs(): number {
    let next = Infinity;
    for (const m of this.meters) if (m.nextMs < next) next = m.nextMs;
    for (const s of this.stores) if (s.nextMs < next) next = s.nextMs;
    return next;
  }

  /**
   * Produce the events due up to `untilMs` (inclusive), in time order, at most `max` of them. When all are
   * produced, `now` becomes untilMs; otherwise it stays at the last event's time (call again for the rest).
   */
  step(untilMs: number, max = Infinity): SimEvent[] {
    const out: SimEvent[] = [];
    while (out.length < max) {
      let best: MeterState | StoreState | undefined;
      let bestMs = Infinity;
      for (const m of this.meters) {
        if (m.nextMs < bestMs) {
          best = m;
          bestMs = m.nextMs;
        }
      }
      for (const s of this.stores) {
        if (s.nextMs < bestMs) {
          best = s;
          bestMs = s.nextMs;
        }
      }
      if (!best || bestMs > untilMs) {
        this.now = Math.max(this.now, untilMs);
        return out;
      }
      this.now = bestMs;
      out.push("units" in best ? this.readStore(best) : this.readMeter(best));
    }
    return out;
  }

  private readMeter(m: MeterState): MeterReadingEvent {
    const t = m.nextMs;
    m.nextMs = t + this.config.intervalMs;
    this.integrate(m, t);
    const since = m.lastReadMs ?? this.config.startMs;
    const delta = m.consumed - m.lastReadConsumed;
    // Rate register: the mean over the time since the last reading (the current slot's rate at the very start).
    const hourly = t > since ? (delta * HOUR_MS) / (t - since) : this.slotRate(m, t);
    const type = m.spec.type;
    let rate = (hourly / TOTAL_SCALE[type]) * RATE_FROM_HOURLY[type] * RATE_SCALE[type];
    let total = m.registerBase + m.consumed;
    const f = m.faults;
    m.clockOffsetMs += ((t - since) * f.driftPpm) / 1e6;
    m.lastReadMs = t;
    m.lastReadConsumed = m.consumed;
    if (f.spike > 0) {
      total += delta * (f.spike - 1);
      rate *= f.spike;
      f.spike = 0;
    }
    if (f.notImplemented) m.registers = [NOT_IMPLEMENTED_U32 >>> 16, NOT_IMPLEMENTED_U32 & 0xffff, NOT_IMPLEMENTED_U16, NOT_IMPLEMENTED_U16];
    else if (!f.stuck) m.registers = encodeRegisters(total, rate, m.status);
    const copies = f.duplicate > 0 && !f.offline ? 2 : 1;
    if (copies === 2) f.duplicate--;
    return {
      kind: "meter", meterId: m.spec.id, type, unitId: m.spec.unitId, timeMs: t, clockMs: t + Math.round(m.clockOffsetMs),
      registers: m.registers.slice(), online: !f.offline, copies,
    };
  }

  /** The reading of the store's unit that is due first: one unit's two sensors, at the unit's own offset. */
  private readStore(s: StoreState): FridgeReadingEvent {
    let k = 0;
    for (let i = 1; i < s.units.length; i++) if (s.units[i].nextMs < s.units[k].nextMs) k = i;
    const u = s.units[k];
    const t = u.nextMs;
    u.nextMs = t + this.config.fridgeIntervalMs;
    s.nextMs = Math.min(...s.units.map((x) => x.nextMs));
    const step = Math.floor(t / this.config.fridgeIntervalMs);
    const hours = this.config.fridgeIntervalMs / HOUR_MS;
    const f = u.faults;
    // Supply air follows its target quickly: the compressor's cycle around setpoint − 3 °F, rising 1.5 °F an hour
    // while the compressor fails (up to the store's 70 °F), 55 °F (store air mixed in) while the door is open. The product, a thermal mass,
    // follows supply air + 3 °F slowly (a time constant of about 100 minutes), never past the store's air.
    let target = u.setpoint - SUPPLY_BELOW + CYCLE_SWING * Math.sin(2 * Math.PI * (t / u.cycleMs + u.phase));
    if (f.compressorSinceMs !== undefined) target = Math.min(AMBIENT, target + (1.5 * Math.max(0, t - f.compressorSinceMs)) / HOUR_MS);
    if (f.doorOpen) target = Math.max(target, 55);
    const kS = Math.min(1, 0.5 * (hours * 12));
    const kP = Math.min(1, 0.05 * (hours * 12));
    u.supply += (target - u.supply) * kS;
    u.product += (Math.min(AMBIENT, u.supply + SUPPLY_BELOW) - u.product) * kP;
    const noiseS = (uniform(s.key, step, 2 * k + 100) * 2 - 1) * NOISE_SUPPLY;
    const noiseP = (uniform(s.key, step, 2 * k + 101) * 2 - 1) * NOISE_PRODUCT;
    const value: FridgeValue = {
      unit: k + 1,
      supplyAir: f.stuckSupply ?? round1(u.supply + noiseS),
      product: f.stuckProduct ?? round1(u.product + noiseP),
    };
    return { kind: "fridge", storeId: s.spec.id, timeMs: t, values: [value] };
  }

  /** The registers a Modbus server serves for a unit id, or undefined for no such meter. */
  registersOf(unitId: number): { registers: number[]; online: boolean } | undefined {
    const m = this.byUnit.get(unitId);
    return m ? { registers: m.registers, online: !m.faults.offline } : undefined;
  }

  hasUnit(unitId: number): boolean {
    return this.byUnit.has(unitId);
  }

  private meterTargets(ids: string[] | undefined): MeterState[] {
    if (ids === undefined) return this.meters;
    return ids.map((id) => {
      const m = this.byId.get(id);
      if (!m) {
        const known = [...this.byId.keys()];
        throw new InputError(`msg.meter "${id}" is not a meter of this simulator (${known.length ? known.join(", ") : "it has none"})`, "unknown meter");
      }
      return m;
    });
  }

  private storeTargets(ids: string[] | undefined): StoreState[] {
    if (ids === undefined) return this.stores;
    return ids.map((id) => {
      const s = this.storeById.get(id);
      if (!s) {
        const known = [...this.storeById.keys()];
        throw new InputError(`msg.meter "${id}" is not a refrigerated store of this simulator (${known.length ? known.join(", ") : "it has none"})`, "unknown meter");
      }
      return s;
    });
  }

  /** Apply a meter fault. Throws an InputError naming what is wrong. Returns the meters it applied to. */
  meterFault(cmd: MeterCommand, p: FaultParams = {}): string[] {
    const list = this.meterTargets(p.targets);
    if (cmd === "drift" && !(typeof p.ppm === "number" && Number.isFinite(p.ppm) && Math.abs(p.ppm) <= 1e6))
      throw new InputError(`msg.ppm ${JSON.stringify(p.ppm)} must be a number of parts per million from -1000000 to 1000000 (0 = no drift)`, "bad ppm");
    if (cmd === "spike" && p.factor !== undefined && !(typeof p.factor === "number" && p.factor > 0 && p.factor <= 1000))
      throw new InputError(`msg.factor ${JSON.stringify(p.factor)} must be a number above 0 and at most 1000`, "bad factor");
    if (cmd === "duplicate" && p.count !== undefined && !(Number.isInteger(p.count) && (p.count as number) >= 1 && (p.count as number) <= 10000))
      throw new InputError(`msg.count ${JSON.stringify(p.count)} must be a whole number from 1 to 10000`, "bad count");
    for (const m of list) {
      const f = m.faults;
      switch (cmd) {
        case "offline": f.offline = true; break;
        case "online": f.offline = false; break;
        case "drift": f.driftPpm = p.ppm as number; break;
        case "spike": f.spike = p.factor ?? 10; break;
        case "stuck": f.stuck = true; break;
        case "not-implemented": f.notImplemented = true; break;
        case "duplicate": f.duplicate = p.count ?? 1; break;
        case "counter-reset":
          // The meter is replaced: the new one counts from 0 (status bit 0 says so).
          this.integrate(m, this.now);
          m.registerBase = -m.consumed;
          m.status |= STATUS_RESET;
          break;
      }
    }
    return list.map((m) => m.spec.id);
  }

  /** Apply a refrigeration fault. Throws an InputError naming what is wrong. */
  storeFault(cmd: StoreCommand, p: FaultParams = {}): string[] {
    const list = this.storeTargets(p.targets);
    if (p.unit !== undefined) {
      for (const s of list) {
        if (!(Number.isInteger(p.unit) && p.unit >= 1 && p.unit <= s.units.length))
          throw new InputError(`msg.unit ${JSON.stringify(p.unit)} must be a unit number from 1 to ${s.units.length} (store ${s.spec.id})`, "bad unit");
      }
    }
    for (const s of list) {
      const units = p.unit === undefined ? s.units : [s.units[p.unit - 1]];
      for (const u of units) {
        const f = u.faults;
        switch (cmd) {
          case "door-open": f.doorOpen = true; break;
          case "door-close": f.doorOpen = false; break;
          case "compressor-failing": f.compressorSinceMs ??= this.now; break;
          case "sensor-stuck":
            if (p.sensor !== "product") f.stuckSupply ??= round1(u.supply);
            if (p.sensor !== "supplyAir") f.stuckProduct ??= round1(u.product);
            break;
        }
      }
    }
    return list.map((s) => s.spec.id);
  }

  /** Clear every fault of the targets (meters and stores; undefined = all). A drifted clock is set right. */
  clear(targets?: string[]): string[] {
    const done: string[] = [];
    for (const id of targets ?? [...this.byId.keys(), ...this.storeById.keys()]) {
      const m = this.byId.get(id);
      const s = this.storeById.get(id);
      if (m) {
        m.faults = { offline: false, driftPpm: 0, spike: 0, stuck: false, notImplemented: false, duplicate: 0 };
        m.clockOffsetMs = 0;
      } else if (s) {
        for (const u of s.units) u.faults = { doorOpen: false };
      } else {
        throw new InputError(`msg.meter "${id}" is neither a meter nor a store of this simulator`, "unknown meter");
      }
      done.push(id);
    }
    return done;
  }

  /** The faults in force, as a count (for the status). */
  activeFaults(): number {
    let n = 0;
    for (const m of this.meters) {
      const f = m.faults;
      if (f.offline || f.driftPpm !== 0 || f.spike > 0 || f.stuck || f.notImplemented || f.duplicate > 0) n++;
    }
    for (const s of this.stores)
      for (const u of s.units) {
        const f = u.faults;
        if (f.doorOpen || f.compressorSinceMs !== undefined || f.stuckSupply !== undefined || f.stuckProduct !== undefined) n++;
      }
    return n;
  }

  /** A snapshot for the state command: meters with registers and faults, stores with their units. */
  snapshot(): Record<string, unknown> {
    return {
      time: new Date(this.now).toISOString(),
      meters: this.meters.map((m) => ({
        id: m.spec.id, type: m.spec.type, unitId: m.spec.unitId, jitterS: m.jitterMs / 1000, registers: m.registers.slice(),
        clockOffsetMs: Math.round(m.clockOffsetMs), faults: { ...m.faults },
      })),
      stores: this.stores.map((s) => ({
        id: s.spec.id,
        units: s.units.map((u, k) => ({
          unit: k + 1, jitterS: u.jitterMs / 1000, setpoint: u.setpoint, supplyAir: round1(u.supply), product: round1(u.product), faults: { ...u.faults },
        })),
      })),
    };
  }
}
