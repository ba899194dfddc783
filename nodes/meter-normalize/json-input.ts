/**
 * Plain JSON payloads. With a mapping, each configured field path becomes a measurement with its unit
 * (converted from a source unit where given). Without one:
 * - a payload that already has a `measurements` object keeps it (units spelled out, such as "celsius",
 *   become SenML symbols);
 * - otherwise every top-level number or boolean becomes a measurement, except the id and time fields.
 *
 * Mapping (the node's "JSON mapping", JSON text):
 *   { "deviceId"?: "path", "timestamp"?: "path",
 *     "measurements": { "<name>": { "path": "a.b", "unit"?: "Cel", "sourceUnit"?: "degF",
 *                                   "scale"?: 0.1, "offset"?: 0 } } }
 */
import { ConfigError, InputError } from "../shared/errors";
import { compileSchema, describeAjvErrors } from "../shared/schema";
import { compileUnitSpec, toSenml } from "../shared/units";
import type { Measurement, Quality } from "../shared/canonical-reading";
import { QUALITIES, nonFinite } from "../shared/canonical-reading";
import { tidy } from "../shared/number";
import { getPath, isRec } from "../shared/util";

export interface JsonMapping {
  deviceId?: string;
  timestamp?: string;
  measurements: Record<string, { path: string; unit?: string; sourceUnit?: string; scale?: number; offset?: number }>;
}

const jsonMappingSchema = {
  type: "object",
  required: ["measurements"],
  additionalProperties: false,
  properties: {
    deviceId: { type: "string", minLength: 1 },
    timestamp: { type: "string", minLength: 1 },
    measurements: {
      type: "object",
      minProperties: 1,
      additionalProperties: {
        type: "object",
        required: ["path"],
        additionalProperties: false,
        properties: {
          path: { type: "string", minLength: 1 },
          unit: { type: "string", minLength: 1 },
          sourceUnit: { type: "string", minLength: 1 },
          scale: { type: "number" },
          offset: { type: "number" },
        },
      },
    },
  },
};
const validateMapping = compileSchema<JsonMapping>(jsonMappingSchema);

interface CompiledField {
  name: string;
  path: string[];
  unit?: string;
  scale: number;
  offset: number;
  convert?: (v: number) => number;
}

export interface JsonReader {
  read(payload: Record<string, unknown>): { deviceId?: string; timestamp?: unknown; measurements: Record<string, Measurement> };
}

const ID_FIELDS = ["deviceId", "device_id", "meterId", "meter_id", "id"];
const TIME_FIELDS = ["timestamp", "time", "ts"];

