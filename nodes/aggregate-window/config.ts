/**
 * aggregate-window's config: the fields (fields.ts) and the aggregates map, checked together.
 */
import { ConfigError } from "../shared/errors";
import { parseFields } from "../shared/fields";
import type { Def } from "../shared/migrations";
import { FIELDS } from "./fields";
import { expectedCount, createCalendar, nominalMs, type WindowSize } from "./windows";

export const FUNCTIONS = ["sum", "mean", "min", "max", "count", "first", "last", "delta", "twa"] as const;
export type AggFn = (typeof FUNCTIONS)[number];

export interface AggregateRule {
  glob: string;
  re: RegExp;
  fn: AggFn;
}

export interface AggregatorConfig {
  window: WindowSize;
  zone: string;
  aggregates: AggregateRule[];
  intervalSeconds: number;
  label: "start" | "end";
  latenessSeconds: number;
  idleCloseSeconds: number;
  correctionHours: number;
  emit: "revisions" | "final";
  fill: "none" | "linear" | "previous";
  maxFillIntervals: number;
  minCompleteness: number;
  stateDir: string;
}

function globRe(glob: string): RegExp {
  return new RegExp("^" + glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$");
}

/**
 * The aggregates map: `{"energy*":"delta","power*":"mean","*":"mean"}`, a measurement glob (`*`, `?`) to a
 * function. The first glob (in the text's order) that matches a measurement's name decides; a measurement no glob
 * matches is left out of the aggregate.
 */
export function parseAggregates(text: string): AggregateRule[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`Aggregates: not JSON (${(err as Error).message}); write e.g. {"energy*":"delta","*":"mean"}`, "aggregates");
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ConfigError('Aggregates: must be an object from a measurement glob to a function, e.g. {"energy*":"delta","*":"mean"}', "aggregates");
  const rules: AggregateRule[] = [];
  for (const [glob, fn] of Object.entries(v as Record<string, unknown>)) {
    if (glob === "") throw new ConfigError("Aggregates: an empty glob matches nothing; use * for every measurement", "aggregates");
    if (typeof fn !== "string" || !(FUNCTIONS as readonly string[]).includes(fn))
      throw new ConfigError(`Aggregates: "${glob}": ${JSON.stringify(fn)} is not a function; use one of ${FUNCTIONS.join(", ")}`, "aggregates");
    rules.push({ glob, re: globRe(glob), fn: fn as AggFn });
  }
  if (!rules.length) throw new ConfigError('Aggregates: name at least one measurement glob, e.g. {"*":"mean"}', "aggregates");
  return rules;
}

/** The migrated def to the aggregator's config. Throws a ConfigError naming the field. */
export function parseAggregateWindowConfig(def: Def): AggregatorConfig {
  const f = parseFields<Omit<AggregatorConfig, "aggregates"> & { aggregates: string }>(FIELDS, def);
  const aggregates = parseAggregates(f.aggregates);
  if (f.intervalSeconds * 1000 > nominalMs(f.window))
    throw new ConfigError(`Reporting interval: ${f.intervalSeconds} s is longer than a ${f.window} window; a window must hold at least one reading`, "intervalSeconds");
  return { ...f, aggregates };
}

/** What the editor shows: the next window from `now`, its length and the readings it expects. */
export function previewOf(cfg: Pick<AggregatorConfig, "zone" | "window" | "intervalSeconds">, now: number) {
  const cal = createCalendar(cfg.zone, cfg.window);
  const w = cal.next(cal.windowOf(now));
  const fmt = "yyyy-MM-dd HH:mm";
  const hours = (w.end - w.start) / 3_600_000;
  const expected = expectedCount(w, cfg.intervalSeconds);
  const start = cal.localStart(w).toFormat(fmt);
  const end = cal.localStart({ start: w.end, end: w.end }).toFormat(fmt);
  const length = hours >= 1 ? `${+hours.toFixed(2)} h` : `${Math.round(hours * 60)} min`;
  return {
    start,
    end,
    hours,
    expected,
    local: cal.label(w),
    preview: `next window: ${start} → ${end} ${cfg.zone} (${length}, ${expected} readings expected)`,
  };
}
