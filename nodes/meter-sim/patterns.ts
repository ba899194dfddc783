/**
 * The seeds' daily consumption pattern (smart-metering lab, step 1 "Smart Meter Simulator"): per time period of
 * the local day, a range of hourly consumption for each meter type. Each 15-minute slot of a meter draws its
 * rate uniformly within its period's range.
 *
 * | Period                      | Electric (kWh/h) | Gas (m³/h) | Water (L/h) |
 * | Night (00:00-06:00)         | 0.3-0.5          | 0.1-0.2    | 5-10        |
 * | Morning peak (06:00-09:00)  | 1.5-3.0          | 0.8-1.5    | 40-80       |
 * | Daytime (09:00-17:00)       | 0.8-1.2          | 0.2-0.4    | 15-25       |
 * | Evening peak (17:00-22:00)  | 2.0-4.0          | 1.0-2.0    | 50-100      |
 * | Late night (22:00-00:00)    | 0.5-0.8          | 0.3-0.5    | 10-20       |
 */
export type MeterType = "electric" | "gas" | "water";
export const METER_TYPES: readonly MeterType[] = ["electric", "gas", "water"];

export interface Period {
  name: string;
  /** First hour of the period (local time), inclusive. */
  from: number;
  /** Hour the period ends (exclusive). */
  to: number;
  /** [min, max] per hour, in the type's unit (kWh, m3, l). */
  electric: readonly [number, number];
  gas: readonly [number, number];
  water: readonly [number, number];
}

export const DAILY_PATTERN: readonly Period[] = [
  { name: "night", from: 0, to: 6, electric: [0.3, 0.5], gas: [0.1, 0.2], water: [5, 10] },
  { name: "morning peak", from: 6, to: 9, electric: [1.5, 3.0], gas: [0.8, 1.5], water: [40, 80] },
  { name: "daytime", from: 9, to: 17, electric: [0.8, 1.2], gas: [0.2, 0.4], water: [15, 25] },
  { name: "evening peak", from: 17, to: 22, electric: [2.0, 4.0], gas: [1.0, 2.0], water: [50, 100] },
  { name: "late night", from: 22, to: 24, electric: [0.5, 0.8], gas: [0.3, 0.5], water: [10, 20] },
];

/** The period of a local hour 0..23. */
export function periodOf(hour: number): Period {
  for (const p of DAILY_PATTERN) if (hour >= p.from && hour < p.to) return p;
  throw new RangeError(`hour ${hour} is not 0..23`);
}
