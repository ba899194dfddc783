/**
 * Node status, the Node-RED way: green dot healthy, yellow ring degraded, red ring error, {} to clear;
 * text under 20 characters. Repeated healthy updates are throttled to one a second so that a busy node
 * does not flood the editor; a change of state always shows at once.
 */
import type { Node } from "node-red";

type Kind = "ok" | "warn" | "error" | "clear";

export class StatusReporter {
  private kind: Kind | undefined;
  private text = "";
  private at = 0;

  constructor(
    private readonly node: Pick<Node, "status">,
    private readonly minIntervalMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  ok(text: string): void {
    this.set("ok", text);
  }

  warn(text: string): void {
    this.set("warn", text);
  }

  error(text: string): void {
    this.set("error", text);
  }

  clear(): void {
    this.kind = "clear";
    this.text = "";
    this.node.status({});
  }

  private set(kind: Kind, text: string): void {
    const t = this.now();
    if (kind === this.kind && (text === this.text || t - this.at < this.minIntervalMs)) return;
    this.kind = kind;
    this.text = text;
    this.at = t;
    const short = text.length > 19 ? `${text.slice(0, 18)}…` : text;
    if (kind === "ok") this.node.status({ fill: "green", shape: "dot", text: short });
    else if (kind === "warn") this.node.status({ fill: "yellow", shape: "ring", text: short });
    else this.node.status({ fill: "red", shape: "ring", text: short });
  }
}
