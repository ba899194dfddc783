import { it } from "mocha";
import assert from "node:assert/strict";
import {
  readF32, readF64, readI16, readI32, readI64, readString, readU16, readU32, readU64,
} from "../../../nodes/meter-normalize/decode";
import { float32ToDecimal } from "../../../nodes/shared/number";

// 0x12345678 on the wire in each byte order.
const WIRE = { ABCD: [0x1234, 0x5678], CDAB: [0x5678, 0x1234], BADC: [0x3412, 0x7856], DCBA: [0x7856, 0x3412] } as const;

it("32-bit values read the same from all four byte orders", () => {
  for (const [endian, regs] of Object.entries(WIRE)) {
    assert.equal(readU32(regs, 0, endian as keyof typeof WIRE), 0x12345678, endian);
  }
});

it("signed 16 and 32 bit values", () => {
  assert.equal(readI16([0xff38], 0, "ABCD"), -200);
  assert.equal(readU16([0xff38], 0, "ABCD"), 65336);
  assert.equal(readI16([0x38ff], 0, "BADC"), -200);
  assert.equal(readI32([0xffff, 0xfffe], 0, "ABCD"), -2);
  assert.equal(readI32([0xfffe, 0xffff], 0, "CDAB"), -2);
});

it("float32 230.1 in ABCD and CDAB, and its shortest decimal", () => {
  const b = Buffer.alloc(4);
  b.writeFloatBE(230.1);
  const hi = b.readUInt16BE(0);
  const lo = b.readUInt16BE(2);
  assert.equal(float32ToDecimal(readF32([hi, lo], 0, "ABCD")), 230.1);
  assert.equal(float32ToDecimal(readF32([lo, hi], 0, "CDAB")), 230.1);
  assert.notEqual(readF32([hi, lo], 0, "ABCD"), 230.1, "raw float32 is not the decimal");
  assert.equal(float32ToDecimal(16777216), 16777216);
  assert.ok(Number.isNaN(float32ToDecimal(NaN)));
});

it("64-bit integers and doubles in all byte orders", () => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(0x0102030405060708n);
  const w = [0, 2, 4, 6].map((k) => b.readUInt16BE(k));
  const sw = (x: number) => ((x & 0xff) << 8) | (x >> 8);
  assert.equal(readU64(w, 0, "ABCD"), 0x0102030405060708n);
  assert.equal(readU64([...w].reverse(), 0, "CDAB"), 0x0102030405060708n);
  assert.equal(readU64(w.map(sw), 0, "BADC"), 0x0102030405060708n);
  assert.equal(readU64([...w].reverse().map(sw), 0, "DCBA"), 0x0102030405060708n);
  assert.equal(readI64([0xffff, 0xffff, 0xffff, 0xfffe], 0, "ABCD"), -2n);
  b.writeDoubleBE(-1234.5678);
  assert.equal(readF64([0, 2, 4, 6].map((k) => b.readUInt16BE(k)), 0, "ABCD"), -1234.5678);
});

it("strings: two characters per register, NUL and space padding cut, byte swap honoured", () => {
  const regs = [0x454d, 0x3234, 0x2d41, 0x0000]; // "EM24-A\0\0"
  assert.equal(readString(regs, 0, 4, "ABCD"), "EM24-A");
  assert.equal(readString(regs.map((x) => ((x & 0xff) << 8) | (x >> 8)), 0, 4, "BADC"), "EM24-A");
  assert.equal(readString([0x4142, 0x2020], 0, 2, "ABCD"), "AB");
});
