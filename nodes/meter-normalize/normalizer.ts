/**
 * meter-normalize's logic, free of Node-RED: a message in, canonical readings out.
 */
import { ConfigError, InputError } from "../shared/errors";
import { MAX_MS, MIN_MS, checkTimeRange, isoUtc, isValidZone, parseTimestamp, type TimeOptions } from "../shared/time";
import { NON_FINITE, readingQuality, readingTopic, type CanonicalReading, type Measurement, type Quality, type ReadingMeta, type ReadingSource } from "../shared/canonical-reading";
import { compileRegisterMap, decodeWindow, type CompiledMap } from "./register-map";
import { isFailedRead, modbusRequestOf, readModbusResponse } from "./modbus-input";
import { isBacnetResult, readBacnet } from "./bacnet";
import { isSenmlPack, resolveSenml } from "./senml";
import { createJsonReader, type JsonReader } from "./json-input";
import { isRec, text, type Rec } from "../shared/util";

export type InputKind = "auto" | "modbus" | "bacnet" | "senml" | "json";
export const INPUT_KINDS: readonly InputKind[] = ["auto", "modbus", "bacnet", "senml", "json"];

export interface DeviceEntry {
  deviceId: string;
  deviceType?: string;
  region?: string;
  meta?: ReadingMeta;
}

/** What the node's edit dialog holds (all text, as Node-RED stores it). */
export interface MeterNormalizeDef {
  inputKind?: string;
  registerMap?: string;
  jsonMapping?: string;
  deviceId?: string;
  deviceType?: string;
  site?: string;
  region?: string;
  devices?: string;
  timeZone?: string;
  dstAmbiguous?: string;
  dstSkipped?: string;
}

export interface NormalizerConfig {
  inputKind: InputKind;
  map?: CompiledMap;
  json: JsonReader;
  deviceId?: string;
  deviceType?: string;
  site?: string;
  region?: string;
  devices: Map<string, DeviceEntry>;
  time: TimeOptions;
}

export interface NormalizedReading {
  reading: CanonicalReading;
  topic: string;
}


function parseDevices(input: string | undefined): Map<string, DeviceEntry> {
  const out = new Map<string, DeviceEntry>();
  if (!text(input)) return out;
  let table: unknown;
  try {
    table = JSON.parse(input as string);
  } catch (err) {
    throw new ConfigError(`device table is not valid JSON: ${(err as Error).message}`, "devices");
  }
  if (!isRec(table)) throw new ConfigError("device table must be an object keyed by unit id", "devices");
  for (const [key, e] of Object.entries(table)) {
    if (!isRec(e) || typeof e.deviceId !== "string" || e.deviceId === "")
      throw new ConfigError(`device table: /${key}/deviceId must be a non-empty string`, `devices/${key}`);
    if (e.meta !== undefined && !isRec(e.meta)) throw new ConfigError(`device table: /${key}/meta must be an object`, `devices/${key}`);
    for (const f of ["deviceType", "region"] as const)
      if (e[f] !== undefined && typeof e[f] !== "string") throw new ConfigError(`device table: /${key}/${f} must be a string`, `devices/${key}`);
    out.set(key, e as unknown as DeviceEntry);
  }
  return out;
}

/**
 * NaN and ±Infinity (a float register holding NaN, a sum or a scale that overflows, a numeric string "Infinity",
 * NaN from a function node) are no measurement: JSON would carry them as a bare null that claims to be GOOD.
 * Each becomes value null with quality BAD and the flag "non-finite", whatever produced it. True when any did.
 */
function nonFiniteToBad(measurements: Record<string, Measurement>): boolean {
  let found = false;
  for (const name in measurements) {
    const m = measurements[name];
    if (typeof m.value === "number" && !Number.isFinite(m.value)) {
      m.value = null;
      m.quality = "BAD";
      m.flags = m.flags ? [...m.flags, NON_FINITE] : [NON_FINITE];
      found = true;
    }
  }
  return found;
}

/** Read and check the node's configuration. Throws a ConfigError naming the bad field. */
export function parseMeterNormalizeConfig(def: MeterNormalizeDef): NormalizerConfig {
  const inputKind = (text(def.inputKind) ?? "auto") as InputKind;
  if (!INPUT_KINDS.includes(inputKind)) throw new ConfigError(`input kind "${def.inputKind}" must be one of ${INPUT_KINDS.join(", ")}`, "inputKind");
  const zone = text(def.timeZone) ?? "UTC";
  if (!isValidZone(zone)) throw new ConfigError(`time zone "${zone}" is not a valid IANA zone such as Europe/Berlin`, "timeZone");
  const ambiguous = text(def.dstAmbiguous) ?? "earlier";
  if (!["earlier", "later", "reject"].includes(ambiguous)) throw new ConfigError(`DST ambiguous policy "${ambiguous}" must be earlier, later or reject`, "dstAmbiguous");
  const skipped = text(def.dstSkipped) ?? "shift";
  if (!["shift", "reject"].includes(skipped)) throw new ConfigError(`DST skipped policy "${skipped}" must be shift or reject`, "dstSkipped");
  const mapText = text(def.registerMap);
  if (inputKind === "modbus" && !mapText) throw new ConfigError("register map is required for Modbus input", "registerMap");
  return {
    inputKind,
    map: mapText ? compileRegisterMap(mapText) : undefined,
    json: createJsonReader(def.jsonMapping),
    deviceId: text(def.deviceId),
    deviceType: text(def.deviceType),
    site: text(def.site),
    region: text(def.region),
    devices: parseDevices(def.devices),
    time: { zone, ambiguous: ambiguous as TimeOptions["ambiguous"], skipped: skipped as TimeOptions["skipped"] },
  };
}

