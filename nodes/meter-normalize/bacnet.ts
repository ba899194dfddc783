/**
 * BACnet ReadProperty and ReadPropertyMultiple results, as bacstack and node-bacnet shape them (and so
 * as node-red-contrib-bacnet puts them in msg.payload):
 *
 *   ReadProperty:         {len, objectId:{type,instance}, property:{id,index}, values:[{type,value}]}
 *   ReadPropertyMultiple: {len, values:[{objectId:{type,instance}, values:[{id,index,value:[{type,value}]}]}]}
 *
 * Each object's present-value becomes a measurement, named by its object-name when the read includes it,
 * else "<object-type>-<instance>" (e.g. "analog-input-1"). The object's units property (the BACnet
 * engineering-units enumeration) gives the SenML unit, converting where SenML has no symbol
 * (64 degrees-Fahrenheit becomes Cel; 120 delta-degrees-Fahrenheit becomes K, a temperature difference).
 * Status flags lower the quality: fault → BAD; out-of-service or overridden → SUSPECT. So do the
 * out-of-service property (SUSPECT) and a reliability other than no-fault-detected (BAD).
 */
import { InputError } from "../shared/errors";
import { converter } from "../shared/units";
import { NON_FINITE, worseQuality, type Measurement, type Quality } from "../shared/canonical-reading";
import { float32ToDecimal, tidy } from "../shared/number";
import { isRec, type Rec } from "../shared/util";

const PROP = { OBJECT_NAME: 77, OUT_OF_SERVICE: 81, PRESENT_VALUE: 85, RELIABILITY: 103, STATUS_FLAGS: 111, UNITS: 117 };
const TAG_REAL = 4;
const TAG_BIT_STRING = 8;
const TAG_ERROR = 105;

const OBJECT_TYPES: Record<number, string> = {
  0: "analog-input", 1: "analog-output", 2: "analog-value", 3: "binary-input", 4: "binary-output",
  5: "binary-value", 8: "device", 13: "multi-state-input", 14: "multi-state-output", 19: "multi-state-value",
  12: "loop", 20: "trend-log", 23: "accumulator", 24: "pulse-converter",
};

type Conv = { unit: string; convert?: (v: number) => number };
const same = (unit: string): Conv => ({ unit });
const conv = (from: string, to: string): Conv => ({ unit: to, convert: converter(from, to) });

/** BACnet engineering units (ASHRAE 135 BACnetEngineeringUnits) to SenML. Units not listed get no unit. */
export const BACNET_UNITS: Record<number, Conv> = {
  2: same("mA"), 3: same("A"), 4: same("Ohm"), 5: same("V"), 6: conv("kV", "V"), 7: { unit: "V", convert: (v) => v * 1e6 },
  8: same("VA"), 9: same("kVA"), 10: conv("MVA", "kVA"), 11: same("var"), 12: same("kvar"), 13: conv("Mvar", "kvar"),
  14: same("deg"), 15: same("/"), 16: same("J"), 17: conv("kJ", "J"), 18: same("Wh"), 19: same("kWh"),
  27: same("Hz"), 29: same("%RH"), 30: same("mm"), 31: same("m"), 35: same("W/m2"), 36: same("lm"), 37: same("lx"),
  39: same("kg"), 47: same("W"), 48: same("kW"), 49: conv("MW", "kW"), 53: same("Pa"), 54: conv("kPa", "hPa"),
  55: conv("bar", "hPa"), 56: conv("psi", "hPa"), 62: same("Cel"), 63: same("K"), 64: conv("degF", "Cel"),
  71: same("h"), 72: same("min"), 73: same("s"), 74: same("m/s"), 75: same("km/h"), 79: conv("ft3", "m3"),
  80: same("m3"), 82: same("l"), 83: conv("gal", "m3"), 85: same("m3/s"), 87: same("l/s"),
  88: conv("l/min", "l/s"), 90: same("deg"), 96: same("ppm"), 98: same("%"), 100: same("1/min"),
  101: same("1/s"), 103: same("rad"), 104: same("1/min"), 118: same("cm"), 120: { unit: "K", convert: (v) => (v * 5) / 9 },
  121: same("K"), 124: same("mV"), 126: conv("MJ", "J"), 129: conv("kHz", "Hz"), 130: same("MHz"),
  132: conv("mW", "W"), 133: same("hPa"), 134: conv("mbar", "hPa"), 135: conv("m3/h", "m3/s"),
  136: conv("l/h", "l/s"), 146: conv("MWh", "kWh"), 153: same("N"), 159: same("ms"), 173: same("S"),
  174: same("S/m"), 175: same("T"), 178: same("Wb"), 179: same("cd"), 180: same("cd/m2"), 186: same("kg/m3"),
};


interface ObjectProps {
  name: string;
  props: Map<number, unknown[]>;
}

