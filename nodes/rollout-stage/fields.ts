/**
 * rollout-stage's config fields: defaults, limits and labels. The runtime parses them (node-runtime) and the build
 * emits the editor's `defaults` and `validate` from this one spec. The names are the (a contract), and a
 * campaign message may override any of them (checked by the same specs, with the same words).
 */
import type { FieldSpecs } from "../shared/fields";

export const FIELDS = {
  waves: {
    kind: "text",
    label: "Waves",
    default: "1,10,100",
    pattern: "^\\s*(\\d+(\\.\\d+)?|\\.\\d+)(\\s*,\\s*(\\d+(\\.\\d+)?|\\.\\d+))*\\s*$",
    patternText: "cumulative percentages separated by commas, ascending, ending at 100, e.g. 1,10,100",
    maxLength: 200,
    tab: "waves",
  },
  preferWeakSignal: { kind: "enum", label: "Prefer weak signal (pilot)", default: "false", values: ["false", "true"], tab: "waves" },
  successThreshold: { kind: "number", label: "Success threshold", default: 95, min: 0, max: 100, unit: "%", tab: "gates" },
  failureThreshold: { kind: "number", label: "Failure threshold", default: 5, min: 0, max: 100, unit: "%", tab: "gates" },
  minDevices: { kind: "number", label: "Min devices (finished)", default: 1, min: 1, max: 1_000_000, integer: true, tab: "gates" },
  maxFailures: { kind: "number", label: "Max failures", default: 0, min: 0, max: 1_000_000, integer: true, zeroMeans: "no absolute limit", tab: "gates" },
  soakMinutes: { kind: "number", label: "Soak minutes", default: 30, min: 0, max: 43_200, unit: "min", tab: "gates" },
  timeoutMinutes: { kind: "number", label: "Timeout minutes", default: 60, min: 0, max: 43_200, minExclusive: true, unit: "min", tab: "gates" },
  maxConcurrent: { kind: "number", label: "Max concurrent", default: 0, min: 0, max: 1_000_000, integer: true, zeroMeans: "no limit", tab: "waves" },
  approval: { kind: "enum", label: "Approval between waves", default: "auto", values: ["auto", "manual"], tab: "gates" },
  onHalt: { kind: "enum", label: "On halt", default: "pause", values: ["pause", "rollback"], tab: "gates" },
  retries: { kind: "number", label: "Retries", default: 1, min: 0, max: 100, integer: true, tab: "gates" },
  dir: { kind: "text", label: "Directory", default: "", maxLength: 4096, tab: "state" },
} satisfies FieldSpecs;
