/**
 * Deterministic randomness for the simulator: every random number is a pure function of the seed, the meter
 * and what it is for (a 15-minute slot, the jitter, a noise step), so a run is reproducible to the last digit
 * whatever order the events are computed in, and tests are exact.
 */

/** FNV-1a, 32 bits, of a string: a meter id (or any label) as a number. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The splitmix32 finaliser: a well-mixed 32-bit value from any 32-bit input. */
function mix(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A number in [0, 1) from a key and up to two integers (a slot index, a step): the same inputs, the same number. */
export function uniform(key: number, a: number, b = 0): number {
  const lo = a % 0x100000000 | 0;
  const hi = Math.floor(a / 0x100000000) | 0;
  return mix(mix(mix(key ^ lo) ^ hi) ^ (b | 0)) / 0x100000000;
}

/** The key of one meter's stream for one purpose: seed, meter id and purpose hashed together. */
export function streamKey(seed: number, meterId: string, purpose: string): number {
  return mix(hash32(`${seed}\u0000${meterId}\u0000${purpose}`));
}
