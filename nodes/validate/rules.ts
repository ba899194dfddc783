/**
 * The `rules` field: a JSON array of measurement rules. Each selects measurements by a glob on the name
 * (`measurement`, "*" and "?") and optionally by unit, and sets any of range, monotonic (with rollover), rate,
 * sigma and flatline, with an action that overrides the defaults (range: reject; the others: flag).
 */
import { ConfigError } from "../shared/errors";
import { compileSchema, describeAjvErrors } from "../shared/schema";

export type RuleAction = "flag" | "reject";

export interface Rule {
  /** Glob on the measurement name: "energy*", "voltageL?", "*" (the default). */
  measurement?: string;
  /** Only measurements with this unit. */
  unit?: string;
  min?: number;
  max?: number;
  monotonic?: boolean;
  /** The register's top value (e.g. 99999.9, or 4294967295 for an acc32 register). */
  rollover?: number;
  maxRatePerHour?: number;
  sigma?: number;
  sigmaBy?: "all" | "hour";
  sigmaWarmup?: number;
  sigmaFloor?: number;
  flatline?: number;
  action?: RuleAction;
}

export interface CompiledRule extends Rule {
  /** The rule's place in the list (for reasons: "rule 2"). */
  index: number;
  match: RegExp;
  sigmaWarmup: number;
  sigmaFloor: number;
}

export const DEFAULT_SIGMA_WARMUP = 96;

const RULE_SCHEMA = {
  type: "array",
  items: {
    type: "object",
    additionalProperties: false,
    properties: {
      measurement: { type: "string", minLength: 1 },
      unit: { type: "string", minLength: 1 },
      min: { type: "number" },
      max: { type: "number" },
      monotonic: { type: "boolean" },
      rollover: { type: "number", exclusiveMinimum: 0 },
      maxRatePerHour: { type: "number", exclusiveMinimum: 0 },
      sigma: { type: "number", exclusiveMinimum: 0 },
      sigmaBy: { type: "string", enum: ["all", "hour"] },
      sigmaWarmup: { type: "integer", minimum: 2 },
      sigmaFloor: { type: "number", minimum: 0 },
      flatline: { type: "integer", minimum: 2 },
      action: { type: "string", enum: ["flag", "reject"] },
      name: { type: "string" },
      $comment: { type: "string" },
    },
  },
};

let check: ReturnType<typeof compileSchema<Rule[]>> | undefined;

/** "energy*" → /^energy.*$/ */
export function globToRegExp(glob: string): RegExp {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${re}$`);
}

/** Parse the rules text (or an already parsed array). Throws a ConfigError naming the rule and field. */
export function parseRules(input: string | unknown[]): CompiledRule[] {
  let raw: unknown = input;
  if (typeof input === "string") {
    if (input.trim() === "") return [];
    try {
      raw = JSON.parse(input);
    } catch (err) {
      throw new ConfigError(`rules: not JSON: ${(err as Error).message}`, "rules");
    }
  }
  check ??= compileSchema<Rule[]>(RULE_SCHEMA);
  if (!check(raw)) {
    const errs = describeAjvErrors(check.errors, "/rules", raw);
    throw new ConfigError(`rules: ${Array.isArray(raw) ? errs.join("; ") : "must be a JSON array of rules, e.g. [{\"measurement\":\"energy*\",\"monotonic\":true}]"}`, "rules");
  }
  return raw.map((r, index) => {
    const at = `rules: rule ${index + 1} (${r.measurement ?? "*"})`;
    if (r.min !== undefined && r.max !== undefined && r.min > r.max) throw new ConfigError(`${at}: min ${r.min} is above max ${r.max}`, "rules");
    if (r.rollover !== undefined && !r.monotonic) throw new ConfigError(`${at}: rollover needs "monotonic": true`, "rules");
    const checks = ["min", "max", "monotonic", "maxRatePerHour", "sigma", "flatline"] as const;
    if (!checks.some((k) => r[k] !== undefined && r[k] !== false)) throw new ConfigError(`${at}: sets no check (min, max, monotonic, maxRatePerHour, sigma or flatline)`, "rules");
    return {
      ...r,
      index,
      match: globToRegExp(r.measurement ?? "*"),
      sigmaWarmup: r.sigmaWarmup ?? DEFAULT_SIGMA_WARMUP,
      sigmaFloor: r.sigmaFloor ?? 0,
    };
  });
}

/** The rules that apply to a measurement (name and unit). */
export function rulesFor(rules: readonly CompiledRule[], name: string, unit: string | undefined): CompiledRule[] {
  return rules.filter((r) => r.match.test(name) && (r.unit === undefined || r.unit === unit));
}
