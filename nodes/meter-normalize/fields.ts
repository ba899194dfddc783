/**
 * meter-normalize's config fields: defaults, limits and labels. The runtime parses them (node-runtime), and the
 * build emits the editor's `defaults` and `validate` from this one spec.
 */
import type { FieldSpecs } from "../shared/fields";

export const FIELDS = {
  inputKind: { kind: "enum", label: "Input", default: "auto", values: ["auto", "modbus", "bacnet", "senml", "json"], tab: "source" },
  registerMap: { kind: "structured", label: "Register map", default: "", tab: "source" },
  jsonMapping: { kind: "structured", label: "JSON mapping", default: "", tab: "source" },
  deviceId: { kind: "text", label: "Device ID", default: "", maxLength: 256, tab: "device" },
  deviceType: { kind: "text", label: "Device type", default: "", maxLength: 256, tab: "device" },
  site: { kind: "text", label: "Site", default: "", maxLength: 256, tab: "device" },
  region: { kind: "text", label: "Region", default: "", maxLength: 256, tab: "device" },
  devices: { kind: "structured", label: "Device table", default: "", tab: "device" },
  timeZone: { kind: "zone", label: "Time zone", default: "UTC", tab: "time" },
  dstAmbiguous: { kind: "enum", label: "Repeated hour", default: "earlier", values: ["earlier", "later", "reject"], tab: "time" },
  dstSkipped: { kind: "enum", label: "Skipped hour", default: "shift", values: ["shift", "reject"], tab: "time" },
} satisfies FieldSpecs;
