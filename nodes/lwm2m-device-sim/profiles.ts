/**
 * What a simulated device reports, by profile, as a function of simulated time since its boot. The numbers follow
 * the thresholds of issue 11's diagnosis (RSRP below -115 dBm is poor, battery below 15 % is low, ...), so each
 * profile shows the symptom lwm2m-diagnose looks for, and a healthy device shows none.
 */
export const PROFILES = ["healthy", "poor-signal", "dying-battery", "memory-leak", "firmware-bug", "hardware-fault"] as const;
export type Profile = (typeof PROFILES)[number];

export interface Readings {
  /** /3/0/9 Battery Level (%). */
  battery: number;
  /** /3/0/7/0 Power Source Voltage of the internal battery (mV). */
  voltage: number;
  /** /3/0/20 Battery Status: 0 normal, 1 charging, 2 charge complete, 3 damaged, 4 low, 5 not installed, 6 unknown. */
  batteryStatus: number;
  /** /3/0/10 Memory Free (KB). */
  memoryFree: number;
  /** /3/0/11 Error Code instances. */
  errors: number[];
  /** /4/0/2 Radio Signal Strength (dBm: RSRP for LTE). */
  rsrp: number;
  /** /4/0/3 Link Quality (%). */
  linkQuality: number;
  /** /4/0/11 SINR (dB). */
  sinr: number;
}

export const MEMORY_TOTAL_KB = 256;

/**
 * Readings of a device of `profile`, `hours` simulated hours after its boot (`ageHours` since the simulation began,
 * for what does not reset at a reboot: the battery). `seed` varies devices a little.
 */
export function readings(profile: Profile, hours: number, ageHours: number, seed: number): Readings {
  const jitter = ((seed * 9301 + 49297) % 233280) / 233280; // 0..1, fixed per device
  const base: Readings = {
    // flat: lwm2m-diagnose times its samples by the wall clock, so any drift here, multiplied by the simulated speed,
    // would read as a battery emptying within days (0.02 %/h at the default 60x: 29 %/day, "empty in 3 days")
    battery: Math.round(98 - jitter * 3),
    voltage: 3900,
    batteryStatus: 0,
    memoryFree: Math.round(180 - jitter * 10),
    errors: [0],
    rsrp: Math.round(-85 - jitter * 8),
    linkQuality: 80,
    sinr: 12,
  };
  switch (profile) {
    case "poor-signal":
      return { ...base, rsrp: Math.round(-122 - jitter * 4), sinr: -3, linkQuality: 12 };
    case "dying-battery": {
      // Empty in about four days: 2 % an hour... from 40 %.
      const battery = Math.max(0, Math.round(40 - ageHours * 0.4));
      return { ...base, battery, voltage: Math.round(3300 + battery * 10), batteryStatus: battery < 15 ? 4 : 0, errors: battery < 15 ? [1] : [0] };
    }
    case "memory-leak":
      // 4 KB an hour since boot: exhausted in under two days; the sawtooth resets at each reboot.
      return { ...base, memoryFree: Math.max(0, Math.round(base.memoryFree - hours * 4)) };
    case "hardware-fault":
      return { ...base, errors: [8] };
    default:
      return base;
  }
}
