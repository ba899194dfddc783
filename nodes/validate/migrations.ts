/**
 * validate's config versions. Version 0 is a config saved before versions existed.
 */
import type { Migration } from "../shared/migrations";

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    describe: "versions begin: a rule list given as an array (an imported flow) is kept as its JSON text; nothing else changes",
    up(def) {
      const d = { ...def };
      if (Array.isArray(d.rules)) d.rules = JSON.stringify(d.rules, null, 2);
      return d;
    },
  },
];
