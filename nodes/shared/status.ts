/**
 * Node status, the Node-RED way: green dot healthy, yellow ring degraded, red ring error, {} to clear;
 * the callers keep their texts under 20 characters. Repeated healthy updates are throttled to one a second so that a busy node
 * does not flood the editor; a change of state always shows at once. Text may be given as a function, so
 * that a message that is not shown is never translated.
 */
import type { Node } from "node-red";

type Kind = "ok" | "warn" | "error" | "clear";
type Text = string | (() => string);

export class StatusReporter {
  private kind: Kind | undefined;
  private text: Text = "";
  private at = 0;

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
    this.kind = "clear";
    this.text = "";
    this.node.status({});
  }

  private set(kind: Kind, text: Text): void {
    const t = this.now();
    if (kind === this.kind && (t - this.at < this.minIntervalMs || (typeof text === "string" && text === this.text))) return;
    this.kind = kind;
    this.text = text;
    this.at = t;
    const shown = typeof text === "function" ? text() : text;
    if (kind === "ok") this.node.status({ fill: "green", shape: "dot", text: shown });
    else if (kind === "warn") this.node.status({ fill: "yellow", shape: "ring", text: shown });
    else this.node.status({ fill: "red", shape: "ring", text: shown });
  }
}
