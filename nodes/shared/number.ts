/**
 * Numbers as meters report them: scaled values without binary noise, and float32 registers as the decimal the
 * meter meant.
 */

/** 10^0 .. 10^22: the powers of ten that are exact doubles. */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * Drop binary floating-point noise such as 40.00000000000001 from scaled values: the number rounded to 15
 * significant digits, exactly as Number(x.toPrecision(15)).
 *
 * For 1 <= |x| < 1e15 (sums, scaled registers) it is done in arithmetic, without a string: x times 10^e
 * (e = 15 minus the digits before the point) rounded to an integer n < 10^15, then n / 10^e, which is the double
 * nearest to the 15-digit decimal, as Number() of the string is. The product carries a rounding error of at most
 * 1/16; when it lies within 1/8 of a tie (a half) the string path decides. Other magnitudes take the string path.
 */
export function tidy(x: number): number {
  if (Number.isInteger(x) || !Number.isFinite(x)) return x;
  const ax = x < 0 ? -x : x;
  if (ax >= 1 && ax < 1e15) {
    let digits = 1;
    while (POW10[digits] <= ax) digits++;
    const scale = POW10[15 - digits];
    const p = ax * scale;
    const n = Math.round(p);
    const off = p - Math.floor(p);
    if (off < 0.375 || off > 0.625) return x < 0 ? -n / scale : n / scale;
  }
  return Number(x.toPrecision(15));
}

/**
 * The shortest decimal that reads back as the same float32: 21.299999237060547 (float32 21.3) becomes 21.3.
 * Seven significant digits round-trip for almost all values; eight or nine for the rest.
 */
export function float32ToDecimal(x: number): number {
  // Values of 2^23 and above are whole numbers in float32; NaN and infinities pass through.
  if (!(x > -8388608 && x < 8388608) || x === 0 || Number.isInteger(x)) return x;
  const ax = x < 0 ? -x : x;
  // ceil(log10(ax)), by table for the common range
  let magnitude: number;
  if (ax >= 1 && ax < 1e7) {
    magnitude = 1;
    while (POW10[magnitude] < ax) magnitude++;
  } else magnitude = Math.ceil(Math.log10(ax));
  for (let p = 7; p <= 9; p++) {
    const e = p - magnitude;
    if (e > 22) break; // powers of ten beyond 1e22 are not exact doubles
    const scale = POW10[e];
    const d = Math.round(x * scale) / scale;
    if (Math.fround(d) === x) return d;
  }
  for (let p = 7; p < 9; p++) {
    const d = Number(x.toPrecision(p));
    if (Math.fround(d) === x) return d;
  }
  return Number(x.toPrecision(9));
}
