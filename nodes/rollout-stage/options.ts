/**
 * A campaign's options: the node's config (the field specs) with a campaign message's overrides, checked by the
 * same specs so that the dialog, the runtime and a campaign message refuse the same values with the same words.
 */
import { ConfigError } from "../shared/errors";
import { checkField, type FieldSpec } from "../shared/fields";
import { FIELDS } from "./fields";

export interface CampaignOptions {
  /** Cumulative percentages, ascending, the last 100. */
  waves: number[];
  preferWeakSignal: boolean;
  /** A wave passes when succeeded × 100 ≥ successThreshold × wave size (after its soak). */
  successThreshold: number;
  /** The campaign halts when (failed + unhealthy + timed out) × 100 > failureThreshold × wave size. */
  failureThreshold: number;
  /** Below this many finished devices in the wave, a percentage cannot halt. */
  minDevices: number;
  /** The campaign halts when this many of its devices have failed (0: no absolute limit). */
  maxFailures: number;
  soakMs: number;
  timeoutMs: number;
  /** The most devices updating (or rolling back) at once; 0: no limit. */
  maxConcurrent: number;
  approval: "auto" | "manual";
  onHalt: "pause" | "rollback";
  retries: number;
}

/** The option names a campaign message may override (the config's names). */
export const OPTION_FIELDS = [
  "waves",
  "preferWeakSignal",
  "successThreshold",
  "failureThreshold",
  "minDevices",
  "maxFailures",
  "soakMinutes",
  "timeoutMinutes",
  "maxConcurrent",
  "approval",
  "onHalt",
  "retries",
] as const;

export const DEFAULT_OPTIONS: CampaignOptions = {
  waves: [1, 10, 100],
  preferWeakSignal: false,
  successThreshold: 95,
  failureThreshold: 5,
  minDevices: 1,
  maxFailures: 0,
  soakMs: 30 * 60_000,
  timeoutMs: 60 * 60_000,
  maxConcurrent: 0,
  approval: "auto",
  onHalt: "pause",
  retries: 1,
};

/** "1,10,100" (or [1, 10, 100]) → [1, 10, 100]: ascending cumulative percentages above 0, the last one 100. */
export function parseWaves(raw: unknown, label = FIELDS.waves.label): number[] {
  const text = Array.isArray(raw) ? raw.join(",") : raw;
  const r = checkField(FIELDS.waves, text);
  if (!r.ok) throw new ConfigError(r.error, "waves");
  const waves = String(r.value)
    .split(",")
    .map((s) => Number(s.trim()));
  const hint = "cumulative percentages, ascending, ending at 100, e.g. 1,10,100";
  for (let i = 0; i < waves.length; i++) {
    if (!(waves[i] > 0 && waves[i] <= 100)) throw new ConfigError(`${label}: ${waves[i]} (wave ${i + 1}) must be above 0 and at most 100; use ${hint}`, "waves");
    if (i > 0 && waves[i] <= waves[i - 1]) throw new ConfigError(`${label}: "${String(r.value)}" must be ascending (each wave is a cumulative share of the fleet); use ${hint}`, "waves");
  }
  if (waves[waves.length - 1] !== 100)
    throw new ConfigError(`${label}: "${String(r.value)}" must end at 100, or the campaign would complete with part of the fleet never updated; use ${hint}`, "waves");
  return waves;
}

function field(name: string, spec: FieldSpec, raw: unknown, where: string): unknown {
  const v = typeof raw === "boolean" ? String(raw) : raw;
  const r = checkField(spec, v);
  if (!r.ok) throw new ConfigError(where ? `${where}: ${r.error}` : r.error, name);
  return r.value;
}

/**
 * Options from a set of raw values (the config, or a campaign's overrides on top of `base`). A missing value
 * keeps `base`'s. `where` prefixes messages (e.g. "campaign c1").
 */
export function parseOptions(raw: Record<string, unknown>, base: CampaignOptions = DEFAULT_OPTIONS, where = ""): CampaignOptions {
  const o: CampaignOptions = { ...base, waves: [...base.waves] };
  const has = (k: string) => raw[k] !== undefined && raw[k] !== null && raw[k] !== "";
  if (has("waves")) {
    try {
      o.waves = parseWaves(raw.waves);
    } catch (err) {
      throw new ConfigError(where ? `${where}: ${(err as Error).message}` : (err as Error).message, "waves");
    }
  }
  if (has("preferWeakSignal")) o.preferWeakSignal = field("preferWeakSignal", FIELDS.preferWeakSignal, raw.preferWeakSignal, where) === "true";
  if (has("successThreshold")) o.successThreshold = field("successThreshold", FIELDS.successThreshold, raw.successThreshold, where) as number;
  if (has("failureThreshold")) o.failureThreshold = field("failureThreshold", FIELDS.failureThreshold, raw.failureThreshold, where) as number;
  if (has("minDevices")) o.minDevices = field("minDevices", FIELDS.minDevices, raw.minDevices, where) as number;
  if (has("maxFailures")) o.maxFailures = field("maxFailures", FIELDS.maxFailures, raw.maxFailures, where) as number;
  if (has("soakMinutes")) o.soakMs = Math.round((field("soakMinutes", FIELDS.soakMinutes, raw.soakMinutes, where) as number) * 60_000);
  if (has("timeoutMinutes")) o.timeoutMs = Math.max(1, Math.round((field("timeoutMinutes", FIELDS.timeoutMinutes, raw.timeoutMinutes, where) as number) * 60_000));
  if (has("maxConcurrent")) o.maxConcurrent = field("maxConcurrent", FIELDS.maxConcurrent, raw.maxConcurrent, where) as number;
  if (has("approval")) o.approval = field("approval", FIELDS.approval, raw.approval, where) as "auto" | "manual";
  if (has("onHalt")) o.onHalt = field("onHalt", FIELDS.onHalt, raw.onHalt, where) as "pause" | "rollback";
  if (has("retries")) o.retries = field("retries", FIELDS.retries, raw.retries, where) as number;
  return o;
}
