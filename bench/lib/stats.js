// Small statistics for benchmarks: medians, spreads, and rounds repeated until a ratio is stable.
"use strict";

const sorted = (xs) => [...xs].sort((a, b) => a - b);
/** The median (mean of the two middle values for an even count). */
function median(xs) {
  if (xs.length === 0) return NaN;
  const s = sorted(xs);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
/** The q-quantile (0..1), linear between ranks. */
function quantile(xs, q) {
  if (xs.length === 0) return NaN;
  const s = sorted(xs);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}
/** Median, min, max, interquartile range and relative spread ((max-min)/median) of a sample. */
function spread(xs) {
  const med = median(xs);
  const min = Math.min(...xs);
  const max = Math.max(...xs);
  const q1 = quantile(xs, 0.25);
  const q3 = quantile(xs, 0.75);
  return { n: xs.length, median: med, min, max, q1, q3, iqr: q3 - q1, relSpread: (max - min) / med, relIqr: (q3 - q1) / med };
}
const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
const gc = () => {
  if (global.gc) {
    global.gc();
    global.gc();
  }
};

/**
 * Paired rounds of two measurements (a candidate "a" and its baseline "b") until the median of their
 * per-round ratio a/b is known to within `tolerance` (relative standard error of the median, estimated from
 * the interquartile range: 0.93 * IQR / sqrt(n)), after at least `minRounds`; or at `maxRounds` /
 * `maxSeconds`. Each round runs the two in the order a b b a (then b a a b the next round), so a drift in
 * the machine's speed during a round falls on both sides alike.
 * `measure(which, round)` returns { work, seconds } for which = "a" or "b"; rates are work / seconds.
 */
async function stableRatio(measure, { minRounds = 7, maxRounds = 40, tolerance = 0.02, maxSeconds = 90 } = {}) {
  const a = [];
  const b = [];
  const ratios = [];
  const t0 = process.hrtime.bigint();
  let precision = Infinity;
  for (let r = 0; r < maxRounds; r++) {
    const order = r % 2 ? ["b", "a", "a", "b"] : ["a", "b", "b", "a"];
    const got = { a: { work: 0, seconds: 0 }, b: { work: 0, seconds: 0 } };
    for (const w of order) {
      gc();
      const m = await measure(w, r);
      got[w].work += m.work;
      got[w].seconds += m.seconds;
    }
    const ra = got.a.work / got.a.seconds;
    const rb = got.b.work / got.b.seconds;
    a.push(ra);
    b.push(rb);
    ratios.push(ra / rb);
    if (ratios.length >= 3) {
      const s = spread(ratios);
      precision = (0.93 * s.iqr) / Math.sqrt(ratios.length) / s.median;
    }
    if (ratios.length >= minRounds && precision < tolerance) break;
    if (seconds(t0) > maxSeconds && ratios.length >= Math.min(minRounds, 3)) break;
  }
  return { a: spread(a), b: spread(b), ratio: spread(ratios), ratios, rounds: ratios.length, precision, stable: precision < tolerance, tolerance };
}

/** Wall-clock and CPU seconds (this process: user + system, all its threads) of `fn()`. */
async function timed(fn) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = await fn();
  const wall = seconds(t0);
  const c = process.cpuUsage(c0);
  return { value, wall, cpu: (c.user + c.system) / 1e6 };
}

module.exports = { median, quantile, spread, seconds, gc, stableRatio, timed };
