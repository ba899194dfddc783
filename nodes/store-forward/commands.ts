/**
 * store-forward's commands (msg.command), free of Node-RED: which exist, how one is recognised, and what
 * applying it to a Forwarder does. The wrapper turns a CommandError into done(err) with the text of its
 * i18n key, and sends `stats` on the second output when the result has one.
 */
import type { Forwarder } from "./forwarder";

export const COMMANDS = ["pause", "resume", "flush", "purge", "stats", "online", "offline"] as const;
export type Command = (typeof COMMANDS)[number];

/** An unknown command; `key` and `params` give the message in the node's locale (store-forward.errors.command). */
export class CommandError extends Error {
  override readonly name = "CommandError";
  readonly key = "store-forward.errors.command";
  constructor(readonly params: { command: string }) {
    super(`unknown msg.command "${params.command}": use ${COMMANDS.slice(0, -1).join(", ")} or ${COMMANDS[COMMANDS.length - 1]}`);
  }
}

/**
 * The command a message carries: undefined when msg.command is not a string (the message is data, to be
 * stored); the command, case and surrounding spaces ignored; a CommandError for any other string.
 */
export function parseCommand(msg: Record<string, unknown>): Command | undefined {
  const c = msg.command;
  if (typeof c !== "string") return undefined;
  const command = c.trim().toLowerCase();
  if (!(COMMANDS as readonly string[]).includes(command)) throw new CommandError({ command: c });
  return command as Command;
}

export interface CommandResult {
  command: Command;
  /** For `stats` and `purge`: the metrics to send on the second output (topic "stats"). */
  stats?: Record<string, unknown>;
  /** For `purge`: how many records were dropped. */
  purged?: number;
}

/** What a command needs of a Forwarder. */
export type CommandTarget = Pick<Forwarder, "setOnline" | "pause" | "resume" | "flush" | "purge" | "metrics">;

/** Apply one command. */
export function applyCommand(fwd: CommandTarget, command: Command): CommandResult {
  switch (command) {
    case "online":
    case "offline":
      fwd.setOnline(command === "online");
      return { command };
    case "pause":
      fwd.pause();
      return { command };
    case "resume":
      fwd.resume();
      return { command };
    case "flush":
      fwd.flush();
      return { command };
    case "purge": {
      const purged = fwd.purge();
      return { command, purged, stats: fwd.metrics() };
    }
    case "stats":
      return { command, stats: fwd.metrics() };
  }
}
