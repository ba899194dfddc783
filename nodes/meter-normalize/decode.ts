/**
 * Raw Modbus decoding: registers (16-bit words as node-red-contrib-modbus delivers them) to numbers,
 * bigints and strings, in any of the four byte orders.
 *
 * Endian names the order of the bytes A B C D of a 32-bit value as they arrive on the wire:
 * ABCD big-endian (the Modbus default), CDAB word-swapped, BADC byte-swapped, DCBA little-endian.
 * 64-bit values extend the same rule to eight bytes.
 */
export type Endian = "ABCD" | "BADC" | "CDAB" | "DCBA";

const view = new DataView(new ArrayBuffer(8));

function swap16(w: number): number {
  return ((w & 0xff) << 8) | ((w >> 8) & 0xff);
}

/** One register as an unsigned 16-bit value in the point's byte order. */
export function readU16(regs: ArrayLike<number>, i: number, endian: Endian): number {
  const w = regs[i] & 0xffff;
  return endian === "BADC" || endian === "DCBA" ? swap16(w) : w;
}

export function readI16(regs: ArrayLike<number>, i: number, endian: Endian): number {
  const u = readU16(regs, i, endian);
  return u & 0x8000 ? u - 0x10000 : u;
}

/** Word `k` (0 = most significant) of an n-register value starting at `i`. */
function word(regs: ArrayLike<number>, i: number, n: number, k: number, endian: Endian): number {
  const swapWords = endian === "CDAB" || endian === "DCBA";
  const w = regs[i + (swapWords ? n - 1 - k : k)] & 0xffff;
  return endian === "BADC" || endian === "DCBA" ? swap16(w) : w;
}

export function readU32(regs: ArrayLike<number>, i: number, endian: Endian): number {
  return ((word(regs, i, 2, 0, endian) << 16) | word(regs, i, 2, 1, endian)) >>> 0;
}

export function readI32(regs: ArrayLike<number>, i: number, endian: Endian): number {
  return (word(regs, i, 2, 0, endian) << 16) | word(regs, i, 2, 1, endian);
}

const u32 = new Uint32Array(1);
const f32 = new Float32Array(u32.buffer);

export function readF32(regs: ArrayLike<number>, i: number, endian: Endian): number {
  u32[0] = endian === "ABCD" ? ((regs[i] & 0xffff) << 16) | (regs[i + 1] & 0xffff) : readU32(regs, i, endian);
  return f32[0];
}

function read64(regs: ArrayLike<number>, i: number, endian: Endian): void {
  view.setUint32(0, ((word(regs, i, 4, 0, endian) << 16) | word(regs, i, 4, 1, endian)) >>> 0);
  view.setUint32(4, ((word(regs, i, 4, 2, endian) << 16) | word(regs, i, 4, 3, endian)) >>> 0);
}

export function readU64(regs: ArrayLike<number>, i: number, endian: Endian): bigint {
  read64(regs, i, endian);
  return view.getBigUint64(0);
}

export function readI64(regs: ArrayLike<number>, i: number, endian: Endian): bigint {
  read64(regs, i, endian);
  return view.getBigInt64(0);
}

export function readF64(regs: ArrayLike<number>, i: number, endian: Endian): number {
  read64(regs, i, endian);
  return view.getFloat64(0);
}

/**
 * `length` registers as text, two characters per register (high byte first unless the byte order
 * swaps bytes). Trailing NULs and spaces are cut; a string of only NULs is "".
 */
export function readString(regs: ArrayLike<number>, i: number, length: number, endian: Endian): string {
  const bytes: number[] = [];
  for (let k = 0; k < length; k++) {
    const w = readU16(regs, i + k, endian);
    bytes.push((w >> 8) & 0xff, w & 0xff);
  }
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0 || bytes[end - 1] === 0x20)) end--;
  const nul = bytes.indexOf(0);
  if (nul !== -1 && nul < end) end = nul;
  return Buffer.from(bytes.slice(0, end)).toString("latin1");
}

/** A bigint as a number when that is exact, else as its decimal string. */
export function bigToValue(b: bigint): number | string {
  return b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(b) : b.toString();
}
