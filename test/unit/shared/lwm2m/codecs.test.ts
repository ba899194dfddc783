// LwM2M codecs against the vectors in test/fixtures/lwm2m/vectors.json (sources cited per vector in the file
// and in its NOTES.md: the OMA spec's examples via Leshan's and Wakaama's tests).
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {
  CONTENT_FORMAT,
  OBJECTS,
  decode,
  decodeEntries,
  encode,
  Lwm2mCodecError,
  type ObjectModel,
} from "../../../../nodes/shared/lwm2m";

interface Vector {
  id: string;
  contentFormat: number;
  path: string;
  hex?: string;
  text?: string;
  value?: unknown;
  entries?: Array<{ path: string; value: unknown; time?: string }>;
  paths?: string[];
  composite?: Array<{ path: string; value?: unknown }>;
  encode: boolean;
  source: string;
  model?: string;
}
const { vectors } = JSON.parse(fs.readFileSync(path.join(__dirname, "../../../fixtures/lwm2m/vectors.json"), "utf8")) as { vectors: Vector[] };

/** `{ "$hex": "..." }` in the fixture stands for a Buffer. */
function revive(v: unknown): unknown {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (typeof o.$hex === "string") return Buffer.from(o.$hex, "hex");
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, revive(x)]));
  }
  if (Array.isArray(v)) return v.map(revive);
  return v;
}
const bytes = (v: Vector) => (v.hex !== undefined ? Buffer.from(v.hex, "hex") : Buffer.from(v.text!, "utf8"));

// Leshan's test objects 65 and 66 (the spec's Objlnk example, LwM2M 1.0.1 figure 28).
const res = (id: number, type: string, multiple = false) => ({ id, name: `res${id}`, type, multiple, mandatory: false, operations: "R" });
const MODEL_65_66: ObjectModel = {
  ...OBJECTS,
  "65": { id: 65, name: "object link tests 65", urn: "", version: "1.0", lwm2mVersion: "1.0", multiple: true, mandatory: false, resources: { "0": res(0, "Objlnk", true), "1": res(1, "String"), "2": res(2, "Integer") } } as never,
  "66": { id: 66, name: "object link tests 66", urn: "", version: "1.0", lwm2mVersion: "1.0", multiple: true, mandatory: false, resources: { "0": res(0, "String"), "1": res(1, "String"), "2": res(2, "Objlnk") } } as never,
};
const modelOf = (v: Vector) => (v.model === "65-66" ? MODEL_65_66 : OBJECTS);

describe("shared/lwm2m codecs: vectors", () => {
  for (const v of vectors) {
    if (v.value !== undefined) {
      it(`decodes ${v.id} (${v.source.split(" ")[0]})`, () => {
        assert.deepEqual(decode(bytes(v), v.contentFormat, v.path, modelOf(v)), revive(v.value));
      });
    }
    if (v.entries) {
      it(`decodes ${v.id} to entries`, () => {
        const got = decodeEntries(bytes(v), v.contentFormat, v.path, modelOf(v));
        assert.deepEqual(got.map((e) => ({ path: e.path, value: e.value, ...(v.entries!.some((x) => x.time) ? { time: e.time } : {}) })), revive(v.entries));
      });
    }
    if (v.paths) {
      it(`decodes ${v.id} to the paths it names`, () => {
        const got = decodeEntries(bytes(v), v.contentFormat, v.path, modelOf(v));
        assert.deepEqual(got.map((e) => e.path), v.paths);
        assert.ok(got.every((e) => e.value === undefined));
      });
    }
    if (v.encode) {
      it(`encodes ${v.id} byte for byte`, () => {
        const input = v.paths ? v.paths.map((p) => ({ path: p })) : v.composite ? revive(v.composite) : revive(v.value);
        const got = encode(input, v.contentFormat, v.path, modelOf(v));
        assert.equal(got.toString("hex"), bytes(v).toString("hex"));
      });
    }
  }
});

const spec = vectors.find((v) => v.id === "spec-device-3-0-tlv-resources")!;
const specTlv = Buffer.from(spec.hex!, "hex");

