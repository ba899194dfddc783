/** lwm2m-in's config. */
import { parseFields } from "../shared/fields";
import { FIELDS } from "./fields";

export interface Lwm2mInConfig {
  /** The lwm2m-server config node's id. */
  server: string;
  events: Set<string>;
  /** Only this endpoint's events ("" = every endpoint). */
  endpoint: string;
}

export function parseInConfig(def: Record<string, unknown>): Lwm2mInConfig {
  const f = parseFields<{ events: string; endpoint: string }>(FIELDS, def);
  return { server: typeof def.server === "string" ? def.server : "", events: new Set(f.events.split(",").map((s) => s.trim())), endpoint: f.endpoint };
}

/** Does an event pass the node's filters? */
export function wanted(cfg: Pick<Lwm2mInConfig, "events" | "endpoint">, e: { event: string; endpoint: string }): boolean {
  return cfg.events.has(e.event) && (cfg.endpoint === "" || cfg.endpoint === e.endpoint);
}
