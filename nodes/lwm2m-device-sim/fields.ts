/** lwm2m-device-sim's config fields. */
import type { FieldSpecs } from "../shared/fields";
import { PROFILES } from "./profiles";

export const FIELDS = {
  serverHost: { kind: "text", label: "Server host", default: "127.0.0.1", maxLength: 64, pattern: "^[0-9.]+$", patternText: "an IPv4 address such as 127.0.0.1" },
  serverPort: { kind: "number", label: "Server port", default: 5683, min: 1, max: 65535, integer: true },
  count: { kind: "number", label: "Device count", default: 3, min: 1, max: 1000, integer: true },
  prefix: { kind: "text", label: "Endpoint prefix", default: "sim-", maxLength: 64, pattern: "^[A-Za-z0-9_.:-]+$", patternText: "letters, digits and _ . : -" },
  profiles: {
    kind: "text",
    label: "Profiles",
    default: "healthy",
    maxLength: 1000,
    pattern: `^\\s*(${PROFILES.join("|")})\\s*(,\\s*(${PROFILES.join("|")})\\s*)*$`,
    patternText: `a comma-separated list of ${PROFILES.join(", ")} (given to the devices in turn)`,
  },
  hardware: {
    kind: "text",
    label: "Hardware revisions",
    default: "rev-A",
    maxLength: 1000,
    pattern: "^\\s*[A-Za-z0-9_.-]+\\s*(,\\s*[A-Za-z0-9_.-]+\\s*)*$",
    patternText: "a comma-separated list of hardware revisions such as rev-A,rev-B (given to the devices in turn; letters, digits and _ . -)",
  },
  bugHardware: {
    kind: "text",
    label: "Bug hardware revision",
    default: "",
    maxLength: 64,
    pattern: "^[A-Za-z0-9_.-]+$",
    patternText: "one hardware revision such as rev-B (empty: only the firmware-bug profile crashes)",
  },
  speed: { kind: "number", label: "Simulated time speed", default: 60, min: 1, max: 1_000_000, unit: "x" },
  binding: { kind: "enum", label: "Binding", default: "U", values: ["U", "UQ"] },
  lifetime: { kind: "number", label: "Lifetime seconds", default: 60, min: 1, max: 86400, integer: true, unit: "s" },
  firmwareVersion: { kind: "text", label: "Firmware version", default: "1.0.0", maxLength: 64 },
  bugVersion: { kind: "text", label: "Bug version (firmware-bug profile)", default: "2.0.0-rc1", maxLength: 64 },
  rebootEveryMinutes: { kind: "number", label: "Reboot every minutes (simulated, firmware-bug loop)", default: 60, min: 1, max: 100000, unit: "min" },
  downloadSeconds: { kind: "number", label: "Download seconds", default: 2, min: 0, max: 3600, unit: "s" },
  updateSeconds: { kind: "number", label: "Update seconds", default: 1, min: 0, max: 3600, unit: "s" },
} satisfies FieldSpecs;
