/**
 * A window's compact record: what a closed window keeps for corrections (and what the state document stores for
 * every window), packed into one plain array of numbers. Pure, no clock, no I/O.
 *
 * A correction re-emits a window whole, so a closed window keeps all that its aggregate is made of: per measurement
 * column the stats (count, sum, min, max, first and last with their times, BAD count, worst quality: first/last are
 * also the boundary points delta and twa interpolate from), and the interval slots it has received (duplicates and
 * completeness). A live window holds them in a Float64Array of STRIDE numbers a column and a Map of slots; the
 * record drops what repeats:
 *
 * - the times are offsets from the window start, and the count and first/last times that most columns share (a
 *   reading carries all of a meter's registers) are said once for the window;
 * - min and max that equal first or last, a last equal to the first and a sum equal to the first (one value) are
 *   flags, not numbers; so are a BAD count and quality of zero;
 * - the received slots are a bitset (32 a number) when the readings fall on the interval grid, as meters report;
 *   a reading off the grid is kept as a (slot, offset) pair.
 *
 * Layout: [columns, received, extra, count, firstAt, lastAt, words, ...bitset, pairs, ...(slot, offset), then per
 * column a code and the numbers its code does not make implicit].
 */
import { BAD, FIRST, FIRST_AT, LAST, LAST_AT, MAX, MIN, N, Q, STRIDE, SUM } from "./accumulate";

/** The received slots of a live window: slot → the reading's offset from the window start (ms). */
export type Slots = Map<number, number>;

const HAS = 1;
const ZERO = 2; // values, but all BAD: only the BAD count and quality follow
const CNT = 4;
const FAT = 8;
const LAT = 16;
const BADQ = 32;
const LEQF = 64;
const MINF = 128;
const MINL = 256;
const MAXF = 512;
const MAXL = 1024;
const SUMF = 2048;

const HEAD = 7; // columns, received, extra, count, firstAt, lastAt, words

const scratch: number[] = [];

/** Pack a live window (its accumulators for `ncols` columns, its slots) into a record. */
export function pack(buf: Float64Array, ncols: number, seen: Slots, extra: number, start: number, intervalMs: number): number[] {
  const out = scratch;
  out.length = 0;
  const nc = Math.min(ncols, Math.floor(buf.length / STRIDE));
  // the count and times most columns share: those of the first column with values
  let cc = 0;
  let cf = 0;
  let cl = 0;
  for (let c = 0; c < nc; c++) {
    const o = c * STRIDE;
    if (buf[o + N] > 0) {
      cc = buf[o + N];
      cf = buf[o + FIRST_AT] - start;
      cl = buf[o + LAST_AT] - start;
      break;
    }
  }
  // slots on the grid as bits, the others as pairs
  let maxSlot = -1;
  let off = 0;
  for (const [slot, at] of seen) {
    if (at === slot * intervalMs) {
      if (slot > maxSlot) maxSlot = slot;
    } else off++;
  }
  const words = maxSlot < 0 ? 0 : (maxSlot >> 5) + 1;
  out.push(nc, seen.size, extra, cc, cf, cl, words);
  for (let k = 0; k < words; k++) out.push(0);
  out.push(off);
  for (const [slot, at] of seen) {
    if (at === slot * intervalMs) out[HEAD + (slot >> 5)] = (out[HEAD + (slot >> 5)] | (1 << (slot & 31))) >>> 0;
    else out.push(slot, at);
  }
  for (let c = 0; c < nc; c++) {
    const o = c * STRIDE;
    const n = buf[o + N];
    const bad = buf[o + BAD];
    const q = buf[o + Q];
    if (n === 0 && bad === 0) {
      out.push(0);
      continue;
    }
    if (n === 0) {
      out.push(HAS | ZERO | BADQ, bad, q);
      continue;
    }
    const first = buf[o + FIRST];
    const last = buf[o + LAST];
    const min = buf[o + MIN];
    const max = buf[o + MAX];
    const sum = buf[o + SUM];
    const fat = buf[o + FIRST_AT] - start;
    const lat = buf[o + LAST_AT] - start;
    let code = HAS;
    if (n !== cc) code |= CNT;
    if (fat !== cf) code |= FAT;
    if (lat !== cl) code |= LAT;
    if (bad !== 0 || q !== 0) code |= BADQ;
    if (Object.is(last, first)) code |= LEQF;
    if (Object.is(min, first)) code |= MINF;
    else if (Object.is(min, last)) code |= MINL;
    if (Object.is(max, first)) code |= MAXF;
    else if (Object.is(max, last)) code |= MAXL;
    if (Object.is(sum, first)) code |= SUMF;
    out.push(code);
    if (code & CNT) out.push(n);
    if (code & FAT) out.push(fat);
    if (code & LAT) out.push(lat);
    if (code & BADQ) out.push(bad, q);
    out.push(first);
    if (!(code & LEQF)) out.push(last);
    if (!(code & (MINF | MINL))) out.push(min);
    if (!(code & (MAXF | MAXL))) out.push(max);
    if (!(code & SUMF)) out.push(sum);
  }
  return out.slice(); // exactly as long as it is (a pushed array keeps room to grow)
}

