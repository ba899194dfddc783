/**
 * store-forward's configuration: what the edit dialog stores (text), checked and turned into the options of
 * the journal and the forwarder. Errors name the field.
 */
import path from "node:path";
import { ConfigError } from "../shared/errors";
import type { ForwarderOptions } from "./forwarder";
import type { Durability, JournalOptions, Overflow } from "./journal";

export interface StoreForwardDef {
  dir?: string;
  maxBytes?: string | number;
  maxRecords?: string | number;
  maxAgeHours?: string | number;
  overflow?: string;
  durability?: string;
  syncInterval?: string | number;
  ackTimeout?: string | number;
  batchSize?: string | number;
  inFlight?: string | number;
  rateMsgs?: string | number;
  rateBytes?: string | number;
  retryMax?: string | number;
  keyProperty?: string;
  metricsInterval?: string | number;
  watermarks?: string;
}

export interface StoreForwardConfig {
  journal: JournalOptions;
  forwarder: Omit<ForwarderOptions, "nodeId">;
  metricsIntervalMs: number;
}

export const DEFAULTS = {
  maxBytes: 64 * 1024 * 1024,
  maxRecords: 1_000_000,
  maxAgeHours: 48,
  overflow: "drop-oldest" as Overflow,
  durability: "batch" as Durability,
  syncInterval: 200,
  ackTimeout: 30,
  batchSize: 1,
  inFlight: 10,
  rateMsgs: 0,
  rateBytes: 12_500, // 100 kbit/s, the seeds' replay budget on a 1 Mbit/s link
  retryMax: 300, // seconds: the seeds retry every 5 minutes
  metricsInterval: 60,
  watermarks: "50,75,90",
};

function num(v: unknown, field: string, dflt: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined || v === null || v === "") return dflt;
  const n = typeof v === "number" ? v : Number(String(v).trim());
  if (!Number.isFinite(n) || n < min || n > max) throw new ConfigError(`${field} ${JSON.stringify(v)} must be a number from ${min} to ${max}`, field);
  return n;
}

function oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[], dflt: T): T {
  if (v === undefined || v === null || v === "") return dflt;
  if (!allowed.includes(v as T)) throw new ConfigError(`${field} "${v}" must be one of ${allowed.join(", ")}`, field);
  return v as T;
}

/** Check the dialog's values. `defaultDir` is the folder for this node under the Node-RED user directory. */
export function parseStoreForwardConfig(def: StoreForwardDef, defaultDir: string): StoreForwardConfig {
  const maxBytes = num(def.maxBytes, "maxBytes", DEFAULTS.maxBytes, 1024);
  const watermarks = (def.watermarks?.trim() ? def.watermarks : DEFAULTS.watermarks).split(",").map((w) => {
    const n = Number(w.trim());
    if (!Number.isFinite(n) || n <= 0 || n >= 100) throw new ConfigError(`watermarks "${def.watermarks}" must be percentages between 0 and 100, e.g. 50,75,90`, "watermarks");
    return n;
  });
  const dir = def.dir?.trim() ? path.resolve(def.dir.trim()) : defaultDir;
  return {
    journal: {
      dir,
      maxBytes,
      maxRecords: num(def.maxRecords, "maxRecords", DEFAULTS.maxRecords, 1),
      maxAgeMs: num(def.maxAgeHours, "maxAgeHours", DEFAULTS.maxAgeHours, 0.001) * 3600e3,
      overflow: oneOf(def.overflow, "overflow", ["drop-oldest", "drop-newest", "reject"], DEFAULTS.overflow),
      durability: oneOf(def.durability, "durability", ["always", "batch", "os"], DEFAULTS.durability),
      syncIntervalMs: num(def.syncInterval, "syncInterval", DEFAULTS.syncInterval, 1, 60_000),
      segmentBytes: Math.max(64 * 1024, Math.min(4 * 1024 * 1024, Math.floor(maxBytes / 16))),
    },
    forwarder: {
      batchSize: num(def.batchSize, "batchSize", DEFAULTS.batchSize, 1, 10_000),
      window: num(def.inFlight, "inFlight", DEFAULTS.inFlight, 1, 10_000),
      ackTimeoutMs: num(def.ackTimeout, "ackTimeout", DEFAULTS.ackTimeout, 0.05, 86_400) * 1000,
      backoffMs: Math.min(1000, num(def.retryMax, "retryMax", DEFAULTS.retryMax, 0.05, 86_400) * 1000),
      maxBackoffMs: num(def.retryMax, "retryMax", DEFAULTS.retryMax, 0.05, 86_400) * 1000,
      rateMsgs: num(def.rateMsgs, "rateMsgs", DEFAULTS.rateMsgs, 0),
      rateBytes: num(def.rateBytes, "rateBytes", DEFAULTS.rateBytes, 0),
      keyProperty: (def.keyProperty ?? "").trim().replace(/^msg\./, ""),
      watermarks,
      degradeAt: 95,
      staleAfterMs: 24 * 3600e3,
    },
    metricsIntervalMs: num(def.metricsInterval, "metricsInterval", DEFAULTS.metricsInterval, 0.05, 86_400) * 1000,
  };
}
