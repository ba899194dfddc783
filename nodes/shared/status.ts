/**
 * Node status, the Node-RED way: green dot healthy, yellow ring degraded, red ring error, {} to clear.
 *
 * Every draw is a message to every open editor, so updates are throttled on time, whatever their kind: at
 * most one draw per `minIntervalMs` (a second). The last update of a burst is drawn when the window ends, so
 * the badge never stays on a stale text. Only a move to `error` (and clear()) is drawn at once.
 *
 * Text may be given as a function, so that a message that is never shown is never translated. Callers keep
 * their texts under 20 characters.
 *
 * Call close() from the node's 'close' handler: it cancels a pending update and ignores any later one.
 */
import type { Node } from "node-red";

export type StatusKind = "ok" | "warn" | "error" | "clear";
export type StatusText = string | (() => string);

/** The clock and timers the reporter uses; tests pass a fake one. */
export interface StatusClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(t: unknown): void;
}

export const realClock: StatusClock = {
  now: Date.now,
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout),
};

export class StatusReporter {
  private kind: StatusKind | undefined;
  private text: StatusText = "";
  /** When the last draw happened. */
  private at = -Infinity;
  /** The latest update held back by the throttle, drawn when the window ends. */
  private pending: { kind: StatusKind; text: StatusText } | undefined;
  private timer: unknown;
  private closed = false;
  /** How many times the badge was drawn (for tests and benchmarks). */
  draws = 0;

  constructor(
    private readonly node: Pick<Node, "status">,
    private readonly minIntervalMs = 1000,
    private readonly clock: StatusClock = realClock,
  ) {}

  ok(text: StatusText): void {
    this.set("ok", text);
  }

  warn(text: StatusText): void {
    this.set("warn", text);
  }

  error(text: StatusText): void {
    this.set("error", text);
  }

  /** Clear the badge at once. */
  clear(): void {
    if (this.closed) return;
    this.cancel();
    this.kind = "clear";
    this.text = "";
    this.at = this.clock.now();
    this.draws++;
    this.node.status({});
  }

  /** Cancel a pending update and ignore every later call. The badge is left as it is (call clear() first). */
  close(): void {
    this.cancel();
    this.closed = true;
  }

  private cancel(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private set(kind: StatusKind, text: StatusText): void {
    if (this.closed) return;
    // Already showing this: nothing to draw, and an update held back is older than this one.
    if (kind === this.kind && typeof text === "string" && text === this.text) return this.cancel();
    const t = this.clock.now();
    const wait = this.at + this.minIntervalMs - t;
    // A move to error is news the integrator must see now; anything else waits for the window.
    if (wait <= 0 || (kind === "error" && this.kind !== "error")) {
      this.cancel();
      this.draw(kind, text, t);
      return;
    }
    this.pending = { kind, text };
    if (this.timer === undefined) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        const p = this.pending;
        this.pending = undefined;
        if (p !== undefined && !this.closed) this.draw(p.kind, p.text, this.clock.now());
      }, wait);
    }
  }

  private draw(kind: StatusKind, text: StatusText, t: number): void {
    this.kind = kind;
    this.text = text;
    this.at = t;
    this.draws++;
    const shown = typeof text === "function" ? text() : text;
    if (kind === "ok") this.node.status({ fill: "green", shape: "dot", text: shown });
    else if (kind === "warn") this.node.status({ fill: "yellow", shape: "ring", text: shown });
    else this.node.status({ fill: "red", shape: "ring", text: shown });
  }
}
