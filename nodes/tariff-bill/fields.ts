/**
 * tariff-bill's config fields: defaults, limits and labels. The runtime parses them (node-runtime), and the build
 * emits the editor's `defaults` and `validate` from this one spec. `tariff`, `measurement`, `demandMeasurement`,
 * `intervalSeconds`, `period` and `latenessSeconds` are the names (a contract).
 */
import type { FieldSpecs } from "../shared/fields";

export const SEEDS_TARIFF = JSON.stringify(
  {
    label: "seeds-tiered",
    name: "Residential tiered (seeds: 500 kWh at $0.08, 500 at $0.12, then $0.18)",
    timezone: "UTC",
    currency: "USD",
    energyratestructure: [[{ max: 500, unit: "kWh", rate: "0.08" }, { max: 1000, unit: "kWh", rate: "0.12" }, { unit: "kWh", rate: "0.18" }]],
  },
  null,
  2,
);

export const FIELDS = {
  tariff: { kind: "structured", label: "Tariff", default: SEEDS_TARIFF, tab: "tariff" },
  timeZone: { kind: "zone", label: "Time zone (when the tariff names none)", default: "UTC", tab: "tariff" },
  measurement: { kind: "text", label: "Energy measurement", default: "energy", maxLength: 256, tab: "input" },
  demandMeasurement: { kind: "text", label: "Demand measurement", default: "power", maxLength: 256, tab: "input" },
  intervalSeconds: { kind: "number", label: "Interval seconds", default: 900, min: 1, max: 31_622_400, integer: true, unit: "s", tab: "input" },
  period: { kind: "enum", label: "Billing period", default: "month", values: ["month", "command"], tab: "period" },
  latenessSeconds: { kind: "number", label: "Wait for late readings", default: 3600, min: 0, max: 2_678_400, unit: "s", tab: "period" },
  closeBy: { kind: "enum", label: "Close a month by", default: "clock", values: ["clock", "reading"], tab: "period" },
  saveSeconds: { kind: "number", label: "Save open periods every", default: 30, min: 1, max: 3600, unit: "s", tab: "state" },
  dir: { kind: "text", label: "Directory", default: "", maxLength: 4096, tab: "state" },
} satisfies FieldSpecs;
