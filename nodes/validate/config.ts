/**
 * validate's config: the dialog's values (checked by the field specs) and the rules (checked by parseRules),
 * with the cross-field checks a field spec cannot make.
 */
import path from "node:path";
import { ConfigError } from "../shared/errors";
import { parseFields } from "../shared/fields";
import type { DriftAction } from "./drift";
import { FIELDS } from "./fields";
import { parseRules } from "./rules";
import type { ValidatorOptions } from "./validator";

export interface ValidateConfig {
  validator: ValidatorOptions;
  /** The state folder. */
  dir: string;
  saveMs: number;
}

export type ValidateDef = Record<string, unknown>;

/** Parse the node's config; `defaultDir` is its folder under the user directory. Throws a ConfigError naming the field. */
export function parseValidateConfig(def: ValidateDef, defaultDir: string): ValidateConfig {
  const f = parseFields<{
    driftAcceptSeconds: number;
    driftRejectSeconds: number;
    driftAction: DriftAction;
    rules: string;
    timeZone: string;
    dedupHours: number;
    dedupMaxKeys: number;
    silenceSeconds: number;
    saveSeconds: number;
    dir: string;
  }>(FIELDS, def);
  if (f.driftRejectSeconds < f.driftAcceptSeconds)
    throw new ConfigError(`${FIELDS.driftRejectSeconds.label}: ${f.driftRejectSeconds} s must not be below ${FIELDS.driftAcceptSeconds.label} (${f.driftAcceptSeconds} s)`, "driftRejectSeconds");
  return {
    validator: {
      drift: { acceptSeconds: f.driftAcceptSeconds, rejectSeconds: f.driftRejectSeconds, action: f.driftAction },
      rules: parseRules(f.rules),
      dedupHours: f.dedupHours,
      dedupMaxKeys: f.dedupMaxKeys,
      silenceSeconds: f.silenceSeconds,
      timeZone: f.timeZone,
    },
    dir: f.dir ? path.resolve(f.dir) : defaultDir,
    saveMs: f.saveSeconds * 1000,
  };
}
