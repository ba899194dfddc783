/**
 * lwm2m-request's config versions. Version 0 is a config saved before versions existed.
 */
import type { Migration } from "../shared/migrations";

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, describe: "versions begin: the first release; the config is kept as it is (identity)", up: (def) => ({ ...def }) },
];
