/**
 * lwm2m-server's config fields. `port` and `bind` are the names (a contract).
 */
import type { FieldSpecs } from "../shared/fields";

export const FIELDS = {
  port: { kind: "number", label: "Port", default: 5683, min: 0, max: 65535, integer: true, zeroMeans: "any free port" },
  bind: { kind: "text", label: "Bind address", default: "127.0.0.1", maxLength: 64, pattern: "^[0-9A-Fa-f.:]+$", patternText: "an IP address such as 127.0.0.1, 0.0.0.0 or ::" },
  awakeSeconds: { kind: "number", label: "Queue mode: awake seconds after an Update", default: 93, min: 1, max: 86400, integer: true, unit: "s" },
  timeoutSeconds: { kind: "number", label: "Request timeout seconds", default: 10, min: 1, max: 600, unit: "s" },
  dir: { kind: "text", label: "Directory", default: "", maxLength: 4096 },
} satisfies FieldSpecs;