/** Compile the JSON mapping (object or JSON text; empty means automatic). Throws a ConfigError naming the field. */
export function createJsonReader(mapping: unknown): JsonReader {
  let m = mapping;
  if (typeof m === "string") {
    if (m.trim() === "") m = undefined;
    else
      try {
        m = JSON.parse(m);
      } catch (err) {
        throw new ConfigError(`JSON mapping is not valid JSON: ${(err as Error).message}`);
      }
  }
  if (m === undefined || m === null) return { read: autoRead };
  if (!validateMapping(m)) throw new ConfigError(`JSON mapping: ${describeAjvErrors(validateMapping.errors).join("; ")}`);
  const map = m as JsonMapping;
  const fields: CompiledField[] = Object.entries(map.measurements).map(([name, f]) => {
    const where = `JSON mapping: /measurements/${name}`;
    if (name === "__proto__") throw new ConfigError(`${where} cannot be a measurement name`);
    if (name === "") throw new ConfigError(`${where} cannot be a measurement name: it is empty`);
    const { unit, convert } = compileUnitSpec(f, where, `/measurements/${name}`);
    return { name, path: f.path.split("."), unit, scale: f.scale ?? 1, offset: f.offset ?? 0, convert };
  });
  const idPath = map.deviceId?.split(".");
  const tsPath = map.timestamp?.split(".");
  return {
    read(payload) {
      const measurements: Record<string, Measurement> = {};
      for (const f of fields) {
        const v = getPath(payload, f.path);
        if (v === undefined) continue;
        let value: Measurement["value"];
        if (typeof v === "number") value = tidy((f.convert ?? ((x: number) => x))(v * f.scale + f.offset)); // NaN, ±Infinity: see nonFiniteToBad
        else if (typeof v === "string" && f.unit !== undefined && v.trim() !== "" && !Number.isNaN(Number(v)))
          value = tidy((f.convert ?? ((x: number) => x))(Number(v) * f.scale + f.offset));
        else if (typeof v === "string" || typeof v === "boolean" || v === null) value = v;
        else throw new InputError(`msg.payload.${f.path.join(".")} is ${Array.isArray(v) ? "an array" : "an object"}, not a value`, "bad value");
        const meas: Measurement = { value };
        if (f.unit !== undefined) meas.unit = f.unit;
        if (value === null) meas.quality = "BAD";
        measurements[f.name] = meas;
      }
      if (Object.keys(measurements).length === 0)
        throw new InputError(`msg.payload has none of the mapped fields (${fields.map((f) => f.path.join(".")).join(", ")})`, "no mapped field");
      const id = idPath ? getPath(payload, idPath) : undefined;
      return {
        deviceId: typeof id === "string" || typeof id === "number" ? String(id) : undefined,
        timestamp: tsPath ? getPath(payload, tsPath) : undefined,
        measurements,
      };
    },
  };
}

function autoRead(payload: Record<string, unknown>) {
  const idKey = ID_FIELDS.find((k) => typeof payload[k] === "string" || typeof payload[k] === "number");
  const tsKey = TIME_FIELDS.find((k) => payload[k] !== undefined);
  const measurements: Record<string, Measurement> = {};
  if (isRec(payload.measurements)) {
    for (const [name, raw] of Object.entries(payload.measurements)) {
      if (name === "__proto__") throw new InputError("msg.payload.measurements.__proto__ cannot be a measurement name", "bad name");
      if (name === "") throw new InputError("msg.payload.measurements has an empty measurement name", "bad name");
      const m = isRec(raw) ? raw : { value: raw };
      const v = m.value;
      if (!(v === null || ["number", "string", "boolean"].includes(typeof v)))
        throw new InputError(`msg.payload.measurements.${name}.value must be a number, string, boolean or null`, "bad value");
      const meas: Measurement = { value: v as Measurement["value"] };
      if (typeof m.unit === "string") {
        const u = toSenml(m.unit);
        if (!u) throw new InputError(`msg.payload.measurements.${name}.unit "${m.unit}" is not a unit this node knows`, "bad unit");
        if (typeof v === "number") meas.value = tidy(u.convert(v));
        meas.unit = u.unit;
      }
      if (typeof m.quality === "string") {
        if (!(QUALITIES as readonly string[]).includes(m.quality))
          throw new InputError(`msg.payload.measurements.${name}.quality must be one of ${QUALITIES.join(", ")}`, "bad quality");
        meas.quality = m.quality as Quality;
      }
      measurements[name] = meas;
    }
  } else {
    for (const [k, v] of Object.entries(payload)) {
      // An empty key cannot name a measurement (the canonical schema needs at least one character).
      if (k === idKey || k === tsKey || k === "__proto__" || k === "") continue;
      if (typeof v === "number") measurements[k] = Number.isFinite(v) ? { value: v } : nonFinite();
      else if (typeof v === "boolean") measurements[k] = { value: v };
    }
  }
  if (Object.keys(measurements).length === 0)
    throw new InputError("msg.payload has no numeric or boolean field to use as a measurement (configure a JSON mapping)", "no measurements");
  return {
    deviceId: idKey ? String(payload[idKey]) : undefined,
    timestamp: tsKey ? payload[tsKey] : undefined,
    measurements,
  };
}
