// Object model (from the OMA registry), link format (RFC 6690 Register payloads) and firmware Update Result classes.
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { OBJECTS, resourceDef, parseLinkFormat, formatLinks, firmwareResult, Lwm2mCodecError } from "../../../../nodes/shared/lwm2m";

describe("shared/lwm2m object model", () => {
  it("covers objects 0, 1, 3, 4, 5, 6, 7, 20, 3410, 10371 and no Object 33", () => {
    assert.deepEqual(Object.keys(OBJECTS).map(Number).sort((a, b) => a - b), [0, 1, 3, 4, 5, 6, 7, 20, 3410, 10371]);
    assert.equal(OBJECTS["33"], undefined);
  });
  it("states the registry's facts where the seeds are wrong", () => {
    assert.equal(OBJECTS["6"].name, "Location");
    assert.equal(OBJECTS["20"].name, "Event Log");
    assert.ok(!Object.values(OBJECTS["3"].resources).some((r) => /reboot count/i.test(r.name)));
    assert.ok(OBJECTS["3"].notes!.some((n) => /no reboot counter/.test(n)));
    assert.ok(OBJECTS["6"].notes!.some((n) => /not Battery/.test(n)));
  });
  it("has the types, multiplicity, units and enumerations the diagnosis reads", () => {
    assert.deepEqual(resourceDef(3, 13), { ...resourceDef(3, 13)!, type: "Time", multiple: false });
    assert.equal(resourceDef(3, 6)!.multiple, true);
    assert.equal(resourceDef(3, 6)!.enumeration!["1"], "Internal Battery");
    assert.equal(resourceDef(3, 20)!.enumeration!["3"], "Damaged");
    assert.equal(resourceDef(3, 20)!.enumeration!["4"], "Low Battery");
    assert.equal(resourceDef(3, 11)!.enumeration!["8"], "Peripheral malfunction");
    assert.equal(resourceDef(4, 2)!.units, "dBm");
    assert.equal(resourceDef(4, 0)!.enumeration!["7"], "NB-IoT");
    assert.equal(resourceDef(5, 3)!.enumeration!["2"], "Downloaded");
    assert.equal(resourceDef(3, 22)!.type, "Objlnk");
    assert.equal(resourceDef(20, 4014)!.type, "Opaque");
    assert.equal(resourceDef(10371, 0)!.enumeration!["0"], "booted");
    assert.ok(Object.isFrozen(OBJECTS["3"].resources["0"]));
  });
});

describe("shared/lwm2m link format", () => {
  it("parses a Register payload: root, content formats, objects with instances and versions", () => {
    const r = parseLinkFormat('</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>');
    assert.equal(r.rootPath, "/");
    assert.deepEqual(r.contentFormats, [11543]);
    assert.deepEqual(r.objects, [{ id: 1, instances: [0] }, { id: 3, instances: [0] }]);
    // Leshan's Object 3442 Corelnk vector (LwM2mNodeDecoderTest ENCODED_OBJ3442's text)
    const l = parseLinkFormat('</>;rt="oma.lwm2m";ct="60 110 112 1542 1543 11542 11543",</1>;ver=1.1,</1/0>,</2>,</3>;ver=1.1,</3/0>,</3442/0>');
    assert.deepEqual(l.contentFormats, [60, 110, 112, 1542, 1543, 11542, 11543]);
    assert.deepEqual(l.objects, [{ id: 1, version: "1.1", instances: [0] }, { id: 2, instances: [] }, { id: 3, version: "1.1", instances: [0] }, { id: 3442, instances: [0] }]);
    assert.equal(l.links.length, 7);
  });
  it("handles an alternate root path, bare attributes and quoted commas", () => {
    const r = parseLinkFormat('</lwm2m>;rt="oma.lwm2m", </lwm2m/3/0>;obs;title="a, b", </lwm2m/5/0>');
    assert.equal(r.rootPath, "/lwm2m");
    assert.deepEqual(r.objects.map((o) => o.id), [3, 5]);
    assert.deepEqual(r.links[1].params, { obs: true, title: "a, b" });
  });
  it("refuses malformed text naming the position", () => {
    assert.throws(() => parseLinkFormat("</1/0>,"), /trailing comma/);
    assert.throws(() => parseLinkFormat("/1/0"), Lwm2mCodecError);
    assert.throws(() => parseLinkFormat('</1/0>;a="x'), /unterminated/);
  });
  it("formats what a device registers, and parses it back", () => {
    const text = formatLinks({ objects: [{ id: 3, instances: [0] }, { id: 1, instances: [0] }, { id: 5, instances: [] }], contentFormats: [11542, 110, 112] });
    assert.equal(text, '</>;rt="oma.lwm2m";ct="11542 110 112",</1/0>,</3/0>,</5>');
    assert.deepEqual(parseLinkFormat(text).objects, [{ id: 1, instances: [0] }, { id: 3, instances: [0] }, { id: 5, instances: [] }]);
    assert.equal(formatLinks([{ uri: "/1/0", params: {} }, { uri: "/3/0", params: { pmin: "10" } }]), "</1/0>,</3/0>;pmin=10");
  });
});

describe("shared/lwm2m firmwareResult", () => {
  it("classifies Update Result codes per issue 11", () => {
    const cls = (c: number) => firmwareResult(c).class;
    assert.equal(cls(1), "success");
    for (const c of [4, 5]) assert.equal(cls(c), "retryable");
    for (const c of [2, 3, 6, 7, 9]) assert.equal(cls(c), "permanent");
    assert.equal(cls(8), "check-version");
    assert.equal(cls(10), "cancelled");
    assert.equal(cls(11), "deferred");
    assert.equal(cls(0), "pending");
    assert.equal(firmwareResult(4).retryable, true);
    assert.equal(firmwareResult(2).retryable, false);
    assert.equal(firmwareResult(10).text, "Firmware update cancelled");
  });
  it("never throws on an unknown code", () => {
    for (const c of [12, -1, 255, 1.5, "x", null, undefined, NaN]) {
      const r = firmwareResult(c);
      assert.equal(r.unknown, true);
      assert.equal(r.class, "permanent");
      assert.match(r.text, /Unknown update result/);
    }
    assert.equal(firmwareResult("8").class, "check-version");
  });
});
