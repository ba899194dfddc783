/**
 * aggregate-window's config fields: defaults, limits and labels. The runtime parses them (config.ts through the
 * shared field check), and the build emits the editor's `defaults` and `validate` from this one spec.
 * The names are the contract of issue 9: keep them.
 */
import type { FieldSpecs } from "../shared/fields";

export const FIELDS = {
  window: { kind: "enum", label: "Window", default: "15m", values: ["5m", "15m", "30m", "1h", "1d", "1w", "1mo"], tab: "window" },
  zone: { kind: "zone", label: "Time zone", default: "", tab: "window" },
  aggregates: { kind: "structured", label: "Aggregates", default: '{"energy*":"delta","*":"mean"}', tab: "window" },
  intervalSeconds: { kind: "number", label: "Reporting interval", default: 900, min: 1, max: 2_678_400, integer: true, unit: "s", tab: "window" },
  label: { kind: "enum", label: "Timestamp", default: "start", values: ["start", "end"], tab: "window" },
  latenessSeconds: { kind: "number", label: "Allowed lateness", default: 300, min: 0, max: 604_800, unit: "s", tab: "time" },
  idleCloseSeconds: { kind: "number", label: "Close when quiet for", default: 900, min: 0, max: 2_678_400, unit: "s", zeroMeans: "never", tab: "time" },
  correctionHours: { kind: "number", label: "Corrections for", default: 48, min: 0, max: 8_760, unit: "h", tab: "time" },
  emit: { kind: "enum", label: "Emit", default: "revisions", values: ["revisions", "final"], tab: "time" },
  fill: { kind: "enum", label: "Fill gaps", default: "none", values: ["none", "linear", "previous"], tab: "quality" },
  maxFillIntervals: { kind: "number", label: "Fill at most", default: 8, min: 1, max: 10_000, integer: true, unit: "intervals", tab: "quality" },
  minCompleteness: { kind: "number", label: "Min completeness", default: 0.95, min: 0, max: 1, tab: "quality" },
  stateDir: { kind: "text", label: "State folder", default: "", maxLength: 4096, tab: "quality" },
} satisfies FieldSpecs;
