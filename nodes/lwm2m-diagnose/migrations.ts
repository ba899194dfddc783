/**
 * lwm2m-diagnose's config versions. Version 1 is the node's first release.
 */
import type { Migration } from "../shared/migrations";

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    describe: "versions begin (identity: the first release's fields are kept as they are)",
    up: (def) => ({ ...def }),
  },
];
