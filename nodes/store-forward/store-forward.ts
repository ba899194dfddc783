/**
 * store-forward: the Node-RED wrapper. Reads the config, wires 'input' and 'close', sets the status.
 * The journal (journal.ts) and the delivery logic (forwarder.ts) hold the logic.
 */
import path from "node:path";
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from "node-red";
import { errorMessage } from "../shared/errors";
import { StatusReporter } from "../shared/status";
import { parseStoreForwardConfig, type StoreForwardConfig, type StoreForwardDef } from "./config";
import { Forwarder, JournalFullError, type Msg } from "./forwarder";

type StoreForwardNodeDef = NodeDef & StoreForwardDef;

const COMMANDS = ["pause", "resume", "flush", "purge", "stats", "online", "offline"];

/** "3m", "5h", "2d": an age in under 4 characters. */
function shortAge(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${Math.floor(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export = (RED: NodeAPI) => {
  function StoreForwardNode(this: Node, def: StoreForwardNodeDef) {
    RED.nodes.createNode(this, def);
    const node = this; // eslint-disable-line @typescript-eslint/no-this-alias -- replaced by the node runtime
    const status = new StatusReporter(this);
    let cfg: StoreForwardConfig;
    let fwd: Forwarder | undefined;
    let startError: string | undefined;
    const timers = new Set<NodeJS.Timeout>();
    let metricsTimer: NodeJS.Timeout | undefined;
    let expireTimer: NodeJS.Timeout | undefined;
    let lastDiskError = 0;
    /** Records lost to corruption on start are shown in the status for the first minute. */
    let lostShownUntil = 0;
    let begin: (() => void) | undefined;

    const alert = (payload: Record<string, unknown>) => node.send([null, { topic: "alert", payload: { node: node.id, ...payload } }]);
    try {
      const userDir = (RED.settings as unknown as { userDir?: string }).userDir ?? process.cwd();
      cfg = parseStoreForwardConfig(def, path.join(userDir, "m2m-store-forward", node.id.replace(/[^A-Za-z0-9_.-]/g, "_")));
      fwd = new Forwarder(cfg.journal, { nodeId: node.id, ...cfg.forwarder }, {
        send: (msg) => node.send([msg as NodeMessageInFlow, null]),
        alert,
        now: Date.now,
        random: Math.random,
        setTimer: (fn, ms) => {
          const t = setTimeout(() => {
            timers.delete(t);
            fn();
          }, ms);
          timers.add(t);
          return t;
        },
        clearTimer: (t) => {
          clearTimeout(t as NodeJS.Timeout);
          timers.delete(t as NodeJS.Timeout);
        },
      });
      const r = fwd.journal.recovery;
      if (r.lost > 0) lostShownUntil = Date.now() + 60_000;
      if (r.records > 0 || r.lost > 0 || r.tornBytes > 0) {
        const text = RED._("store-forward.log.recovered", { records: r.records, lost: r.lost, torn: r.tornBytes, dir: cfg.journal.dir });
        if (r.lost > 0) node.warn(`${text} ${RED._("store-forward.log.quarantined", { files: r.quarantined.join(", ") })}`);
        else node.log(text);
      }
      metricsTimer = setInterval(() => {
        if (!fwd) return;
        node.send([null, { topic: "metrics", payload: { node: node.id, ...fwd.metrics() } }]);
      }, cfg.metricsIntervalMs);
      expireTimer = setInterval(() => {
        if (!fwd) return;
        fwd.expire();
        fwd.checkLevels();
        showStatus();
      }, Math.min(60_000, Math.max(1000, cfg.journal.maxAgeMs / 10)));
      // Send nothing before the flow has started: a node wired to this one may not exist yet, and the
      // runtime drops a message for a node that does not exist (the 'lost' alert would vanish).
      begin = () => {
        begin = undefined;
        if (!fwd) return;
        if (r.lost > 0) alert({ alert: "lost", lost: r.lost, quarantined: r.quarantined });
        fwd.pump();
      };
      RED.events.once("flows:started", begin);
    } catch (err) {
      startError = errorMessage(err);
      node.error(RED._("store-forward.errors.start", { error: startError }));
      status.error(RED._("store-forward.status.error"));
    }

    function showStatus() {
      if (!fwd) return;
      const f = fwd;
      const depth = f.journal.depth;
      const text = () => {
        const pct = Math.round(f.percentFull());
        const oldest = f.journal.stats().oldestEnqueuedAt;
        return depth === 0 ? RED._("store-forward.status.empty") : `${depth} · ${pct}% · ${shortAge(oldest === undefined ? 0 : Date.now() - oldest)}`;
      };
      if (Date.now() - lastDiskError < 10_000) status.error(RED._("store-forward.status.diskError"));
      else if (lostShownUntil > Date.now()) status.warn(RED._("store-forward.status.lost", { lost: f.journal.recovery.lost }));
      else if (!f.online || f.paused || depth > cfg.forwarder.window * cfg.forwarder.batchSize) status.warn(text);
      else status.ok(text);
    }
    showStatus();

    this.on("input", (msg: NodeMessageInFlow, send, done) => {
      if (!fwd) {
        done(new Error(RED._("store-forward.errors.start", { error: startError ?? "" })));
        return;
      }
      const m = msg as unknown as Msg;
      try {
        if (fwd.handleReturn(m)) {
          showStatus();
          done();
          return;
        }
        const command = typeof m.command === "string" ? m.command.toLowerCase() : undefined;
        if (command !== undefined) {
          if (!COMMANDS.includes(command)) throw new Error(RED._("store-forward.errors.command", { command: m.command as string }));
          if (command === "online" || command === "offline") fwd.setOnline(command === "online");
          else if (command === "pause") fwd.pause();
          else if (command === "resume") fwd.resume();
          else if (command === "flush") fwd.flush();
          else if (command === "purge") m.purged = fwd.purge();
          if (command === "stats" || command === "purge") {
            m.payload = { node: node.id, ...fwd.metrics() };
            m.topic = "stats";
            send([null, msg]);
          }
          showStatus();
          done();
          return;
        }
        if (m.payload === undefined) {
          // A Status node watching the transport: green means the link is up. Status text is never read,
          // and a status without a colour (a cleared status) says nothing about the link.
          const st = m.status as { fill?: unknown } | undefined;
          if (st && typeof st === "object") {
            if ("fill" in st) fwd.setOnline(st.fill === "green");
            showStatus();
            done();
            return;
          }
          // Nothing to store: most often a control message (an mqtt out msg.action, say) that a Complete
          // or Catch node scoped to the transport routed back here. Stored, it would be replayed later.
          throw new Error(RED._("store-forward.errors.noPayload"));
        }
      } catch (err) {
        done(err as Error);
        return;
      }
      fwd.store(m).then(
        (r) => {
          if (!r.accepted) {
            if (r.reason === "disk-full") {
              lastDiskError = Date.now();
              node.warn(RED._("store-forward.errors.diskFullDropped"));
            }
          }
          showStatus();
          done();
        },
        (err: Error) => {
          if (err instanceof JournalFullError && /disk full/.test(err.message)) lastDiskError = Date.now();
          else if ((err as NodeJS.ErrnoException).code) lastDiskError = Date.now();
          showStatus();
          done(err);
        },
      );
    });

    this.on("close", (_removed: boolean, done: () => void) => {
      if (metricsTimer) clearInterval(metricsTimer);
      if (expireTimer) clearInterval(expireTimer);
      if (begin) RED.events.off("flows:started", begin);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const f = fwd;
      fwd = undefined;
      status.clear();
      status.close();
      if (!f) return done();
      f.close().then(done, (err) => {
        node.error(RED._("store-forward.errors.close", { error: errorMessage(err) }));
        done();
      });
    });
  }

  RED.nodes.registerType("store-forward", StoreForwardNode);
};
