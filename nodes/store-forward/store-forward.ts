/**
 * store-forward: the Node-RED wrapper, a definition for the shared node runtime. The journal (journal/) keeps
 * the records, the forwarder (forwarder.ts) delivers them; this file wires their timers, status and alerts.
 */
import path from "node:path";
import type { NodeAPI, NodeMessageInFlow } from "node-red";
import { errorMessage } from "../shared/errors";
import { nodeStateDir, registerNode } from "../shared/node-runtime";
import { parseStoreForwardConfig, type StoreForwardConfig, type StoreForwardDef } from "./config";
import { FIELDS } from "./fields";
import { MIGRATIONS } from "./migrations";
import { Forwarder, JournalFullError, replayRate, type Msg } from "./forwarder";
import { applyCommand, parseCommand } from "./commands";
import { statusKind, statusOf, type StatusState } from "./status-policy";
import { findOrphans } from "./orphans";

/** The folder under the user directory where each node keeps its backlog by default. */
const FOLDER = "m2m-store-forward";
/** A typical stored reading, for the replay rate the editor shows. */
const TYPICAL_RECORD_BYTES = 250;

export = (RED: NodeAPI) => {
  const userDir = () => (RED.settings as unknown as { userDir?: string }).userDir ?? process.cwd();
  /** When the orphan scan last ran: once per deploy, whichever store-forward node starts first. */
  let orphanScanAt = 0;

  /** Backlogs in <userDir>/m2m-store-forward/ that no store-forward node of the flows owns (issue 7, item 22). */
  function warnOrphans(warn: (text: string) => void, t: (k: string, p?: Record<string, string | number>) => string) {
    if (Date.now() - orphanScanAt < 5000) return;
    orphanScanAt = Date.now();
    const ids: string[] = [];
    const dirs: string[] = [];
    RED.nodes.eachNode((n) => {
      if (n.type !== "store-forward") return;
      ids.push(n.id);
      const d = (n as unknown as { dir?: unknown }).dir;
      if (typeof d === "string" && d.trim()) dirs.push(path.resolve(d.trim()));
    });
    findOrphans(path.join(userDir(), FOLDER), ids, dirs).then(
      (orphans) => {
        for (const o of orphans) warn(t("store-forward.log.orphan", { dir: o.dir, bytes: o.bytes, segments: o.segments, at: new Date(o.modifiedAt).toISOString() }));
      },
      () => undefined, // a folder that cannot be read is nobody's backlog to report
    );
  }

  registerNode<StoreForwardConfig>(RED, {
    type: "store-forward",
    fields: FIELDS,
    migrations: MIGRATIONS,
    parse: (def, env) => parseStoreForwardConfig(def as StoreForwardDef, nodeStateDir(env, FOLDER)),
    // The editor shows what the rate limits allow while a backlog drains (item 24).
    summary: (cfg) => {
      const r = replayRate({ rateMsgs: cfg.forwarder.rateMsgs, rateBytes: cfg.forwarder.rateBytes, batchSize: cfg.forwarder.batchSize }, TYPICAL_RECORD_BYTES);
      return { replay: { msgsPerSecond: Number.isFinite(r.msgsPerSecond) ? r.msgsPerSecond : null, limitedBy: r.limitedBy, recordBytes: TYPICAL_RECORD_BYTES } };
    },
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
        // Records lost to corruption have a quarantined copy of their segment; those of a deleted segment have none.
        if (r.lost > 0) node.warn(r.quarantined.length ? `${text} ${t("store-forward.log.quarantined", { files: r.quarantined.join(", ") })}` : text);
        else node.log(text);
      }

      /**
       * The status from the pure policy (status-policy.ts). It is asked on every message, so only its kind is
       * worked out then, in one state object kept for the node; the text (with the age of the oldest record,
       * read from the journal) is made by one closure, only when the throttled status draws.
       */
      const state: StatusState = { depth: 0, percentFull: 0, oldestAgeMs: undefined, online: true, paused: false, now: 0, warnAbove: cfg.forwarder.window * cfg.forwarder.batchSize };
      function fill(): StatusState {
        state.depth = fwd.journal.depth;
        state.percentFull = fwd.percentFull();
        state.online = fwd.online;
        state.paused = fwd.paused;
        state.now = Date.now();
        state.diskErrorAt = lastDiskError || undefined;
        state.lost = fwd.journal.recovery.lost;
        state.lostUntil = lostShownUntil;
        return state;
      }
      const statusText = () => {
        const oldest = fwd.journal.stats().oldestEnqueuedAt;
        const s = fill();
        const view = statusOf({ ...s, oldestAgeMs: oldest === undefined ? undefined : s.now - oldest });
        return t(view.key, view.params);
      };
      function showStatus() {
        status[statusKind(fill())](statusText);
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
        warnOrphans((text) => node.warn(text), t);
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
          let command;
          try {
            command = parseCommand(msg);
          } catch (err) {
            const e = err as Error & { key?: string; params?: Record<string, string> };
            throw new Error(e.key ? t(e.key, e.params) : e.message, { cause: err });
          }
          if (command !== undefined) {
            const res = applyCommand(fwd, command);
            if (res.purged !== undefined) msg.purged = res.purged;
            if (res.stats) {
              msg.payload = { node: node.id, ...res.stats };
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
