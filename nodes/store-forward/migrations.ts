/**
 * store-forward's config versions. Version 0 is a config saved before versions existed.
 * Each step has a unit test against a frozen old config in test/fixtures/configs/store-forward/.
 */
import type { Migration } from "../shared/migrations";

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    describe: "versions begin: numbers saved as numbers or text are both read; an empty watermark list means the default",
    up(def) {
      const d = { ...def };
      if (typeof d.watermarks === "string" && d.watermarks.trim() === "") delete d.watermarks;
      return d;
    },
  },
];
