/**
 * validate's config fields: defaults (from the seeds), limits and labels. The runtime parses them (node-runtime),
 * and the build emits the editor's `defaults` and `validate` from this one spec. The names are the contract.
 */
import type { FieldSpecs } from "../shared/fields";

export const FIELDS = {
  driftAcceptSeconds: { kind: "number", label: "Accept drift up to", default: 60, min: 0, max: 31_536_000, unit: "s", tab: "time" },
  driftRejectSeconds: { kind: "number", label: "Reject drift beyond", default: 3600, min: 0, max: 31_536_000, unit: "s", tab: "time" },
  driftAction: { kind: "enum", label: "Drift in between", default: "correct", values: ["correct", "flag", "reject"], tab: "time" },
  rules: { kind: "structured", label: "Rules", default: "[]", tab: "rules" },
  timeZone: { kind: "zone", label: "Time zone (hour of day)", default: "UTC", tab: "rules" },
  dedupHours: { kind: "number", label: "Dedup window", default: 48, min: 0, max: 8760, unit: "h", zeroMeans: "no duplicate check", tab: "state" },
  dedupMaxKeys: { kind: "number", label: "Dedup keys at most", default: 2_000_000, min: 1000, max: 50_000_000, integer: true, tab: "state" },
  silenceSeconds: { kind: "number", label: "Silent after", default: 0, min: 0, max: 31_536_000, unit: "s", zeroMeans: "no silence alerts", tab: "state" },
  saveSeconds: { kind: "number", label: "Save state every", default: 60, min: 1, max: 3600, unit: "s", tab: "state" },
  dir: { kind: "text", label: "Directory", default: "", maxLength: 4096, tab: "state" },
} satisfies FieldSpecs;
