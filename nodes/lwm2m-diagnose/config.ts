/**
 * lwm2m-diagnose's config: the field specs parsed into the tree's rules, with the node's own checks.
 */
import { ConfigError } from "../shared/errors";
import { parseFields } from "../shared/fields";
import type { Def } from "../shared/migrations";
import { FIELDS } from "./fields";
import type { Rules } from "./tree";

export interface DiagnoseConfig extends Rules {
  /** Where the histories are saved; empty: the node's folder under the user directory. */
  stateDir: string;
}

export function parseDiagnoseConfig(def: Def): DiagnoseConfig {
  const cfg = parseFields<DiagnoseConfig & Record<string, unknown>>(FIELDS, def);
  if (cfg.gsmRssiMinDbm >= 0 || cfg.rsrpMinDbm >= 0 || cfg.wlanRssiMinDbm >= 0) {
    const field = cfg.rsrpMinDbm >= 0 ? "rsrpMinDbm" : cfg.gsmRssiMinDbm >= 0 ? "gsmRssiMinDbm" : "wlanRssiMinDbm";
    throw new ConfigError(`${FIELDS[field].label}: a signal floor is a negative number of dBm (e.g. -115)`, field);
  }
  return cfg;
}
