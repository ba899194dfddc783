/**
 * store-forward's configuration: what the edit dialog stores, checked against the field specs (fields.ts, the
 * same check the editor runs) and turned into the options of the journal and the forwarder.
 */
import path from "node:path";
import { parseFields } from "../shared/fields";
import type { ForwarderOptions } from "./forwarder";
import type { Durability, JournalOptions, Overflow } from "./journal";
import { FIELDS } from "./fields";

export type StoreForwardDef = { [K in keyof typeof FIELDS]?: string | number };

interface Parsed {
  dir: string;
  maxBytes: number;
  maxRecords: number;
  maxAgeHours: number;
  overflow: Overflow;
  durability: Durability;
  syncInterval: number;
  ackTimeout: number;
  retryMax: number;
  batchSize: number;
  inFlight: number;
  rateMsgs: number;
  rateBytes: number;
  keyProperty: string;
  stuckAfter: number;
  metricsInterval: number;
  watermarks: number[];
}

export interface StoreForwardConfig {
  journal: JournalOptions;
  forwarder: Omit<ForwarderOptions, "nodeId">;
  metricsIntervalMs: number;
}

/** Every field's default, as the runtime reads it. */
export const DEFAULTS = Object.fromEntries(Object.entries(FIELDS).map(([k, f]) => [k, f.default])) as { [K in keyof typeof FIELDS]: (typeof FIELDS)[K]["default"] };

/** Check the dialog's values. `defaultDir` is the folder for this node under the Node-RED user directory. */
export function parseStoreForwardConfig(def: StoreForwardDef, defaultDir: string): StoreForwardConfig {
  const f = parseFields<Parsed & Record<string, unknown>>(FIELDS, def as Record<string, unknown>);
  return {
    journal: {
      dir: f.dir ? path.resolve(f.dir) : defaultDir,
      maxBytes: f.maxBytes,
      maxRecords: f.maxRecords,
      maxAgeMs: f.maxAgeHours * 3600e3,
      overflow: f.overflow,
      durability: f.durability,
      syncIntervalMs: f.syncInterval,
      segmentBytes: Math.max(64 * 1024, Math.min(4 * 1024 * 1024, Math.floor(f.maxBytes / 16))),
    },
    forwarder: {
      batchSize: f.batchSize,
      window: f.inFlight,
      ackTimeoutMs: f.ackTimeout * 1000,
      // Retries back off from 1 s (or retryMax if smaller) up to retryMax.
      backoffMs: Math.min(1000, f.retryMax * 1000),
      maxBackoffMs: f.retryMax * 1000,
      rateMsgs: f.rateMsgs,
      rateBytes: f.rateBytes,
      keyProperty: f.keyProperty.replace(/^msg\./, ""),
      stuckAfter: f.stuckAfter,
      watermarks: f.watermarks,
      degradeAt: 95,
      staleAfterMs: 24 * 3600e3,
    },
    metricsIntervalMs: f.metricsInterval * 1000,
  };
}
