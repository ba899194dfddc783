/**
 * meter-sim's config fields: defaults, limits and labels. The runtime parses them (node-runtime), and the build
 * emits the editor's `defaults` and `validate` from this one spec.
 */
import type { FieldSpecs } from "../shared/fields";

export const DEFAULT_METERS = JSON.stringify(
  [
    { id: "elec-001", type: "electric", unitId: 1 },
    { id: "gas-001", type: "gas", unitId: 2 },
    { id: "water-001", type: "water", unitId: 3 },
  ],
  null,
  2,
);

export const FIELDS = {
  meters: { kind: "structured", label: "Meters", default: DEFAULT_METERS, tab: "meters" },
  seed: { kind: "number", label: "Seed", default: 1, min: 0, max: 2147483647, integer: true, tab: "meters" },
  interval: { kind: "number", label: "Reading interval", default: 15, min: 1, max: 1440, integer: true, unit: "min", tab: "meters" },
  jitter: { kind: "number", label: "Jitter", default: 60, min: 0, max: 3600, integer: true, unit: "s", tab: "meters" },
  fridgeInterval: { kind: "number", label: "Refrigeration interval", default: 5, min: 1, max: 60, integer: true, unit: "min", tab: "meters" },
  speed: { kind: "number", label: "Speed", default: 288, min: 0, max: 100000, unit: "× real time", zeroMeans: "paused (only the advance command moves time)", tab: "time" },
  start: {
    kind: "text", label: "Start", default: "", maxLength: 40, tab: "time",
    pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2})$",
    patternText: "an ISO 8601 time with its offset, such as 2026-02-08T00:00:00Z (empty: the time of the deploy)",
  },
  timeZone: { kind: "zone", label: "Time zone", default: "UTC", tab: "time" },
  emit: { kind: "enum", label: "Messages", default: "read", values: ["read", "request", "none"], tab: "output" },
  attachMap: { kind: "enum", label: "Register map on messages", default: "yes", values: ["yes", "no"], tab: "output" },
  server: { kind: "enum", label: "Modbus TCP server", default: "off", values: ["off", "on"], tab: "output" },
  port: { kind: "number", label: "Port", default: 5020, min: 0, max: 65535, integer: true, zeroMeans: "a free port chosen at each deploy", tab: "output" },
} satisfies FieldSpecs;
