/**
 * tariff-bill's config versions. Version 0 is a config saved before versions existed.
 */
import type { Migration } from "../shared/migrations";

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    describe: "versions begin: a tariff given as an object (an imported flow) is kept as its JSON text; nothing else changes",
    up(def) {
      const d = { ...def };
      if (d.tariff !== undefined && d.tariff !== null && typeof d.tariff === "object") d.tariff = JSON.stringify(d.tariff, null, 2);
      return d;
    },
  },
];
