/**
 * Clock drift: how far a reading's timestamp is from the reference time (msg.receivedAt when the gateway recorded
 * when it first received the data, else the node's clock), and what the policy does with it.
 *
 * The seeds' gateway policy (002, "Ignoring Timestamp Drift", Layer 1): under 60 s the meter's time is kept; from
 * 60 s to an hour it is replaced by the gateway's time, the original kept; beyond an hour the reading is rejected
 * and the meter flagged for maintenance. Future timestamps are drift too.
 */
export type DriftAction = "correct" | "flag" | "reject";

export interface DriftPolicy {
  /** Up to this (seconds, either way), the reading passes unchanged. */
  acceptSeconds: number;
  /** Beyond this, the reading is rejected (rule `drift`). */
  rejectSeconds: number;
  /** In between. */
  action: DriftAction;
}

export const DEFAULT_DRIFT: DriftPolicy = { acceptSeconds: 60, rejectSeconds: 3600, action: "correct" };

export type DriftVerdict =
  | { kind: "accept"; driftSeconds: number }
  | { kind: "correct" | "flag" | "reject"; driftSeconds: number; band: "between" | "beyond" };

/**
 * The verdict for a reading stamped `timestampMs`, received at `referenceMs`. `driftSeconds` is signed:
 * positive when the meter's clock is ahead (a future timestamp), negative when it is behind.
 */
export function checkDrift(timestampMs: number, referenceMs: number, policy: DriftPolicy): DriftVerdict {
  const driftSeconds = (timestampMs - referenceMs) / 1000;
  const abs = Math.abs(driftSeconds);
  if (abs <= policy.acceptSeconds) return { kind: "accept", driftSeconds };
  if (abs > policy.rejectSeconds) return { kind: "reject", driftSeconds, band: "beyond" };
  return { kind: policy.action, driftSeconds, band: "between" };
}

/**
 * The reference time of a message: `msg.receivedAt` when it is a time, else `now`. Epoch milliseconds is the
 * contract; a number below 1e11 can only be epoch seconds (1e11 ms is March 1973, 1e11 s is the year 5138), as a
 * device or a function node may give it, so it is taken as seconds. An ISO 8601 text with an offset is accepted too.
 */
export function referenceTime(receivedAt: unknown, now: number): number {
  if (typeof receivedAt === "number" && Number.isFinite(receivedAt) && receivedAt > 0) return receivedAt < 1e11 ? receivedAt * 1000 : receivedAt;
  if (typeof receivedAt === "string" && /\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(receivedAt)) {
    const ms = Date.parse(receivedAt);
    if (Number.isFinite(ms)) return ms;
  }
  return now;
}