/** What leaves the node for one input message: its msg.payload and msg.topic. */
export interface NormalizedOutput {
  /** The reading, or for a multi-reading input (a SenML pack with several times or devices) the readings in order. */
  payload: CanonicalReading | CanonicalReading[];
  topic: string;
}

/**
 * One output message for the results of one input: a single reading as the payload, or several as one array
 * (the contract every node accepts: a payload is one reading or an array of them). One message, not one per
 * reading, so a pack of thousands of readings is not thousands of message clones.
 *
 * The topic is the first reading's: for one reading its own, for a pack of one device (the usual case: one device,
 * many times) the topic they all share. A pack that mixes devices (several SenML base names) still leaves under
 * the first one's topic; a consumer of such an array reads each reading's deviceId, the topic is only a hint.
 * Throws on an empty list (normalize never returns one).
 */
export function toOutput(results: readonly NormalizedReading[]): NormalizedOutput {
  if (results.length === 0) throw new Error("toOutput: no readings");
  if (results.length === 1) return { payload: results[0].reading, topic: results[0].topic };
  const payload: CanonicalReading[] = new Array(results.length);
  for (let k = 0; k < results.length; k++) payload[k] = results[k].reading;
  return { payload, topic: results[0].topic };
}

/** Which kind of input a message is. */
export function detectInput(msg: Rec): Exclude<InputKind, "auto"> | undefined {
  if (isFailedRead(msg) || modbusRequestOf(msg)) return "modbus";
  const p = msg.payload;
  if (isBacnetResult(p)) return "bacnet";
  if (isSenmlPack(p)) return "senml";
  if (isRec(p)) return "json";
  return undefined;
}

export interface Normalizer {
  normalize(msg: Rec, nowMs: number): NormalizedReading[];
}

/** Devices whose topic a normalizer keeps (the seeds' gateway carries 100-500 meters); beyond, it starts over. */
const TOPIC_CACHE_SIZE = 10_000;

/** How many compiled msg.registerMap maps a normalizer keeps; the least recently used is dropped first. */
const REGISTER_MAP_CACHE_SIZE = 8;

