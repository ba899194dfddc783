/**
 * LwM2M codecs and object model, shared by lwm2m-server, lwm2m-request, lwm2m-in, lwm2m-diagnose and
 * lwm2m-device-sim. Pure: no Node-RED, no sockets. Imports no node.
 *
 * Decoded shape (issue 11): a read of /3/0 gives `{ "0": "Open Mobile Alliance", ..., "6": { "0": 1, "1": 5 },
 * "13": "2013-05-02T10:40:15.000Z" }`; a read of /3 nests instances (`{ "0": { ... } }`); a read of "/" (or a
 * composite) nests objects; a resource read gives its value; a multi-instance resource read gives
 * `{ "<instance>": value }`; a resource-instance read gives its value.
 * Values: Time → UTC ISO string with milliseconds; Objlnk → "66:0"; Opaque → Buffer; Integer / Unsigned Integer
 * beyond ±2^53 → decimal string (never rounded); Float → number; Boolean → boolean; String / Corelnk → string.
 */
import { decodeTlv, encodeTlv } from "./tlv";
import { decodeSenmlJson, decodeSenmlCbor, encodeSenmlJson, encodeSenmlCbor, decodeLwm2mJson } from "./senml";
import { decodeText, decodeCbor, encodeText } from "./plain";
import { nest, parsePath, flatten } from "./path";
import { OBJECTS } from "./objects";
import { Lwm2mCodecError } from "./errors";
import type { LwM2MEntry, ObjectModel } from "./types";

export * from "./types";
export { OBJECTS, resourceDef, objectDef } from "./objects";
export { parseLinkFormat, formatLinks } from "./link-format";
export { firmwareResult, FIRMWARE_RESULTS, FIRMWARE_STATES } from "./firmware";
export { parsePath, nest, flatten, type LwM2MPath } from "./path";
export { Lwm2mCodecError } from "./errors";

/** CoAP Content-Format numbers used by LwM2M (IANA CoAP Content-Formats registry, LwM2M 1.0/1.1/1.2). */
export const CONTENT_FORMAT = Object.freeze({
  TEXT: 0,
  LINK_FORMAT: 40,
  OPAQUE: 42,
  CBOR: 60,
  SENML_JSON: 110,
  SENML_CBOR: 112,
  /** LwM2M 1.0's pre-registration number for TLV (still sent by many 1.0 devices, e.g. Wakaama, Leshan 1.x). */
  LEGACY_TLV: 1542,
  /** LwM2M 1.0's pre-registration number for LwM2M JSON. */
  LEGACY_JSON: 1543,
  TLV: 11542,
  /** LwM2M JSON (deprecated in 1.1 in favour of SenML JSON). */
  JSON: 11543,
});

/** The names of CONTENT_FORMAT, by number ("tlv", "senml+cbor", ...) for messages and status. */
export const CONTENT_FORMAT_NAME: Readonly<Record<number, string>> = Object.freeze({
  0: "text/plain",
  40: "application/link-format",
  42: "application/octet-stream",
  60: "application/cbor",
  110: "application/senml+json",
  112: "application/senml+cbor",
  1542: "application/vnd.oma.lwm2m+tlv (legacy 1542)",
  1543: "application/vnd.oma.lwm2m+json (legacy 1543)",
  11542: "application/vnd.oma.lwm2m+tlv",
  11543: "application/vnd.oma.lwm2m+json",
});

/**
 * Decode an LwM2M payload read at `path` into the shape above.
 * @param payload the CoAP payload
 * @param contentFormat the response's Content-Format (CONTENT_FORMAT.*); TLV needs the object model for types
 * @param path the request path ("/3/0", "/3", "/3/0/6", "/" for composite/Send)
 * @param model object model; defaults to OBJECTS. Unknown resources decode without a type: TLV as an integer when
 *   1/2/4/8 bytes, else a UTF-8 string when valid, else a Buffer.
 * @throws Lwm2mCodecError (code "malformed" / "unsupported-format" / "bad-path") naming the cause
 */
