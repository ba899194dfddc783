/**
 * Wave planning: which devices go in which wave.
 *
 * - The rank of a device is a 53-bit hash (cyrb53: two multiply-xorshift lanes, a public-domain mixer) of
 *   `salt + "\u0000" + id` (the salt defaults to the campaign id), ties broken by id: shuffled,
 *   so the canary is a sample and not the oldest devices (eclipse-hawkbit#1086 fills groups in creation order),
 *   stable across restarts, and independent of the order the devices were listed in.
 * - Wave k holds the devices whose rank falls inside its cumulative share: the first ceil(p_k × n / 100) ranks,
 *   less those of the waves before. A wave rounds up (1% of 7 devices is 1, never an empty canary), and every wave
 *   gets at least one device while devices remain (7 devices, 1/10/100 → 1, 1, 5); a wave left with no device
 *   (fewer devices than waves) is dropped.
 * - With preferWeakSignal, the first wave holds the devices with the worst (lowest) `signal`, worst first (the
 *   seeds' advice: pilot in the worst connectivity); devices without a signal come after those with one. The
 *   waves after it take the rest by rank.
 */
export interface PlanDevice {
  id: string;
  signal?: number;
}

/**
 * A 53-bit rank (a safe integer) of the salted id: cyrb53. Not a cryptographic hash (a rank needs a shuffle that
 * is stable and cheap: 100,000 ids in a few milliseconds, where SHA-256 took a third of a second).
 */
export function rankOf(salt: string, id: string): number {
  const s = `${salt}\u0000${id}`;
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** The cumulative device counts of the waves for `n` devices (before empty waves are dropped). */
export function cumulativeCounts(n: number, waves: readonly number[]): number[] {
  const out: number[] = [];
  let prev = 0;
  for (const p of waves) {
    // p × n / 100 rounded up; the epsilon keeps 0.1 × 1000 / 100 from rounding up to 2 through binary noise.
    let c = Math.ceil((p * n) / 100 - 1e-9);
    if (c <= prev) c = prev + 1;
    c = Math.min(c, n);
    out.push(c);
    prev = c;
  }
  return out;
}

/** The sizes of the waves for `n` devices (empty waves dropped). */
export function waveSizes(n: number, waves: readonly number[]): number[] {
  const sizes: number[] = [];
  let prev = 0;
  for (const c of cumulativeCounts(n, waves)) {
    if (c > prev) sizes.push(c - prev);
    prev = c;
  }
  return sizes;
}

/**
 * The devices in campaign order: `order[i]` is the index (into `devices`) of the i-th device to update, and
 * `sizes` the sizes of the waves along that order.
 */
export function plan(devices: readonly PlanDevice[], salt: string, waves: readonly number[], preferWeakSignal: boolean): { order: number[]; sizes: number[] } {
  const n = devices.length;
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; i++) ranks[i] = rankOf(salt, devices[i].id);
  const byRank = (a: number, b: number) => ranks[a] - ranks[b] || (devices[a].id < devices[b].id ? -1 : devices[a].id > devices[b].id ? 1 : 0);
  const order = Array.from({ length: n }, (_, i) => i).sort(byRank);
  const sizes = waveSizes(n, waves);
  if (preferWeakSignal && sizes.length > 0) {
    const sig = (i: number) => {
      const s = devices[i].signal;
      return typeof s === "number" && Number.isFinite(s) ? s : Infinity;
    };
    const bySignal = [...order].sort((a, b) => sig(a) - sig(b) || byRank(a, b));
    const first = bySignal.slice(0, sizes[0]);
    const inFirst = new Set(first);
    return { order: first.concat(order.filter((i) => !inFirst.has(i))), sizes };
  }
  return { order, sizes };
}