export function createNormalizer(cfg: NormalizerConfig): Normalizer {
  // msg.registerMap maps are validated and compiled once per content (their JSON text), not per object: an
  // object changed between messages must not reuse the compile of what it held before.
  const overrides = new Map<string, CompiledMap>();

  function mapFor(msg: Rec): CompiledMap {
    const o = msg.registerMap;
    if (o === undefined || o === null) {
      if (!cfg.map) throw new InputError("no register map: configure one or set msg.registerMap", "no register map");
      return cfg.map;
    }
    if (!isRec(o)) throw new InputError("msg.registerMap must be an object", "bad register map");
    let key: string;
    try {
      key = JSON.stringify(o);
    } catch (err) {
      throw new InputError(`msg.registerMap is not JSON: ${(err as Error).message}`, "bad register map");
    }
    let m = overrides.get(key);
    if (m) {
      overrides.delete(key);
    } else {
      try {
        m = compileRegisterMap(o, "msg.registerMap");
      } catch (err) {
        throw new InputError((err as Error).message, "bad register map");
      }
      if (overrides.size >= REGISTER_MAP_CACHE_SIZE) overrides.delete(overrides.keys().next().value as string);
    }
    overrides.set(key, m);
    return m;
  }

  function build(
    msg: Rec, nowMs: number, measurements: Record<string, Measurement>, source: ReadingSource,
    derived: { deviceId?: string; timestamp?: unknown; timeMs?: number; quality?: Quality },
  ): NormalizedReading {
    const entry = source.unitId !== undefined && cfg.devices.size > 0 ? cfg.devices.get(String(source.unitId)) : undefined;
    const fromMsg = typeof msg.deviceId === "string" && msg.deviceId !== "" ? msg.deviceId : undefined;
    const deviceId = fromMsg ?? entry?.deviceId ?? derived.deviceId ?? cfg.deviceId;
    if (!deviceId) {
      const hint = source.unitId !== undefined ? ` or a device table entry for unit id ${source.unitId}` : "";
      throw new InputError(`no device id: set msg.deviceId, the node's Device ID${hint}`, "no device id");
    }
    let ms: number;
    if (derived.timeMs !== undefined) ms = derived.timeMs;
    else if (msg.timestamp !== undefined && msg.timestamp !== null) ms = parseTimestamp(msg.timestamp, cfg.time, "msg.timestamp");
    else if (derived.timestamp !== undefined && derived.timestamp !== null) ms = parseTimestamp(derived.timestamp, cfg.time, "payload timestamp");
    else ms = nowMs;
    const reading: CanonicalReading = {
      deviceId,
      // The error's text (with the time as a string) is made only for a time out of range.
      timestamp: isoUtc(ms >= MIN_MS && ms <= MAX_MS ? ms : checkTimeRange(ms, "time", String(ms))),
      measurements,
      quality: nonFiniteToBad(measurements) ? "BAD" : derived.quality ?? readingQuality(measurements),
      source,
    };
    let meta: ReadingMeta | undefined;
    if (entry?.meta || cfg.site) {
      meta = !entry?.meta ? { site: cfg.site } : cfg.site ? { site: cfg.site, ...entry.meta } : { ...entry.meta };
      reading.meta = meta;
    }
    const region = entry?.region ?? cfg.region;
    const site = typeof meta?.site === "string" ? meta.site : undefined;
    const deviceType = entry?.deviceType ?? (typeof meta?.meterType === "string" ? meta.meterType : undefined) ?? cfg.deviceType;
    // A device's readings share their topic, poll after poll (a bus of meters polled in turn, a pack of one
    // device): built once per device, not per reading.
    let t = topics.get(deviceId);
    if (!t || t.region !== region || t.site !== site || t.deviceType !== deviceType) {
      if (topics.size >= TOPIC_CACHE_SIZE) topics.clear();
      t = { region, site, deviceType, topic: readingTopic({ region, site, deviceType, deviceId }) };
      topics.set(deviceId, t);
    }
    return { reading, topic: t.topic };
  }
  const topics = new Map<string, { region?: string; site?: string; deviceType?: string; topic: string }>();

  function parseJsonText(p: unknown): unknown {
    if (typeof p === "string" && /^\s*[[{]/.test(p)) {
      try {
        return JSON.parse(p);
      } catch (err) {
        throw new InputError(`msg.payload is not valid JSON: ${(err as Error).message}`, "bad JSON");
      }
    }
    return p;
  }

  return {
    normalize(msg, nowMs) {
      let kind = cfg.inputKind === "auto" ? detectInput(msg) : cfg.inputKind;
      if (kind === undefined && typeof msg.payload === "string") {
        msg = { ...msg, payload: parseJsonText(msg.payload) };
        kind = detectInput(msg);
      } else if (kind !== "modbus" && typeof msg.payload === "string") {
        msg = { ...msg, payload: parseJsonText(msg.payload) };
      }
      switch (kind) {
        case "modbus": {
          const r = readModbusResponse(msg);
          const map = mapFor(msg);
          const { measurements, quality, decoded } = decodeWindow(map, r.table, r.address, r.data);
          if (decoded === 0)
            throw new InputError(
              `no point of map ${map.mapId} ${map.mapVersion} lies wholly inside the ${r.table} window ${r.address}..${r.address + r.quantity - 1}`,
              "no point in read",
            );
          const source: ReadingSource = {
            protocol: "modbus", mapId: map.mapId, mapVersion: map.mapVersion, unitId: r.unitId,
            table: r.table, address: r.address, quantity: r.quantity,
          };
          if (r.unitId === undefined) delete source.unitId;
          return [build(msg, nowMs, measurements, source, { quality })];
        }
        case "bacnet": {
          if (!isBacnetResult(msg.payload)) throw new InputError("msg.payload is not a BACnet ReadProperty or ReadPropertyMultiple result", "not bacnet");
          return [build(msg, nowMs, readBacnet(msg.payload), { protocol: "bacnet" }, {})];
        }
        case "senml": {
          if (!isSenmlPack(msg.payload)) throw new InputError("msg.payload is not a SenML JSON pack (an array of records)", "not senml");
          // Relative SenML times count from msg.timestamp when the message has one.
          const base = msg.timestamp !== undefined && msg.timestamp !== null ? parseTimestamp(msg.timestamp, cfg.time, "msg.timestamp") : nowMs;
          return resolveSenml(msg.payload, base).map((g) =>
            build(msg, nowMs, g.measurements, { protocol: "senml" }, { deviceId: g.device, timeMs: g.timeMs }),
          );
        }
        case "json": {
          if (!isRec(msg.payload)) throw new InputError(`msg.payload must be a JSON object, got ${Array.isArray(msg.payload) ? "an array" : typeof msg.payload}`, "not JSON");
          const r = cfg.json.read(msg.payload);
          return [build(msg, nowMs, r.measurements, { protocol: "json" }, { deviceId: r.deviceId, timestamp: r.timestamp })];
        }
        default:
          throw new InputError(
            `unrecognised input: msg.payload is ${msg.payload === null ? "null" : Array.isArray(msg.payload) ? "an array" : typeof msg.payload}, not a Modbus response, BACnet result, SenML pack or JSON object`,
            "unrecognised input",
          );
      }
    },
  };
}
