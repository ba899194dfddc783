/**
 * Clock drift: how far a reading's timestamp is from the reference time (msg.receivedAt when the gateway recorded
 * when it first received the data, else the node's clock), and what the policy does with it.
 *
 * The seeds' gateway policy (002, "Ignoring Timestamp Drift", Layer 1): under 60 s the meter's time is kept; from
 * 60 s to an hour it is replaced by the gateway's time, the original kept; beyond an hour the reading is rejected
 * and the meter flagged for maintenance. Future timestamps are drift too.
 */
import { receivedAtMs } from "../shared/time";

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

/** The reference time of a message: `msg.receivedAt` when it is a time (see receivedAtMs), else `now`. */
export function referenceTime(receivedAt: unknown, now: number): number {
  return receivedAtMs(receivedAt) ?? now;
}
