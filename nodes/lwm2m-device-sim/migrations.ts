/**
 * lwm2m-device-sim's config versions. Version 0 is a config saved before versions existed.
 */
import type { Migration } from "../shared/migrations";

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, describe: "versions begin: the first release; the config is kept as it is (identity)", up: (def) => ({ ...def }) },
  {
    version: 2,
    describe: "hardware revisions: every device is rev-A (hardware), and no revision crashes on the bug version by itself (bugHardware empty), as before",
    up: (def) => ({ ...def, hardware: typeof def.hardware === "string" && def.hardware.trim() ? def.hardware : "rev-A", bugHardware: typeof def.bugHardware === "string" ? def.bugHardware : "" }),
  },
];
