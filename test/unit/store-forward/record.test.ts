// What store-forward keeps of a message and how it comes back: Buffers exactly, at any depth; what cannot
// be stored is refused with an error naming the property; old records (plain JSON) still decode.
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { RecordError, decodeRecord, encodeRecord, encodeRecordDetailed } from "../../../nodes/store-forward/record";

const roundTrip = (m: Record<string, unknown>) => decodeRecord(encodeRecord(m));

function refused(m: Record<string, unknown>, re: RegExp): void {
  assert.throws(() => encodeRecord(m), (err: unknown) => err instanceof RecordError && re.test(err.message), `expected ${re}`);
}

describe("store-forward record", () => {
  it("a message of JSON values comes back equal, without _msgid and _sf, stored as plain JSON", () => {
    const m = { _msgid: "x1", _sf: { id: "p1-1" }, topic: "t", payload: { deviceId: "d", timestamp: "2024-01-01T00:00:00Z", v: [1, 2.5, null, true, "s"] }, receivedAt: 5 };
    const data = encodeRecord(m);
    assert.equal(data[0], "{".charCodeAt(0), "plain JSON: a record without Buffers reads as JSON");
    assert.deepEqual(decodeRecord(data), { topic: "t", payload: m.payload, receivedAt: 5 });
    assert.equal(encodeRecordDetailed(m).exact, true);
  });

  it("a Buffer payload comes back as a Buffer with the same bytes, not as {type, data}", () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255, 0x7b]);
    const back = roundTrip({ topic: "raw", payload: bytes });
    assert.ok(Buffer.isBuffer(back.payload), "a Buffer");
    assert.deepEqual(back.payload, bytes);
    assert.equal(back.topic, "raw");
    const empty = roundTrip({ payload: Buffer.alloc(0) });
    assert.ok(Buffer.isBuffer(empty.payload) && (empty.payload as Buffer).length === 0);
  });

  it("Buffers nested in objects and arrays come back as Buffers; a Uint8Array as a Buffer; a Buffer view keeps only its bytes", () => {
    const big = Buffer.from("abcdefgh");
    const m = { payload: { a: Buffer.from("hi"), list: [1, Buffer.from([9, 8]), { deep: { b: Buffer.from([7]) } }], u: new Uint8Array([3, 4]), view: big.subarray(2, 5) }, other: Buffer.from("x") };
    const back = roundTrip(m) as { payload: Record<string, unknown>; other: Buffer };
    const p = back.payload as { a: Buffer; list: [number, Buffer, { deep: { b: Buffer } }]; u: Buffer; view: Buffer };
    assert.ok(Buffer.isBuffer(p.a) && p.a.toString() === "hi");
    assert.equal(p.list[0], 1);
    assert.deepEqual([...p.list[1]], [9, 8]);
    assert.ok(Buffer.isBuffer(p.list[2].deep.b));
    assert.deepEqual([...p.list[2].deep.b], [7]);
    assert.ok(Buffer.isBuffer(p.u));
    assert.deepEqual([...p.u], [3, 4]);
    assert.equal(p.view.toString(), "cde");
    assert.ok(Buffer.isBuffer(back.other));
  });

  it("an object that looks like the stored-Buffer shape but is not a Buffer stays as it is in a Buffer record", () => {
    const m = { payload: { b: Buffer.from("z"), fake: { type: "Buffer", data: [1] }, s: '"type":"Buffer"' } };
    const back = roundTrip(m) as { payload: { fake: unknown; s: string } };
    assert.deepEqual(back.payload.fake, { type: "Buffer", data: [1] });
    assert.equal(back.payload.s, '"type":"Buffer"');
  });

  it("records written before the Buffer format (Buffers as {type, data}) come back with Buffers", () => {
    const legacy = Buffer.from(JSON.stringify({ topic: "t", payload: Buffer.from([1, 2, 3]), x: { y: [Buffer.from("a")] } }));
    const back = decodeRecord(legacy) as { payload: Buffer; x: { y: Buffer[] } };
    assert.ok(Buffer.isBuffer(back.payload));
    assert.deepEqual([...back.payload], [1, 2, 3]);
    assert.ok(Buffer.isBuffer(back.x.y[0]));
  });

  it("refuses functions, symbols, BigInt, Map, Set, typed arrays and cycles, naming the property", () => {
    refused({ payload: () => 1 }, /^msg\.payload is a function/);
    refused({ payload: { a: [1, { f() {} }] } }, /^msg\.payload\.a\[1\]\.f is a function/);
    refused({ payload: Symbol("s") }, /msg\.payload is a symbol/);
    refused({ payload: { n: 10n } }, /msg\.payload\.n is a BigInt/);
    refused({ payload: new Map() }, /msg\.payload is a Map/);
    refused({ payload: { s: new Set([1]) } }, /msg\.payload\.s is a Set/);
    refused({ payload: new Float32Array(2) }, /msg\.payload is a Float32Array/);
    refused({ "a b": { x: () => 0 } }, /^msg\["a b"\]\.x is a function/);
    const cyc: Record<string, unknown> = { a: 1 };
    cyc.self = cyc;
    refused({ payload: cyc }, /circular/);
    const m: Record<string, unknown> = { payload: 1 };
    m.loop = m;
    refused(m, /msg\.loop is a circular reference/);
    // A shared (non circular) reference is fine.
    const shared = { v: 1 };
    assert.deepEqual(roundTrip({ payload: [shared, shared] }), { payload: [{ v: 1 }, { v: 1 }] });
  });

  it("values JSON changes come back as JSON gives them, and the record says it is not exact", () => {
    const d = new Date("2024-05-01T10:00:00Z");
    const m = { payload: { at: d, nan: NaN, u: undefined }, error: Object.assign(new Error("boom"), { code: "E1" }) };
    const enc = encodeRecordDetailed(m);
    assert.equal(enc.exact, false);
    const back = decodeRecord(enc.data) as { payload: Record<string, unknown>; error: Record<string, unknown> };
    assert.deepEqual(back.payload, { at: "2024-05-01T10:00:00.000Z", nan: null });
    assert.deepEqual(back.error, { name: "Error", message: "boom", code: "E1" });
  });

  it("each value JSON changes, alone and at any depth, makes the record inexact; plain JSON is exact", () => {
    const inexact: Record<string, unknown>[] = [
      { payload: { nan: NaN } }, { payload: { m: { x: { value: Infinity } } } }, { payload: [1, [-Infinity]] }, { x: NaN },
      { payload: { u: undefined } }, { payload: [undefined] }, { payload: { at: new Date(0) } }, { payload: { e: new Error("e") } },
    ];
    for (const m of inexact) assert.equal(encodeRecordDetailed(m).exact, false, JSON.stringify(m));
    const exact = { topic: "t", payload: { deviceId: "d", n: -0.5, big: 1e300, s: "", b: false, z: null, list: [0, "a", { k: [true] }] } };
    assert.equal(encodeRecordDetailed(exact).exact, true);
  });

  it("a record that is not a message is refused with a clear error", () => {
    assert.throws(() => decodeRecord(Buffer.from("[1]")), /stored record is not a message/);
    assert.throws(() => decodeRecord(Buffer.from("{bad")), /stored record is not a message/);
  });
});
