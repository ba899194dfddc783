/**
 * meter-sim's configuration: the field values checked by their specs, then the meter list (JSON text), checked
 * here with errors that name the entry and the field.
 */
import { ConfigError } from "../shared/errors";
import { parseFields } from "../shared/fields";
import { isValidZone } from "../shared/time";
import { isRec } from "../shared/util";
import { FIELDS } from "./fields";
import { METER_TYPES, type MeterType } from "./patterns";
import type { MeterSpec, SimConfig, StoreSpec } from "./simulator";

export type EmitMode = "read" | "request" | "none";

export interface MeterSimConfig {
  sim: Omit<SimConfig, "startMs">;
  /** Simulated start (epoch ms), or undefined for the time of the deploy. */
  startMs?: number;
  speed: number;
  emit: EmitMode;
  attachMap: boolean;
  /** The Modbus TCP server's port (0 = a free one), or undefined when the server is off. */
  port?: number;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** The meter list: electric, gas and water meters (with a unit id) and refrigerated stores. */
export function parseMeters(text: string): { meters: MeterSpec[]; stores: StoreSpec[] } {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`meters is not valid JSON: ${(err as Error).message}`, "meters");
  }
  if (!Array.isArray(list) || list.length === 0)
    throw new ConfigError('meters must be a non-empty JSON array such as [{ "id": "elec-001", "type": "electric", "unitId": 1 }]', "meters");
  if (list.length > 1000) throw new ConfigError(`meters lists ${list.length} entries: at most 1000`, "meters");
  const meters: MeterSpec[] = [];
  const stores: StoreSpec[] = [];
  const ids = new Set<string>();
  const units = new Map<number, string>();
  list.forEach((e: unknown, i) => {
    const at = `meters /${i}`;
    if (!isRec(e)) throw new ConfigError(`${at} must be an object with id and type`, "meters");
    if (typeof e.id !== "string" || !ID.test(e.id))
      throw new ConfigError(`${at}/id ${JSON.stringify(e.id)} must be 1 to 64 letters, digits, "_", "." or "-"`, "meters");
    if (ids.has(e.id)) throw new ConfigError(`${at}/id "${e.id}" is already used`, "meters");
    ids.add(e.id);
    if (e.type === "refrigeration") {
      const n = e.units ?? 8;
      if (!(Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 64))
        throw new ConfigError(`${at}/units ${JSON.stringify(e.units)} must be a whole number of refrigeration units from 1 to 64`, "meters");
      stores.push({ id: e.id, units: n as number });
      return;
    }
    if (!METER_TYPES.includes(e.type as MeterType))
      throw new ConfigError(`${at}/type ${JSON.stringify(e.type)} must be electric, gas, water or refrigeration`, "meters");
    const u = e.unitId;
    if (!(Number.isInteger(u) && (u as number) >= 1 && (u as number) <= 247))
      throw new ConfigError(`${at}/unitId ${JSON.stringify(u)} must be a Modbus unit id from 1 to 247`, "meters");
    if (units.has(u as number)) throw new ConfigError(`${at}/unitId ${u} is already the unit id of "${units.get(u as number)}"`, "meters");
    units.set(u as number, e.id);
    meters.push({ id: e.id, type: e.type as MeterType, unitId: u as number });
  });
  return { meters, stores };
}

export function parseMeterSimConfig(def: Record<string, unknown>): MeterSimConfig {
  const f = parseFields<{
    meters: string; seed: number; interval: number; jitter: number; fridgeInterval: number; speed: number; start: string;
    timeZone: string; emit: EmitMode; attachMap: string; server: string; port: number;
  }>(FIELDS, def);
  const { meters, stores } = parseMeters(f.meters || FIELDS.meters.default);
  if (!isValidZone(f.timeZone)) throw new ConfigError(`time zone "${f.timeZone}" is not a valid IANA zone such as Europe/Berlin`, "timeZone");
  let startMs: number | undefined;
  if (f.start) {
    startMs = Date.parse(f.start);
    if (!Number.isFinite(startMs)) throw new ConfigError(`start "${f.start}" is not a valid time`, "start");
  }
  if (f.jitter * 1000 >= f.interval * 60_000)
    throw new ConfigError(`jitter ${f.jitter} s must be shorter than the reading interval (${f.interval} min)`, "jitter");
  return {
    sim: {
      seed: f.seed, zone: f.timeZone, intervalMs: f.interval * 60_000, jitterS: f.jitter, fridgeIntervalMs: f.fridgeInterval * 60_000,
      meters, stores,
    },
    startMs,
    speed: f.speed,
    emit: f.emit,
    attachMap: f.attachMap === "yes",
    port: f.server === "on" ? f.port : undefined,
  };
}
