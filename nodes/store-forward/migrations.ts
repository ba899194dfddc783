/**
 * store-forward's config versions. Version 0 is a config saved before versions existed.
 * Each step has a unit test against a frozen old config in test/fixtures/configs/store-forward/.
 */
import type { Migration } from "../shared/migrations";
import { DEFAULT_SYNC_INTERVAL_MS } from "./journal/sync-policy";

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    describe:
      "versions begin; Sync every 200 ms, the 0.1.0 dialog's default saved by every node whether chosen or not, becomes the SD-aware default " +
      "(a sync once 4 KiB is waiting or after 3 s: 2x write amplification at 10 readings/s instead of 11x); an emptied watermark list means the default",
    up(def) {
      const d = { ...def };
      if (typeof d.watermarks === "string" && d.watermarks.trim() === "") delete d.watermarks;
      if (d.syncInterval === 200 || d.syncInterval === "200") d.syncInterval = DEFAULT_SYNC_INTERVAL_MS;
      return d;
    },
  },
];