/** True if `p` is a bacstack ReadProperty or ReadPropertyMultiple result. */
export function isBacnetResult(p: unknown): p is Rec {
  if (!isRec(p) || !Array.isArray(p.values)) return false;
  if (isRec(p.objectId) && isRec(p.property)) return true;
  return p.values.length > 0 && p.values.every((o) => isRec(o) && isRec(o.objectId) && Array.isArray(o.values));
}

function objectKey(oid: Rec, where: string): string {
  const type = oid.type;
  const instance = oid.instance;
  if (typeof type !== "number" || typeof instance !== "number")
    throw new InputError(`${where}.objectId must be {type, instance} numbers`, "bad bacnet");
  return `${OBJECT_TYPES[type] ?? `object-${type}`}-${instance}`;
}

function collect(result: Rec): ObjectProps[] {
  const out: ObjectProps[] = [];
  if (isRec(result.property)) {
    const id = result.property.id;
    if (typeof id !== "number") throw new InputError("msg.payload.property.id must be a number", "bad bacnet");
    out.push({ name: objectKey(result.objectId as Rec, "msg.payload"), props: new Map([[id, result.values as unknown[]]]) });
    return out;
  }
  (result.values as Rec[]).forEach((o, i) => {
    const props = new Map<number, unknown[]>();
    (o.values as unknown[]).forEach((p, k) => {
      if (!isRec(p)) throw new InputError(`msg.payload.values[${i}].values[${k}] is not a property`, "bad bacnet");
      const id = typeof p.id === "number" ? p.id : isRec(p.property) ? p.property.id : undefined;
      const v = Array.isArray(p.value) ? p.value : Array.isArray(p.values) ? p.values : undefined;
      if (typeof id !== "number" || !v) throw new InputError(`msg.payload.values[${i}].values[${k}] must have id and value[]`, "bad bacnet");
      props.set(id, v);
    });
    out.push({ name: objectKey(o.objectId as Rec, `msg.payload.values[${i}]`), props });
  });
  return out;
}

function first(values: unknown[] | undefined): Rec | undefined {
  return values && isRec(values[0]) ? values[0] : undefined;
}

function statusQuality(values: unknown[] | undefined): Quality {
  const v = first(values);
  if (!v || v.type !== TAG_BIT_STRING || !isRec(v.value) || !Array.isArray(v.value.value)) return "GOOD";
  const bits = Number(v.value.value[0]) || 0;
  if (bits & 2) return "BAD"; // fault
  if (bits & 8 || bits & 4) return "SUSPECT"; // out-of-service, overridden
  return "GOOD";
}

/** Measurements of a BACnet result. Throws an InputError when it holds no present-value. */
export function readBacnet(result: Rec): Record<string, Measurement> {
  const measurements: Record<string, Measurement> = {};
  for (const o of collect(result)) {
    const pv = o.props.get(PROP.PRESENT_VALUE);
    if (!pv) continue;
    const nameVal = first(o.props.get(PROP.OBJECT_NAME));
    const name = nameVal && typeof nameVal.value === "string" && nameVal.value !== "" ? nameVal.value : o.name;
    const units = first(o.props.get(PROP.UNITS));
    const c = units && typeof units.value === "number" ? BACNET_UNITS[units.value] : undefined;
    let q = statusQuality(o.props.get(PROP.STATUS_FLAGS));
    const oos = first(o.props.get(PROP.OUT_OF_SERVICE));
    if (oos && oos.value === true) q = worseQuality(q, "SUSPECT");
    const rel = first(o.props.get(PROP.RELIABILITY));
    if (rel && typeof rel.value === "number" && rel.value !== 0) q = worseQuality(q, "BAD");
    const v = first(pv);
    let value: Measurement["value"];
    let nonFinite = false;
    if (!v || v.type === TAG_ERROR || v.value === null || v.value === undefined) {
      value = null;
      q = "BAD";
    } else if (typeof v.value === "number") {
      const raw = v.type === TAG_REAL ? float32ToDecimal(v.value) : v.value;
      value = Number.isFinite(raw) ? tidy(c?.convert ? c.convert(raw) : raw) : null;
      if (value === null) {
        q = "BAD";
        nonFinite = true;
      }
    } else if (typeof v.value === "boolean" || typeof v.value === "string") {
      value = v.value;
    } else {
      value = JSON.stringify(v.value);
    }
    const m: Measurement = { value };
    if (c && typeof value === "number") m.unit = c.unit;
    if (q !== "GOOD") m.quality = q;
    if (nonFinite) m.flags = [NON_FINITE];
    measurements[name] = m;
  }
  if (Object.keys(measurements).length === 0)
    throw new InputError("BACnet result holds no present-value (property 85)", "no present-value");
  return measurements;
}
