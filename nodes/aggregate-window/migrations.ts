/**
 * aggregate-window's config versions. Version 1 is the node's first release.
 */
import type { Migration } from "../shared/migrations";

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    describe: "versions begin (identity): aggregates given as an object (an imported flow) is kept as its JSON text",
    up(def) {
      const d = { ...def };
      if (d.aggregates !== undefined && d.aggregates !== null && typeof d.aggregates === "object") d.aggregates = JSON.stringify(d.aggregates);
      return d;
    },
  },
];