describe("shared/lwm2m codecs: the issue's decoded shape and traps", () => {
  it("a read of /3/0 gives the issue's shape; /3 nests instances; a resource gives its value", () => {
    const inst = decode(specTlv, CONTENT_FORMAT.TLV, "/3/0") as Record<string, unknown>;
    assert.equal(inst["0"], "Open Mobile Alliance");
    assert.deepEqual(inst["6"], { "0": 1, "1": 5 });
    assert.equal(inst["13"], "2013-05-02T10:40:15.000Z");
    assert.deepEqual(decode(specTlv, CONTENT_FORMAT.TLV, "/3"), { "0": inst });
    assert.equal(decode(Buffer.from("c10964", "hex"), CONTENT_FORMAT.TLV, "/3/0/9"), 100);
    assert.equal(decode(Buffer.from("410105", "hex"), CONTENT_FORMAT.TLV, "/3/0/6/1"), 5);
  });

  it("legacy TLV 1542 decodes as 11542", () => {
    assert.deepEqual(decode(specTlv, CONTENT_FORMAT.LEGACY_TLV, "/3/0"), decode(specTlv, CONTENT_FORMAT.TLV, "/3/0"));
  });

  it("16-bit resource ids (Object 20's 4010..4017) both ways", () => {
    const buf = encode({ "4010": 3, "4014": Buffer.from("0102", "hex") }, CONTENT_FORMAT.TLV, "/20/0");
    assert.equal(buf.toString("hex"), "e10faa03" + "e20fae0102");
    assert.deepEqual(decode(buf, CONTENT_FORMAT.TLV, "/20/0"), { "4010": 3, "4014": Buffer.from("0102", "hex") });
  });

  it("integers take the smallest TLV size that fits (1, 2, 4, 8 bytes), signed", () => {
    const size = (n: number | string) => {
      const b = encode(n, CONTENT_FORMAT.TLV, "/3/0/10");
      return b[0] & 0x18 ? b[2] : b[0] & 7; // the length field: in the type byte, or the 8-bit length byte
    };
    assert.deepEqual([size(127), size(128), size(-128), size(-129), size(32767), size(32768), size(2147483647), size(2147483648)], [1, 2, 1, 2, 2, 4, 4, 8]);
  });

  it("64-bit integers beyond 2^53 come out as decimal strings, exact, and go back exact", () => {
    const big = "9223372036854775807";
    const buf = encode(big, CONTENT_FORMAT.TLV, "/3/0/10");
    assert.equal(buf.toString("hex"), "c80a087fffffffffffffff");
    assert.equal(decode(buf, CONTENT_FORMAT.TLV, "/3/0/10"), big);
    assert.equal(decode(Buffer.from("c80a08ffffffffffffffff", "hex"), CONTENT_FORMAT.TLV, "/3/0/10"), -1);
    const sj = encode(big, CONTENT_FORMAT.SENML_JSON, "/3/0/10");
    assert.equal(sj.toString(), `[{"bn":"/3/0/10","v":${big}}]`);
    assert.equal(decode(sj, CONTENT_FORMAT.SENML_JSON, "/3/0/10"), big);
    assert.equal(decode(encode(big, CONTENT_FORMAT.SENML_CBOR, "/3/0/10"), CONTENT_FORMAT.SENML_CBOR, "/3/0/10"), big);
    assert.equal(decode(Buffer.from(big), CONTENT_FORMAT.TEXT, "/3/0/10"), big);
  });

  it("Objlnk is \"66:0\" and Opaque a Buffer", () => {
    assert.deepEqual(decode(Buffer.from("440000420000", "hex"), CONTENT_FORMAT.TLV, "/3/0/22"), { "0": "66:0" });
    assert.equal(decode(Buffer.from("440000420000", "hex"), CONTENT_FORMAT.TLV, "/3/0/22/0"), "66:0");
    assert.equal(encode({ "0": "66:0" }, CONTENT_FORMAT.TLV, "/3/0/22").toString("hex"), "8616" + "440000420000");
    const pkg = decode(Buffer.from("c300010203", "hex"), CONTENT_FORMAT.TLV, "/5/0/0");
    assert.ok(Buffer.isBuffer(pkg));
  });

  it("an empty payload is an empty object, instance or multiple resource, and an error for a single resource", () => {
    for (const cf of [CONTENT_FORMAT.TLV, CONTENT_FORMAT.SENML_JSON, CONTENT_FORMAT.SENML_CBOR]) {
      assert.deepEqual(decode(Buffer.alloc(0), cf, "/1"), {});
      assert.deepEqual(decode(Buffer.alloc(0), cf, "/3/0"), {});
    }
    assert.deepEqual(decode(Buffer.alloc(0), CONTENT_FORMAT.TLV, "/3/0/7"), {});
    assert.throws(() => decode(Buffer.alloc(0), CONTENT_FORMAT.TLV, "/3/0/0"), Lwm2mCodecError);
  });

  it("malformed payloads fail with a Lwm2mCodecError that names the cause", () => {
    assert.throws(() => decode(Buffer.from("c8001400", "hex"), CONTENT_FORMAT.TLV, "/3/0"), /claims 20 bytes, only 1 remain/);
    assert.throws(() => decode(Buffer.from("c100010c10001", "hex"), CONTENT_FORMAT.TLV, "/3/0"), Lwm2mCodecError);
    assert.throws(() => decode(Buffer.from("c10001c10002", "hex"), CONTENT_FORMAT.TLV, "/3/0"), /\/3\/0\/0 appears twice/);
    assert.throws(() => decode(Buffer.from("080003c10001", "hex").subarray(0, 6), CONTENT_FORMAT.TLV, "/3/1"), /not the requested \/3\/1/);
    assert.throws(() => decode(Buffer.from("[{\"n\":", "utf8"), CONTENT_FORMAT.SENML_JSON, "/3/0"), /SenML JSON/);
    assert.throws(() => decode(Buffer.from("[{\"n\":\"/4/0/0\",\"v\":1}]"), CONTENT_FORMAT.SENML_JSON, "/3/0"), /outside the requested \/3\/0/);
    assert.throws(() => decode(Buffer.from("ff", "hex"), CONTENT_FORMAT.SENML_CBOR, "/3/0"), /SenML CBOR/);
    assert.throws(() => decode(Buffer.from("{}"), CONTENT_FORMAT.JSON, "/2"), /no "e" array/);
    assert.throws(() => decode(Buffer.from("x"), 9999, "/3/0"), /content format 9999/);
    assert.throws(() => decode(Buffer.from("1"), CONTENT_FORMAT.TEXT, "/3/0/77777"), /0 to 65535/);
    assert.throws(() => decode(Buffer.from("abc"), CONTENT_FORMAT.TEXT, "/3/0/9"), /Integer but holds "abc"/);
  });

  it("encoders refuse a value of the wrong type, naming the path", () => {
    assert.throws(() => encode("x", CONTENT_FORMAT.TLV, "/3/0/9"), /\/3\/0\/9: expected an integer/);
    assert.throws(() => encode(5, CONTENT_FORMAT.TLV, "/3/0/6"), /multiple instances/);
    assert.throws(() => encode({ "0": 1 }, CONTENT_FORMAT.TLV, "/3/0/9"), /single resource/);
    assert.throws(() => encode([{ path: "/3/0/9", value: 1 }], CONTENT_FORMAT.TLV, "/"), /composite writes need SenML/);
  });

  it("Time accepts an ISO string, a Date or epoch seconds when encoding", () => {
    const iso = encode("2013-05-02T10:40:15.000Z", CONTENT_FORMAT.TLV, "/3/0/13");
    assert.equal(iso.toString("hex"), "c40d5182428f");
    assert.deepEqual(encode(new Date(1367491215000), CONTENT_FORMAT.TLV, "/3/0/13"), iso);
    assert.deepEqual(encode(1367491215, CONTENT_FORMAT.TLV, "/3/0/13"), iso);
  });

  it("SenML CBOR round-trips floats, booleans, Objlnk and opaque through the model's types", () => {
    const loc = { "0": 43.918998, "1": 2.351149, "5": "2021-01-07T14:31:20.000Z" };
    assert.deepEqual(decode(encode(loc, CONTENT_FORMAT.SENML_CBOR, "/6/0"), CONTENT_FORMAT.SENML_CBOR, "/6/0"), loc);
    assert.deepEqual(decode(encode(loc, CONTENT_FORMAT.SENML_JSON, "/6/0"), CONTENT_FORMAT.SENML_JSON, "/6/0"), loc);
    const dev = { "22": { "0": "66:0", "1": "3410:0" } };
    assert.deepEqual(decode(encode(dev, CONTENT_FORMAT.SENML_CBOR, "/3/0"), CONTENT_FORMAT.SENML_CBOR, "/3/0"), dev);
  });

  it("a composite read response nests from the root", () => {
    const v = vectors.find((x) => x.id === "spec-read-composite-response-senml-cbor")!;
    assert.deepEqual(decode(bytes(v), CONTENT_FORMAT.SENML_CBOR, "/"), { "1": { "0": { "1": 86400 } }, "3": { "0": { "0": "Open Mobile Alliance", "9": 95 } } });
  });

  it("a SenML time series decodes to the latest value of each path (decodeEntries keeps them all)", () => {
    const v = vectors.find((x) => x.id === "spec-72-timestamped-senml-cbor")!;
    assert.equal(decodeEntries(bytes(v), CONTENT_FORMAT.SENML_CBOR, "/72").length, 3);
    assert.deepEqual(decode(bytes(v), CONTENT_FORMAT.SENML_CBOR, "/72"), { "1": { "2": 22.4 } });
  });

  it("CBOR (60) single values: integers, big integers, Time, opaque", () => {
    assert.equal(decode(Buffer.from("1864", "hex"), CONTENT_FORMAT.CBOR, "/3/0/9"), 100);
    assert.equal(decode(Buffer.from("1bffffffffffffffff", "hex"), CONTENT_FORMAT.CBOR, "/3/0/10"), "18446744073709551615");
    assert.equal(decode(Buffer.from("1a5182428f", "hex"), CONTENT_FORMAT.CBOR, "/3/0/13"), "2013-05-02T10:40:15.000Z");
    assert.equal(decode(Buffer.from("c11a5182428f", "hex"), CONTENT_FORMAT.CBOR, "/3/0/13"), "2013-05-02T10:40:15.000Z");
    assert.deepEqual(decode(Buffer.from("43010203", "hex"), CONTENT_FORMAT.CBOR, "/5/0/0"), Buffer.from("010203", "hex"));
    assert.equal(decode(Buffer.from("f93e00", "hex"), CONTENT_FORMAT.CBOR, "/6/0/0"), 1.5);
  });

  it("opaque (42) is the payload as a Buffer", () => {
    assert.deepEqual(decode(Buffer.from("0102", "hex"), CONTENT_FORMAT.OPAQUE, "/5/0/0"), Buffer.from("0102", "hex"));
    assert.throws(() => decode(Buffer.from("0102", "hex"), CONTENT_FORMAT.OPAQUE, "/5/0"), /one resource/);
  });
});
