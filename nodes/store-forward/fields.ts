/**
 * store-forward's config fields: defaults, limits, units and labels. The runtime parses them (config.ts through
 * the shared field check), and the build emits the editor's `defaults` and `validate` from this one spec.
 */
import type { FieldSpecs } from "../shared/fields";
import { DEFAULT_SYNC_INTERVAL_MS } from "./journal/sync-policy";

export const FIELDS = {
  dir: { kind: "text", label: "Directory", default: "", maxLength: 4096, tab: "storage" },
  maxBytes: { kind: "number", label: "Max bytes", default: 64 * 1024 * 1024, min: 1024, max: 1024 ** 4, sizes: true, unit: "bytes", tab: "storage" },
  maxRecords: { kind: "number", label: "Max records", default: 1_000_000, min: 1, max: 1_000_000_000, integer: true, tab: "storage" },
  maxAgeHours: { kind: "number", label: "Max age", default: 48, min: 0.001, max: 87_600, unit: "h", tab: "storage" },
  overflow: { kind: "enum", label: "When full", default: "drop-oldest", values: ["drop-oldest", "drop-newest", "reject"], tab: "storage" },
  durability: { kind: "enum", label: "Durability", default: "batch", values: ["always", "batch", "os"], tab: "storage" },
  // SD-card wear: under batch a sync also happens once 4 KiB is waiting, so this bounds the power-cut window at low rates.
  syncInterval: { kind: "number", label: "Sync every", default: DEFAULT_SYNC_INTERVAL_MS, min: 1, max: 60_000, unit: "ms", tab: "storage" },
  ackTimeout: { kind: "number", label: "Ack timeout", default: 30, min: 0.05, max: 86_400, unit: "s", tab: "delivery" },
  retryMax: { kind: "number", label: "Retry at most every", default: 300, min: 0.05, max: 86_400, unit: "s", tab: "delivery" },
  batchSize: { kind: "number", label: "Records per message", default: 1, min: 1, max: 10_000, integer: true, tab: "delivery" },
  inFlight: { kind: "number", label: "Unacked messages", default: 10, min: 1, max: 10_000, integer: true, tab: "delivery" },
  rateMsgs: { kind: "number", label: "Replay rate", default: 0, min: 0, max: 1_000_000, unit: "msg/s", zeroMeans: "no limit", tab: "delivery" },
  rateBytes: { kind: "number", label: "Replay rate", default: 12_500, min: 0, max: 1_000_000_000, unit: "bytes/s", zeroMeans: "no limit", tab: "delivery" },
  keyProperty: {
    kind: "text", label: "Idempotency key", default: "", maxLength: 256, tab: "delivery",
    pattern: "^(msg\\.)?[A-Za-z_$][\\w$]*(\\.[A-Za-z_$][\\w$]*)*$", patternText: "a message property such as msg.payload.id",
  },
  stuckAfter: { kind: "number", label: "Stuck after", default: 10, min: 1, max: 1_000_000, integer: true, unit: "attempts", tab: "delivery" },
  metricsInterval: { kind: "number", label: "Metrics every", default: 60, min: 0.05, max: 86_400, unit: "s", tab: "delivery" },
  watermarks: { kind: "numbers", label: "Alert at", default: "50,75,90", min: 0, max: 100, unit: "%", example: "50,75,90", tab: "storage" },
} satisfies FieldSpecs;
