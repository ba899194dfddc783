/**
 * The register map of each simulated meter type, in the format meter-normalize reads (its register-map schema):
 * give the map to meter-normalize (its Register map field, or msg.registerMap, which meter-sim can attach to each
 * message) and it decodes what the simulator serves. The same registers are in the holding table (function code
 * 3) and the input table (function code 4), from protocol address 0 (Modicon 40001 and 30001).
 *
 * | Address | Registers | Electric                      | Gas                             | Water                      |
 * | 0       | 2, uint32 | energy, 0.001 kWh (1 Wh)      | volume, 0.001 m3 (1 l)          | volume, 0.1 l              |
 * | 2       | 1, uint16 | power, W (mean since the last reading) | flow, 0.001 m3/h (→ l/s) | flow, 0.1 l/h (→ l/s)      |
 * | 3       | 1, uint16 | status: bit 0 set once the counter was reset (meter replaced)  | same                       | same |
 *
 * Not implemented (the SunSpec sentinels): 0xFFFFFFFF in a uint32, 0xFFFF in a uint16; the map lists them as
 * `invalid`, so meter-normalize gives value null with quality BAD.
 */
import type { MeterType } from "./patterns";

export const REGISTER_COUNT = 4;
export const NOT_IMPLEMENTED_U32 = 0xffffffff;
export const NOT_IMPLEMENTED_U16 = 0xffff;

export interface SimRegisterMap {
  mapId: string;
  mapVersion: string;
  description: string;
  addressBase: 0;
  defaults: { table: "holding"; endian: "ABCD" };
  points: {
    id: string; address: number; type: "uint32" | "uint16"; scale?: number; sourceUnit?: string; unit?: string; invalid?: number[];
    description: string;
  }[];
}

/** Raw register units per unit of the meter's total (1000 Wh per kWh, 1000 l per m3, 10 per l). */
export const TOTAL_SCALE: Record<MeterType, number> = { electric: 1000, gas: 1000, water: 10 };
/** Raw register units per unit of the rate register (1 W per W, 1000 per m3/h, 10 per l/h). */
export const RATE_SCALE: Record<MeterType, number> = { electric: 1, gas: 1000, water: 10 };
/** The rate register from an hourly consumption in the total's unit (kWh/h → W is ×1000). */
export const RATE_FROM_HOURLY: Record<MeterType, number> = { electric: 1000, gas: 1, water: 1 };

/** [measurement, scale, unit, source unit]: a flow register in m3/h or l/h leaves meter-normalize in SenML l/s. */
type PointDef = [string, number, string, string?];

function map(type: MeterType, total: PointDef, rate: PointDef): SimRegisterMap {
  return {
    mapId: `meter-sim-${type}`,
    mapVersion: "1.0.0",
    description: `meter-sim ${type} meter: cumulative ${total[0]} register, mean ${rate[0]} of the last interval, status`,
    addressBase: 0,
    defaults: { table: "holding", endian: "ABCD" },
    points: [
      { id: total[0], address: 0, type: "uint32", scale: total[1], unit: total[2], invalid: [NOT_IMPLEMENTED_U32], description: `cumulative ${total[0]} register` },
      { id: rate[0], address: 2, type: "uint16", scale: rate[1], ...(rate[3] ? { sourceUnit: rate[3] } : {}), unit: rate[2], invalid: [NOT_IMPLEMENTED_U16], description: `mean ${rate[0]} over the last reading interval` },
      { id: "status", address: 3, type: "uint16", invalid: [NOT_IMPLEMENTED_U16], description: "bit 0: the counter was reset (meter replaced)" },
    ],
  };
}

export const REGISTER_MAPS: Readonly<Record<MeterType, SimRegisterMap>> = {
  electric: map("electric", ["energy", 0.001, "kWh"], ["power", 1, "W"]),
  gas: map("gas", ["volume", 0.001, "m3"], ["flow", 0.001, "l/s", "m3/h"]),
  water: map("water", ["volume", 0.1, "l"], ["flow", 0.1, "l/s", "l/h"]),
};

/** Status register: bit 0 is set once the counter was reset (the meter replaced). */
export const STATUS_RESET = 1;

/**
 * The four registers of a meter: total (uint32, high word first, rolling over below the sentinel as a register
 * does), rate (uint16, capped one below the sentinel), status (uint16).
 */
export function encodeRegisters(total: number, rate: number, status: number): number[] {
  const t = Math.max(0, Math.floor(total)) % NOT_IMPLEMENTED_U32;
  const r = Math.max(0, Math.min(NOT_IMPLEMENTED_U16 - 1, Math.round(rate)));
  return [Math.floor(t / 0x10000), t % 0x10000, r, status & 0xffff];
}
