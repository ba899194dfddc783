/**
 * meter-normalize's config versions. Version 0 is a config saved before versions existed.
 * Each step has a unit test against a frozen old config in test/fixtures/configs/meter-normalize/.
 */
import type { Migration } from "../shared/migrations";

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    describe: "versions begin: a register map, JSON mapping or device table given as an object (an imported flow) is kept as its JSON text",
    up(def) {
      const d = { ...def };
      for (const k of ["registerMap", "jsonMapping", "devices"]) {
        const v = d[k];
        if (v !== undefined && v !== null && typeof v === "object") d[k] = JSON.stringify(v, null, 2);
      }
      return d;
    },
  },
];
