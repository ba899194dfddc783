/**
 * Welford's online mean and variance (Welford 1962; Knuth, TAOCP vol. 2, 4.2.2): one pass, numerically stable,
 * three numbers of state. A baseline is [n, mean, m2] so that thousands of them stay small in memory and in JSON.
 */
export type Baseline = [n: number, mean: number, m2: number];

export function newBaseline(): Baseline {
  return [0, 0, 0];
}

/** Add one value. */
export function addValue(b: Baseline, x: number): void {
  const n = b[0] + 1;
  const delta = x - b[1];
  const mean = b[1] + delta / n;
  b[0] = n;
  b[1] = mean;
  b[2] += delta * (x - mean);
}

/** Add one value to the baseline kept at `buf[at]` (n), `buf[at + 1]` (mean), `buf[at + 2]` (m2): a packed state. */
export function addValueAt(buf: Float64Array, at: number, x: number): void {
  const n = buf[at] + 1;
  const delta = x - buf[at + 1];
  const mean = buf[at + 1] + delta / n;
  buf[at] = n;
  buf[at + 1] = mean;
  buf[at + 2] += delta * (x - mean);
}

/** The sample standard deviation (0 with fewer than two values). */
export function stdDev(b: Baseline): number {
  return b[0] > 1 ? Math.sqrt(b[2] / (b[0] - 1)) : 0;
}

export interface SpikeCheck {
  /** More than this many standard deviations from the mean is a spike. */
  sigma: number;
  /** Values the baseline must have seen before it judges. */
  warmup: number;
  /** The smallest σ used (a stuck-flat history would make every change a spike). */
  floor: number;
}

/**
 * Is `x` a spike against `b`? Undefined while the baseline warms up. The σ used is the larger of the baseline's,
 * `floor`, and 1 % of the mean's magnitude (a near-constant load would otherwise flag its own noise).
 */
export function spike(b: Baseline | undefined, x: number, c: SpikeCheck): { z: number; mean: number; sd: number } | undefined {
  if (!b) return undefined;
  return spikeOf(b[0], b[1], b[2], x, c.sigma, c.warmup, c.floor);
}

/** spike() for a baseline and a check given as numbers (a packed state: nothing allocated unless it is a spike). */
export function spikeOf(n: number, mean: number, m2: number, x: number, sigma: number, warmup: number, floor: number): { z: number; mean: number; sd: number } | undefined {
  if (n < warmup) return undefined;
  const sd = Math.max(n > 1 ? Math.sqrt(m2 / (n - 1)) : 0, floor, Math.abs(mean) * 0.01, 1e-9);
  const z = Math.abs(x - mean) / sd;
  return z > sigma ? { z, mean, sd } : undefined;
}
