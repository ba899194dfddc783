/**
 * What store-forward's status shows, free of Node-RED: from the forwarder's state, a kind (the colour) and
 * an i18n key of the node's locale with its parameters. No text here: the wrapper draws
 * `status[kind](RED._(key, params))`.
 *
 *   68 queued · 1% · oldest 1m     records waiting, how full the store is, the age of the oldest
 *   empty                          nothing waiting
 *   offline · 68 queued            the link is down (a Status node or msg.command "offline")
 *   paused · 68 queued             msg.command "pause"
 *   store error                    a write failed in the last 10 s
 *   3 lost on start                records that could not be read back on start, for the first minute
 */

export interface StatusState {
  /** Records stored and not yet acknowledged. */
  depth: number;
  /** Fill of the store in percent of the tighter cap (Forwarder.percentFull()). */
  percentFull: number;
  /** Age of the oldest waiting record (ms), undefined when there is none. */
  oldestAgeMs: number | undefined;
  online: boolean;
  paused: boolean;
  now: number;
  /** When a write last failed (epoch ms): an error for 10 s after. */
  diskErrorAt?: number;
  /** Records lost on start, shown until `lostUntil` (the wrapper sets a minute after start). */
  lost?: number;
  lostUntil?: number;
  /** Above this depth the status turns yellow: the backlog is more than what is normally out (window × batch size). */
  warnAbove: number;
}

export interface StatusView {
  kind: "ok" | "warn" | "error";
  /** Key in the store-forward locale, e.g. "store-forward.status.queued". */
  key: string;
  params: Record<string, string | number>;
}

export const DISK_ERROR_SHOWN_MS = 10_000;

/** "45s", "3m", "5h", "2d": an age in at most 3 characters (the unit letters are the same in every locale). */
export function shortAge(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${Math.floor(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Percent full as shown: whole numbers, "<1" for a store that holds something but rounds to 0. */
function percentText(pct: number, depth: number): string {
  const r = Math.round(pct);
  return r === 0 && depth > 0 ? "<1" : String(r);
}

const KEY = "store-forward.status.";

/**
 * The kind (colour) statusOf would give, without its key and parameters: what the wrapper asks on every message
 * (no string is built, no object allocated); the text is made only when the throttled status draws.
 */
export function statusKind(s: StatusState): StatusView["kind"] {
  if (s.diskErrorAt !== undefined && s.now - s.diskErrorAt < DISK_ERROR_SHOWN_MS) return "error";
  if ((s.lost && s.lostUntil !== undefined && s.now < s.lostUntil) || s.paused || !s.online) return "warn";
  return s.depth > s.warnAbove ? "warn" : "ok";
}

export function statusOf(s: StatusState): StatusView {
  if (s.diskErrorAt !== undefined && s.now - s.diskErrorAt < DISK_ERROR_SHOWN_MS) return { kind: "error", key: `${KEY}diskError`, params: {} };
  if (s.lost && s.lostUntil !== undefined && s.now < s.lostUntil) return { kind: "warn", key: `${KEY}lost`, params: { lost: s.lost } };
  if (s.paused) return { kind: "warn", key: `${KEY}paused`, params: { depth: s.depth } };
  if (!s.online) return { kind: "warn", key: `${KEY}offline`, params: { depth: s.depth } };
  if (s.depth === 0) return { kind: "ok", key: `${KEY}empty`, params: {} };
  const params = { depth: s.depth, percent: percentText(s.percentFull, s.depth), age: shortAge(s.oldestAgeMs ?? 0) };
  return { kind: s.depth > s.warnAbove ? "warn" : "ok", key: `${KEY}queued`, params };
}
