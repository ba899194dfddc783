import type { FirmwareResult, FirmwareResultClass } from "./types";

/** Object 5 (Firmware Update) resource 5, Update Result: OMA registry 5.xml. */
export const FIRMWARE_RESULTS: Readonly<Record<number, { text: string; class: FirmwareResultClass }>> = Object.freeze({
  0: { text: "Initial value", class: "pending" },
  1: { text: "Firmware updated successfully", class: "success" },
  2: { text: "Not enough flash memory for the new firmware package", class: "permanent" },
  3: { text: "Out of RAM during downloading process", class: "permanent" },
  4: { text: "Connection lost during downloading process", class: "retryable" },
  5: { text: "Integrity check failure for new downloaded package", class: "retryable" },
  6: { text: "Unsupported package type", class: "permanent" },
  7: { text: "Invalid URI", class: "permanent" },
  8: { text: "Firmware update failed", class: "check-version" },
  9: { text: "Unsupported protocol", class: "permanent" },
  10: { text: "Firmware update cancelled", class: "cancelled" },
  11: { text: "Firmware update deferred", class: "deferred" },
});

/** Object 5 resource 3, State: OMA registry 5.xml. */
export const FIRMWARE_STATES: Readonly<Record<number, string>> = Object.freeze({
  0: "Idle",
  1: "Downloading",
  2: "Downloaded",
  3: "Updating",
});

/**
 * Classify a firmware Update Result (/5/0/5). Never throws: an unknown code (or a non-integer) gives
 * `{ class: "permanent", unknown: true, text: "Unknown update result <code>" }`.
 * Classes: 0 pending (no result yet); 1 success; 4, 5 retryable; 2, 3, 6, 7, 9 permanent; 8 check-version (the
 * update failed, but read /3/0/3 or /5/0/7: some devices report 8 and run the new version); 10 cancelled; 11 deferred.
 */
export function firmwareResult(code: unknown): FirmwareResult {
  const n = typeof code === "string" && /^\d+$/.test(code.trim()) ? Number(code) : code;
  const known = typeof n === "number" && Number.isInteger(n) ? FIRMWARE_RESULTS[n] : undefined;
  if (!known) {
    return { code: typeof n === "number" ? n : NaN, text: `Unknown update result ${String(code)}`, class: "permanent", retryable: false, unknown: true };
  }
  return { code: n as number, text: known.text, class: known.class, retryable: known.class === "retryable" };
}
