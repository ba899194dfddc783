/**
 * store-forward: the Node-RED wrapper, a definition for the shared node runtime. The journal (journal/) keeps
 * the records, the forwarder (forwarder.ts) delivers them; this file wires their timers, status and alerts.
 */
import type { NodeAPI, NodeMessageInFlow } from "node-red";
import { errorMessage } from "../shared/errors";
import { nodeStateDir, registerNode } from "../shared/node-runtime";
import { parseStoreForwardConfig, type StoreForwardConfig, type StoreForwardDef } from "./config";
import { FIELDS } from "./fields";
import { MIGRATIONS } from "./migrations";
import { Forwarder, JournalFullError, type Msg } from "./forwarder";

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
  registerNode<StoreForwardConfig>(RED, {
    type: "store-forward",
    fields: FIELDS,
    migrations: MIGRATIONS,
    parse: (def, env) => parseStoreForwardConfig(def as StoreForwardDef, nodeStateDir(env, "m2m-store-forward")),
    create({ node, config: cfg, status, t, logThrottled }) {
      const timers = new Set<NodeJS.Timeout>();
      let lastDiskError = 0;
      /** Records lost to corruption on start are shown in the status for the first minute. */
      let lostShownUntil = 0;
      const alert = (payload: Record<string, unknown>) => node.send([null, { topic: "alert", payload: { node: node.id, ...payload } }] as never);
      // The node's id goes into the storage folder's lock: a second node on the same folder is refused, naming it.
      const fwd = new Forwarder({ ...cfg.journal, owner: node.id }, { nodeId: node.id, ...cfg.forwarder }, {
        send: (msg) => node.send([msg as NodeMessageInFlow, null]),
        alert,
        now: Date.now,
        random: Math.random,
        setTimer: (fn, ms) => {
          const tm = setTimeout(() => {
            timers.delete(tm);
            fn();
          }, ms);
          timers.add(tm);
          return tm;
        },
        clearTimer: (tm) => {
          clearTimeout(tm as NodeJS.Timeout);
          timers.delete(tm as NodeJS.Timeout);
        },
      });
      // A storage error on an asynchronous path (a failed read or sync) is reported, throttled; the node goes on.
      fwd.journal.onError = (err) => {
        lastDiskError = Date.now();
        logThrottled("journal", t("store-forward.errors.store", { error: errorMessage(err) }));
      };
      const r = fwd.journal.recovery;
      if (r.lost > 0) lostShownUntil = Date.now() + 60_000;
      if (r.records > 0 || r.lost > 0 || r.tornBytes > 0) {
        const text = t("store-forward.log.recovered", { records: r.records, lost: r.lost, torn: r.tornBytes, dir: cfg.journal.dir });
        if (r.lost > 0) node.warn(`${text} ${t("store-forward.log.quarantined", { files: r.quarantined.join(", ") })}`);
        else node.log(text);
      }

      function showStatus() {
        const depth = fwd.journal.depth;
        const text = () => {
          const pct = Math.round(fwd.percentFull());
          const oldest = fwd.journal.stats().oldestEnqueuedAt;
          return depth === 0 ? t("store-forward.status.empty") : `${depth} · ${pct}% · ${shortAge(oldest === undefined ? 0 : Date.now() - oldest)}`;
        };
        if (Date.now() - lastDiskError < 10_000) status.error(t("store-forward.status.diskError"));
        else if (lostShownUntil > Date.now()) status.warn(t("store-forward.status.lost", { lost: fwd.journal.recovery.lost }));
        else if (!fwd.online || fwd.paused || depth > cfg.forwarder.window * cfg.forwarder.batchSize) status.warn(text);
        else status.ok(text);
      }

      const metricsTimer = setInterval(() => node.send([null, { topic: "metrics", payload: { node: node.id, ...fwd.metrics() } }] as never), cfg.metricsIntervalMs);
      const expireTimer = setInterval(
        () => {
          fwd.expire();
          fwd.checkLevels();
          showStatus();
        },
        Math.min(60_000, Math.max(1000, cfg.journal.maxAgeMs / 10)),
      );
      // Send nothing before the flow has started: a node wired to this one may not exist yet, and the runtime
      // drops a message for a node that does not exist (the 'lost' alert would vanish).
      let begin: (() => void) | undefined = () => {
        begin = undefined;
        if (r.lost > 0) alert({ alert: "lost", lost: r.lost, quarantined: r.quarantined });
        fwd.pump();
      };
      RED.events.once("flows:started", begin);
      showStatus();

      const storeError = (err: Error) => {
        if ((err instanceof JournalFullError && /disk full/.test(err.message)) || (err as NodeJS.ErrnoException).code) {
          lastDiskError = Date.now();
          logThrottled("store", t("store-forward.errors.store", { error: errorMessage(err) }));
        }
        showStatus();
        throw err;
      };

      return {
        input(msg: Msg, send) {
          if (fwd.handleReturn(msg)) {
            showStatus();
            return;
          }
          const command = typeof msg.command === "string" ? msg.command.toLowerCase() : undefined;
          if (command !== undefined) {
            if (!COMMANDS.includes(command)) throw new Error(t("store-forward.errors.command", { command: msg.command as string }));
            if (command === "online" || command === "offline") fwd.setOnline(command === "online");
            else if (command === "pause") fwd.pause();
            else if (command === "resume") fwd.resume();
            else if (command === "flush") fwd.flush();
            else if (command === "purge") msg.purged = fwd.purge();
            if (command === "stats" || command === "purge") {
              msg.payload = { node: node.id, ...fwd.metrics() };
              msg.topic = "stats";
              send([null, msg as never]);
            }
            showStatus();
            return;
          }
          if (msg.payload === undefined) {
            // A Status node watching the transport: green means the link is up. Status text is never read, and
            // a status without a colour (a cleared status) says nothing about the link.
            const st = msg.status as { fill?: unknown } | undefined;
            if (st && typeof st === "object") {
              if ("fill" in st) fwd.setOnline(st.fill === "green");
              showStatus();
              return;
            }
            // Nothing to store: most often a control message (an mqtt out msg.action, say) that a Complete or
            // Catch node scoped to the transport routed back here. Stored, it would be replayed later.
            throw new Error(t("store-forward.errors.noPayload"));
          }
          return fwd.store(msg).then((res) => {
            if (!res.accepted && res.reason === "disk-full") {
              lastDiskError = Date.now();
              logThrottled("disk-full", t("store-forward.errors.diskFullDropped"), "warn");
            }
            showStatus();
          }, storeError);
        },
        close() {
          clearInterval(metricsTimer);
          clearInterval(expireTimer);
          if (begin) RED.events.off("flows:started", begin);
          for (const tm of timers) clearTimeout(tm);
          timers.clear();
          return fwd.close();
        },
      };
    },
  });
};