export function decode(payload: Buffer, contentFormat: number, path: string, model: ObjectModel = OBJECTS): unknown {
  const p = parsePath(path);
  switch (contentFormat) {
    case CONTENT_FORMAT.TLV:
    case CONTENT_FORMAT.LEGACY_TLV:
      return decodeTlv(payload, p, model);
    case CONTENT_FORMAT.TEXT:
      return decodeText(payload, p, model);
    case CONTENT_FORMAT.OPAQUE:
      if (p.resource === undefined) throw new Lwm2mCodecError("bad-path", `opaque (42) carries one resource, not ${path}`);
      return Buffer.from(payload);
    case CONTENT_FORMAT.CBOR:
      return decodeCbor(payload, p, model);
    case CONTENT_FORMAT.SENML_JSON:
      return nest(decodeSenmlJson(payload, model), p);
    case CONTENT_FORMAT.SENML_CBOR:
      return nest(decodeSenmlCbor(payload, model), p);
    case CONTENT_FORMAT.JSON:
    case CONTENT_FORMAT.LEGACY_JSON:
      return nest(decodeLwm2mJson(payload, p, model), p);
    default:
      throw new Lwm2mCodecError("unsupported-format", `content format ${contentFormat} is not an LwM2M data format`);
  }
}

/**
 * Decode to flat entries (`[{ path: "/3/0/6/1", value: 5 }, ...]`), sorted by path: what a Send, a composite
 * read or the diagnosis' evidence wants. Same arguments and errors as decode().
 */
export function decodeEntries(payload: Buffer, contentFormat: number, path: string, model: ObjectModel = OBJECTS): LwM2MEntry[] {
  const p = parsePath(path);
  switch (contentFormat) {
    case CONTENT_FORMAT.SENML_JSON:
      return decodeSenmlJson(payload, model);
    case CONTENT_FORMAT.SENML_CBOR:
      return decodeSenmlCbor(payload, model);
    case CONTENT_FORMAT.JSON:
    case CONTENT_FORMAT.LEGACY_JSON:
      return decodeLwm2mJson(payload, p, model);
    default:
      return flatten(decode(payload, contentFormat, path, model), p);
  }
}

/**
 * Encode a value for a Write (or Write-Composite, or a device's Read response).
 * @param value the decoded shape for `path` (an instance object for /3/0, a value for /3/0/14, `{ "0": v, ... }`
 *   for a multi-instance resource, instances for /3); or, for a composite (SenML only), an array of
 *   `{ path, value? }`: entries without a value become name-only records (a Read-Composite / Observe-Composite
 *   request body).
 *   Time accepts an ISO string, a Date or epoch seconds; Objlnk "66:0" or { objectId, instanceId }; Opaque a Buffer
 *   (or base64 string); big integers a decimal string or bigint.
 * @param contentFormat CONTENT_FORMAT.TLV / LEGACY_TLV (same bytes), SENML_JSON, SENML_CBOR, TEXT or OPAQUE (one resource)
 * @param path the target path
 * @param model object model (types); defaults to OBJECTS; without a definition the JS type decides.
 * Integers are written in the smallest TLV size that fits (1, 2, 4 or 8 bytes), as Leshan and Wakaama do.
 * @throws Lwm2mCodecError naming the path and cause
 */
export function encode(value: unknown, contentFormat: number, path: string, model: ObjectModel = OBJECTS): Buffer {
  const p = parsePath(path);
  switch (contentFormat) {
    case CONTENT_FORMAT.TLV:
    case CONTENT_FORMAT.LEGACY_TLV:
      return encodeTlv(value, p, model);
    case CONTENT_FORMAT.SENML_JSON:
      return encodeSenmlJson(value, p, model);
    case CONTENT_FORMAT.SENML_CBOR:
      return encodeSenmlCbor(value, p, model);
    case CONTENT_FORMAT.TEXT:
      return encodeText(value, p, model);
    case CONTENT_FORMAT.OPAQUE:
      if (Buffer.isBuffer(value)) return Buffer.from(value);
      throw new Lwm2mCodecError("bad-value", `opaque (42) needs a Buffer at ${path}`);
    default:
      throw new Lwm2mCodecError("unsupported-format", `cannot encode content format ${contentFormat}: use TLV (11542), SenML JSON (110) or SenML CBOR (112)`);
  }
}