/** Slots received (readings counted once per interval). */
export function received(rec: readonly number[]): number {
  return rec[1];
}

/** Columns the record holds. */
export function columns(rec: readonly number[]): number {
  return rec[0];
}

/** Readings beyond the first of their interval. */
export function extraOf(rec: readonly number[]): number {
  return rec[2];
}

/** Is slot k received? */
export function hasSlot(rec: readonly number[], k: number): boolean {
  const words = rec[6];
  if (k >= 0 && k >> 5 < words && (rec[HEAD + (k >> 5)] >>> (k & 31)) & 1) return true;
  const p = HEAD + words;
  for (let i = 0; i < rec[p]; i++) if (rec[p + 1 + 2 * i] === k) return true;
  return false;
}

/** The received slots, as a live window holds them. */
export function slotsOf(rec: readonly number[], intervalMs: number): Slots {
  const seen: Slots = new Map();
  const words = rec[6];
  for (let w = 0; w < words; w++) {
    const bits = rec[HEAD + w];
    for (let b = 0; b < 32; b++) if ((bits >>> b) & 1) seen.set(w * 32 + b, (w * 32 + b) * intervalMs);
  }
  const p = HEAD + words;
  for (let i = 0; i < rec[p]; i++) seen.set(rec[p + 1 + 2 * i], rec[p + 2 + 2 * i]);
  return seen;
}

/**
 * Unpack the stats of columns into `out` (STRIDE numbers a column, zeroed where the record has nothing): all of
 * them, or only column `only` (written at offset 0 of `out`). Returns `out`.
 */
export function unpackStats(rec: readonly number[], start: number, out: Float64Array, only = -1): Float64Array {
  const nc = rec[0];
  const cc = rec[3];
  const cf = rec[4] + start;
  const cl = rec[5] + start;
  let p = HEAD + rec[6];
  p += 1 + 2 * rec[p];
  if (only >= 0) out.fill(0, 0, STRIDE);
  else out.fill(0);
  for (let c = 0; c < nc; c++) {
    const code = rec[p++];
    if (code === 0) continue;
    const take = only < 0 || c === only;
    const o = only < 0 ? c * STRIDE : 0;
    if (code & ZERO) {
      if (take) {
        out[o + BAD] = rec[p];
        out[o + Q] = rec[p + 1];
      }
      p += 2;
      if (c === only) return out;
      continue;
    }
    const n = code & CNT ? rec[p++] : cc;
    const fat = code & FAT ? rec[p++] + start : cf;
    const lat = code & LAT ? rec[p++] + start : cl;
    let bad = 0;
    let q = 0;
    if (code & BADQ) {
      bad = rec[p++];
      q = rec[p++];
    }
    const first = rec[p++];
    const last = code & LEQF ? first : rec[p++];
    const min = code & MINF ? first : code & MINL ? last : rec[p++];
    const max = code & MAXF ? first : code & MAXL ? last : rec[p++];
    const sum = code & SUMF ? first : rec[p++];
    if (!take) continue;
    out[o + N] = n;
    out[o + SUM] = sum;
    out[o + MIN] = min;
    out[o + MAX] = max;
    out[o + FIRST] = first;
    out[o + FIRST_AT] = fat;
    out[o + LAST] = last;
    out[o + LAST_AT] = lat;
    out[o + BAD] = bad;
    out[o + Q] = q;
    if (c === only) return out;
  }
  return out;
}
