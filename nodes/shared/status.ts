/**
 * Node status, the Node-RED way: green dot healthy, yellow ring degraded, red ring error, {} to clear;
 * the callers keep their texts under 20 characters. Repeated updates of the same kind are throttled to one a
 * second so that a busy node does not flood the editor; the last update of a burst is drawn when the second
 * ends, so the badge never stays on a stale text. A change of state always shows at once. Text may be given
 * as a function, so that a message that is not shown is never translated.
 *
 * Call close() from the node's 'close' handler: it cancels a pending update and ignores any later one.
 */
import type { Node } from "node-red";

type Kind = "ok" | "warn" | "error" | "clear";
type Text = string | (() => string);

export class StatusReporter {
  private kind: Kind | undefined;
  private text: Text = "";
  private at = 0;
  /** The latest update held back by the throttle, drawn by `timer` when the throttle window ends. */
  private pending: Text | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly node: Pick<Node, "status">,
    private readonly minIntervalMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  ok(text: Text): void {
    this.set("ok", text);
  }

  warn(text: Text): void {
    this.set("warn", text);
  }

  error(text: Text): void {
    this.set("error", text);
  }

  clear(): void {
    if (this.closed) return;
    this.cancel();
    this.kind = "clear";
    this.text = "";
    this.node.status({});
  }

  /** Cancel a pending update and ignore every later call. The badge is left as it is (call clear() first). */
  close(): void {
    this.cancel();
    this.closed = true;
  }

  private cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private set(kind: Kind, text: Text): void {
    if (this.closed) return;
    const t = this.now();
    if (kind === this.kind) {
      // Already showing this text: nothing to draw, and an update held back is older than this one.
      if (typeof text === "string" && text === this.text) return this.cancel();
      const wait = this.at + this.minIntervalMs - t;
      if (wait > 0) {
        this.pending = text;
        if (this.timer === undefined) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            const p = this.pending;
            this.pending = undefined;
            if (p !== undefined && !this.closed) this.draw(kind, p, this.now());
          }, wait);
          this.timer.unref?.();
        }
        return;
      }
    }
    this.cancel();
    this.draw(kind, text, t);
  }

  private draw(kind: Kind, text: Text, t: number): void {
    this.kind = kind;
    this.text = text;
    this.at = t;
    const shown = typeof text === "function" ? text() : text;
    if (kind === "ok") this.node.status({ fill: "green", shape: "dot", text: shown });
    else if (kind === "warn") this.node.status({ fill: "yellow", shape: "ring", text: shown });
    else this.node.status({ fill: "red", shape: "ring", text: shown });
  }
}
