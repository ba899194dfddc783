/**
 * lwm2m-diagnose's config fields: defaults, limits and labels. The runtime parses them (config.ts through the shared
 * field check), and the build emits the editor's `defaults` and `validate` from this one spec. The defaults are the
 * rules of issue 11; the help lists them.
 */
import type { FieldSpecs } from "../shared/fields";

export const FIELDS = {
  rebootLoopCount: { kind: "number", label: "Reboot loop count", default: 3, min: 1, max: 1000, integer: true, unit: "restarts", tab: "rules" },
  rebootWindowHours: { kind: "number", label: "Reboot window", default: 24, min: 1, max: 720, unit: "h", tab: "rules" },
  rsrpMinDbm: { kind: "number", label: "LTE/NB-IoT RSRP floor", default: -115, min: -200, max: 0, unit: "dBm", tab: "signal" },
  sinrMinDb: { kind: "number", label: "LTE/NB-IoT SINR floor", default: 0, min: -50, max: 50, unit: "dB", tab: "signal" },
  gsmRssiMinDbm: { kind: "number", label: "GSM RSSI floor", default: -100, min: -200, max: 0, unit: "dBm", tab: "signal" },
  wlanRssiMinDbm: { kind: "number", label: "WLAN RSSI floor", default: -80, min: -200, max: 0, unit: "dBm", tab: "signal" },
  deepCoverageLevel: { kind: "number", label: "Deep coverage at /4/0/13", default: 3, min: 1, max: 4, integer: true, tab: "signal" },
  batteryLevelMin: { kind: "number", label: "Battery level floor", default: 15, min: 0, max: 100, unit: "%", tab: "battery" },
  batteryMinMv: { kind: "number", label: "Battery voltage floor", default: 0, min: 0, max: 100_000, unit: "mV", zeroMeans: "no voltage check", tab: "battery" },
  batteryHorizonDays: { kind: "number", label: "Battery empty within", default: 7, min: 0, max: 3650, unit: "days", zeroMeans: "no projection", tab: "battery" },
  memoryHorizonDays: { kind: "number", label: "Memory exhausted within", default: 7, min: 0, max: 3650, unit: "days", zeroMeans: "no projection", tab: "memory" },
  minSamples: { kind: "number", label: "Min samples", default: 3, min: 2, max: 100, integer: true, tab: "memory" },
  clockJumpSeconds: { kind: "number", label: "Clock jump back over", default: 60, min: 1, max: 31_536_000, unit: "s", tab: "rules" },
  firmwareWindowDays: { kind: "number", label: "Blame firmware changed within", default: 7, min: 0, max: 3650, unit: "days", zeroMeans: "any time", tab: "rules" },
  maxEndpoints: { kind: "number", label: "Max endpoints", default: 10_000, min: 1, max: 1_000_000, integer: true, tab: "rules" },
  stateDir: { kind: "text", label: "State folder", default: "", maxLength: 4096, tab: "rules" },
} satisfies FieldSpecs;
