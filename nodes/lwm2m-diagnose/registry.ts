/**
 * The enumerations the diagnosis reads, as the OMA LwM2M registry defines them (OMNA LwM2M Registry,
 * https://github.com/OpenMobileAlliance/lwm2m-registry):
 *
 * - 3.xml (OMA-SUP-XML_3-V1_2-20201110-A, Device): /3/0/6 Available Power Sources, /3/0/7 Power Source Voltage
 *   (mV, the same resource instance id as its power source), /3/0/9 Battery Level (%, "only valid for the Device
 *   internal Battery if present"), /3/0/10 Memory Free (kB, 1 kB = 1000 bytes), /3/0/11 Error Code, /3/0/13 Current
 *   Time, /3/0/20 Battery Status. Object 3 has no reboot counter: reboots are inferred (a repeat Register, Current
 *   Time jumping back).
 * - 4.xml (OMA-SUP-XML_4-V1_3, Connectivity Monitoring): /4/0/0 Network Bearer, /4/0/2 Radio Signal Strength (dBm:
 *   GSM RSSI, UMTS RSCP, LTE RSRP, NB-IoT NRSRP), /4/0/11 SignalSNR (SINR, dB), /4/0/13 Coverage Enhancement Level
 *   (0 none, 1..4 = CE level 0..3).
 * - 5.xml (Firmware Update): /5/0/3 State, /5/0/5 Update Result (8 = "Firmware update failed").
 *
 * Where the seeds disagree, the registry wins: Object 6 is Location (not Battery), there is no Object 33 (logs are
 * Object 20, Event Log), and Object 3 counts no reboots.
 */

/** /3/0/11 Error Code (3.xml): 0 no error, 1..8 defined, 9..15 reserved, 16..32 device specific. */
export const ERROR_CODES: Readonly<Record<number, string>> = Object.freeze({
  0: "No error",
  1: "Low battery power",
  2: "External power supply off",
  3: "GPS module failure",
  4: "Low received signal strength",
  5: "Out of memory",
  6: "SMS failure",
  7: "IP connectivity failure",
  8: "Peripheral malfunction",
});

export function errorCodeText(code: number): string {
  if (ERROR_CODES[code]) return ERROR_CODES[code];
  if (code >= 9 && code <= 15) return "Reserved error code";
  if (code >= 16 && code <= 32) return "Device-specific error code";
  return "Unknown error code";
}

/** /3/0/20 Battery Status (3.xml). */
export const BATTERY_STATUS: Readonly<Record<number, string>> = Object.freeze({
  0: "Normal",
  1: "Charging",
  2: "Charge Complete",
  3: "Damaged",
  4: "Low Battery",
  5: "Not Installed",
  6: "Unknown",
});

/** /3/0/6 Available Power Sources (3.xml). */
export const POWER_SOURCES: Readonly<Record<number, string>> = Object.freeze({
  0: "DC power",
  1: "Internal Battery",
  2: "External Battery",
  3: "Fuel Cell",
  4: "Power over Ethernet",
  5: "USB",
  6: "AC (Mains) power",
  7: "Solar",
});
export const INTERNAL_BATTERY = 1;

/** /4/0/0 Network Bearer (4.xml): 0..20 cellular, 21..40 wireless, 41..50 wireline. */
export const NETWORK_BEARERS: Readonly<Record<number, string>> = Object.freeze({
  0: "GSM",
  1: "TD-SCDMA",
  2: "WCDMA",
  3: "CDMA2000",
  4: "WiMAX",
  5: "LTE-TDD",
  6: "LTE-FDD",
  7: "NB-IoT",
  8: "5G-NR TDD",
  9: "5G-NR FDD",
  21: "WLAN",
  22: "Bluetooth",
  23: "IEEE 802.15.4",
  41: "Ethernet",
  42: "DSL",
  43: "PLC",
});

export function bearerName(b: number): string {
  if (NETWORK_BEARERS[b]) return NETWORK_BEARERS[b];
  if (b >= 10 && b <= 20) return `cellular bearer ${b}`;
  if (b >= 24 && b <= 40) return `wireless bearer ${b}`;
  if (b >= 44 && b <= 50) return `wireline bearer ${b}`;
  return `bearer ${b}`;
}

/** How the signal is judged on a bearer: which threshold applies to /4/0/2 (and /4/0/11). */
export type SignalClass = "lte" | "nbiot" | "gsm" | "wlan" | "wireline" | "other";

export function signalClass(b: number): SignalClass {
  if (b === 5 || b === 6 || b === 8 || b === 9) return "lte"; // LTE RSRP; 5G-NR judged by the same RSRP/SINR floors
  if (b === 7) return "nbiot";
  if (b === 0) return "gsm";
  if (b === 21) return "wlan";
  if (b >= 41 && b <= 50) return "wireline";
  return "other";
}

/** /5/0/5 Update Result 8 (5.xml): "Firmware update failed". */
export const UPDATE_RESULT_FAILED = 8;
