/**
 * What leaves on output 2: the refused items, grouped by reason.
 */
import type { Msg } from "../shared/node-runtime";
import type { Rejected } from "./aggregator";

/** One message per reason on output 2: the refused items (one, or an array), the reason and each error. */
export function rejectedMessages(rejected: readonly Rejected[]): Msg[] {
  const by = new Map<string, Rejected[]>();
  for (const r of rejected) {
    const list = by.get(r.reason);
    if (list) list.push(r);
    else by.set(r.reason, [r]);
  }
  return [...by].map(([reason, list]) => ({
    topic: reason,
    reason,
    payload: list.length === 1 ? list[0].item : list.map((r) => r.item),
    error: list.length === 1 ? list[0].error : `${list.length} items: ${list[0].error}${list.length > 1 ? " …" : ""}`,
    errors: list.map((r) => r.error),
  }));
}
