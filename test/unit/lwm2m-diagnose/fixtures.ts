// Snapshots in the decoded shape of issue 11 (resource ids as keys, multi-instance resources as { "0": v },
// Time as UTC ISO), built from the OMA LwM2M TS example of a Device object read (/3/0: "Open Mobile Alliance",
// "Lightweight M2M Client", serial 345000123, firmware 1.0, power sources { 0: 1 internal battery, 1: 5 USB } at
// 3800 and 5000 mV, battery 100 %, memory free 15 kB, error code 0, current time 2013-05-02T10:40:15Z).
// Enumerations: OMA LwM2M registry 3.xml (Device) and 4.xml (Connectivity Monitoring).
import type { Rec } from "../../../nodes/shared/util";

export const T0 = Date.parse("2026-03-02T00:00:00.000Z");
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export function device(over: Rec = {}): Rec {
  return {
    "0": "Open Mobile Alliance",
    "1": "Lightweight M2M Client",
    "2": "345000123",
    "3": "1.0",
    "6": { "0": 1, "1": 5 },
    "7": { "0": 3800, "1": 5000 },
    "8": { "0": 125, "1": 900 },
    "9": 100,
    "10": 15,
    "11": { "0": 0 },
    "13": "2013-05-02T10:40:15.000Z",
    "14": "+02:00",
    "16": "U",
    "20": 0,
    "21": 128,
    ...over,
  };
}

/** LTE-FDD (bearer 6) with a good RSRP and SINR. */
export function conn(over: Rec = {}): Rec {
  return { "0": 6, "1": { "0": 6, "1": 21 }, "2": -90, "3": -8, "11": 12, "8": 21103, ...over };
}

export function snapshot(endpoint: string, at: number, dev: Rec | undefined, c: Rec | undefined, fw?: Rec): Rec {
  const objects: Rec = {};
  if (dev) objects["3"] = { "0": dev };
  if (c) objects["4"] = { "0": c };
  if (fw) objects["5"] = { "0": fw };
  return { endpoint, at: new Date(at).toISOString(), objects };
}

/** The device's clock, advancing with `at` from the spec example's Current Time. */
export function clockAt(at: number): string {
  return new Date(Date.parse("2013-05-02T10:40:15.000Z") + (at - T0)).toISOString();
}
