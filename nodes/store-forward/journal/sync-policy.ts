/**
 * When `batch` syncs, for an SD card or eMMC: an fsync writes back every partly filled 4 KiB page it touches, so
 * syncing a few records at a time rewrites the same page again and again (write amplification). Under `batch`, the
 * journal syncs once a page's worth of records is waiting, or when the sync interval has passed since the first of
 * them, whichever comes first (group-commit.ts).
 */

/** The flash page (and file system block) an fsync writes back whole. */
export const PAGE_BYTES = 4096;

/**
 * The default sync interval under `batch` (ms). At 10 readings/s of ~200-byte records, 3 s holds more than a page,
 * so the page threshold syncs first (about every 2.1 s) and write amplification is under 2× (1.98×, see
 * writeAmplification). The power-cut window: a reading is accepted (its done() fires) once it is on the card, at
 * most this long (or one page of readings) after it arrived; a power cut loses the readings not accepted yet,
 * never an accepted one.
 */
export const DEFAULT_SYNC_INTERVAL_MS = 3000;

export interface AmplificationInput {
  /** Bytes a record takes in the journal (frame included). */
  recordBytes: number;
  ratePerSecond: number;
  syncIntervalMs: number;
  pageBytes?: number;
}

/**
 * Expected bytes the card writes per byte of records under `batch` at a steady rate (≥ 1). Each sync writes the
 * records waiting since the last one: a page's worth (the page threshold) or what arrived in the interval,
 * whichever is less, and at least one record. Those P bytes start anywhere in a page, so a sync touches on average
 * 1 + P / page pages, and writes each whole: amplification = (1 + P / page) × page / P = 1 + page / P.
 */
export function writeAmplification({ recordBytes, ratePerSecond, syncIntervalMs, pageBytes = PAGE_BYTES }: AmplificationInput): number {
  if (!(recordBytes > 0) || !(ratePerSecond > 0) || !(syncIntervalMs > 0) || !(pageBytes > 0)) {
    throw new RangeError("recordBytes, ratePerSecond, syncIntervalMs and pageBytes must be positive numbers");
  }
  const perInterval = recordBytes * ratePerSecond * (syncIntervalMs / 1000);
  const perPage = Math.ceil(pageBytes / recordBytes) * recordBytes;
  const payload = Math.max(recordBytes, Math.min(perInterval, perPage));
  return 1 + pageBytes / payload;
}
