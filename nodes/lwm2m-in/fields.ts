/**
 * lwm2m-in's config fields (the server is a config-node reference, outside the field specs).
 */
import type { FieldSpecs } from "../shared/fields";

export const EVENTS = ["registered", "updated", "deregistered", "expired", "restarted", "notify", "send"] as const;

export const FIELDS = {
  events: {
    kind: "text",
    label: "Events",
    default: EVENTS.join(","),
    maxLength: 200,
    pattern: `^\\s*(${EVENTS.join("|")})\\s*(,\\s*(${EVENTS.join("|")})\\s*)*$`,
    patternText: `a comma-separated list of ${EVENTS.join(", ")}`,
  },
  endpoint: { kind: "text", label: "Endpoint", default: "", maxLength: 256 },
} satisfies FieldSpecs;
