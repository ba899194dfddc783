/**
 * lwm2m-server's config: the dialog's values checked by the field specs, and the bind address checked as an IP.
 */
import net from "node:net";
import path from "node:path";
import { ConfigError } from "../shared/errors";
import { parseFields } from "../shared/fields";
import { FIELDS } from "./fields";

export interface Lwm2mServerConfig {
  port: number;
  bind: string;
  awakeMs: number;
  timeoutMs: number;
  /** Where the registrations are kept across redeploys and restarts. */
  dir: string;
}

/** Parse the node's config; `defaultDir` is its folder under the user directory. Throws a ConfigError naming the field. */
export function parseServerConfig(def: Record<string, unknown>, defaultDir: string): Lwm2mServerConfig {
  const f = parseFields<{ port: number; bind: string; awakeSeconds: number; timeoutSeconds: number; dir: string }>(FIELDS, def);
  if (net.isIP(f.bind) === 0) throw new ConfigError(`${FIELDS.bind.label}: "${f.bind}" is not an IP address (use 127.0.0.1, 0.0.0.0 for every interface, or the field interface's address)`, "bind");
  return { port: f.port, bind: f.bind, awakeMs: f.awakeSeconds * 1000, timeoutMs: f.timeoutSeconds * 1000, dir: f.dir ? path.resolve(f.dir) : defaultDir };
}
