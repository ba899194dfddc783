/**
 * meter-sim's config versions. Version 0 is a config saved before versions existed.
 */
import type { Migration } from "../shared/migrations";

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    describe: "versions begin: the first release (identity; a meter list given as an array, from an imported flow, is kept as its JSON text)",
    up(def) {
      const d = { ...def };
      if (d.meters !== undefined && d.meters !== null && typeof d.meters === "object") d.meters = JSON.stringify(d.meters, null, 2);
      return d;
    },
  },
];
