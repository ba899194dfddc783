/**
 * rollout-stage's config: the dialog's values (field specs), the waves checked as cumulative percentages, and the
 * node's state folder.
 */
import path from "node:path";
import { parseFields } from "../shared/fields";
import { FIELDS } from "./fields";
import { parseOptions, type CampaignOptions } from "./options";

export interface RolloutConfig {
  /** The defaults of every campaign (a campaign message may override any of them). */
  options: CampaignOptions;
  /** Where the campaigns' state document lives. */
  dir: string;
}

/** Parse the node's config; `defaultDir` is its folder under the user directory. Throws a ConfigError naming the field. */
export function parseRolloutConfig(def: Record<string, unknown>, defaultDir: string): RolloutConfig {
  const norm = { ...def, preferWeakSignal: typeof def.preferWeakSignal === "boolean" ? String(def.preferWeakSignal) : def.preferWeakSignal };
  const f = parseFields<Record<string, unknown> & { dir: string }>(FIELDS, norm);
  const options = parseOptions(f);
  return { options, dir: f.dir ? path.resolve(f.dir) : defaultDir };
}
