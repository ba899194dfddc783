/** Shared helpers of the aggregate-window unit tests. */
import { Aggregator, type Aggregate } from "../../../nodes/aggregate-window/aggregator";
import { parseAggregateWindowConfig, type AggregatorConfig } from "../../../nodes/aggregate-window/config";
import type { CanonicalReading, Quality } from "../../../nodes/shared/canonical-reading";

export const MIN = 60_000;
export const HOUR = 3_600_000;

export function config(over: Record<string, unknown> = {}): AggregatorConfig {
  return parseAggregateWindowConfig({ zone: "UTC", ...over });
}

export function aggregator(over: Record<string, unknown> = {}): Aggregator {
  return new Aggregator(config(over));
}

export function reading(deviceId: string, t: number, values: Record<string, number | null>, quality: Quality = "GOOD"): CanonicalReading {
  const measurements: CanonicalReading["measurements"] = {};
  for (const [k, v] of Object.entries(values)) measurements[k] = { value: v, unit: k.startsWith("energy") ? "kWh" : k.startsWith("power") ? "kW" : "Cel", ...(quality !== "GOOD" ? { quality } : {}) };
  return { deviceId, timestamp: new Date(t).toISOString(), measurements, quality };
}

/** The aggregates of one device keyed by window start (ISO), the last revision winning. */
export function byStart(aggs: Aggregate[]): Map<string, Aggregate> {
  const m = new Map<string, Aggregate>();
  for (const a of aggs) m.set(a.window.start, a);
  return m;
}
