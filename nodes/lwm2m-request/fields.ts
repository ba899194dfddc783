/**
 * lwm2m-request's config fields. `op`, `path` and `endpoint` are the names (a contract), as is `server`
 * (a config-node reference, outside the field specs).
 */
import type { FieldSpecs } from "../shared/fields";

export const OPS = ["read", "write", "execute", "observe", "cancel-observe", "discover", "write-attributes", "read-composite", "firmware-update"] as const;
export type Op = (typeof OPS)[number];

export const FIELDS = {
  op: { kind: "enum", label: "Operation", default: "read", values: OPS },
  path: { kind: "text", label: "Path", default: "/3/0", maxLength: 64, pattern: "^/(\\d{1,5}(/\\d{1,5}){0,3})?$", patternText: "an LwM2M path such as /3/0 or /3/0/9 (/ for read-composite)" },
  endpoint: { kind: "text", label: "Endpoint", default: "", maxLength: 256 },
  format: { kind: "enum", label: "Content format", default: "auto", values: ["auto", "tlv", "senml-json", "senml-cbor", "text"] },
  timeoutSeconds: { kind: "number", label: "Timeout seconds", default: 0, min: 0, max: 600, zeroMeans: "the server's request timeout", unit: "s" },
  queueWaitSeconds: { kind: "number", label: "Queue wait seconds", default: 60, min: 0, max: 86400, unit: "s", zeroMeans: "do not wait for a sleeping device" },
  stateTimeoutSeconds: { kind: "number", label: "Firmware state timeout seconds", default: 300, min: 1, max: 86400, unit: "s" },
} satisfies FieldSpecs;
