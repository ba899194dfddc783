/**
 * aggregate-window: the Node-RED wrapper, a definition for the shared node runtime. The logic is in aggregator.ts
 * (pure, clock as an argument); this file wires the clock, the state file, commands and the two outputs.
 */
import { performance } from "node:perf_hooks";
import type { NodeAPI, NodeMessageInFlow } from "node-red";
import { errorMessage, InputError } from "../shared/errors";
import { nodeStateDir, registerNode, type Msg } from "../shared/node-runtime";
import { StateFile } from "../shared/state-file";
import { receivedAtMs } from "../shared/time";
import { Aggregator, type Aggregate, type AggregatorState, type Rejected } from "./aggregator";
import { rejectedMessages } from "./output";
import { parseAggregates, parseAggregateWindowConfig, previewOf, type AggregatorConfig } from "./config";
import { FIELDS } from "./fields";
import { MIGRATIONS } from "./migrations";
import catalog from "./locales/en-US/aggregate-window.json";

const COMMANDS = ["flush", "stats"] as const;
const NONE: Msg[] = [];
/** The state is written at most this often while it changes (more rarely when large: see saveNow). */
const SAVE_MS = 10_000;
/** Readings aggregated per event-loop turn in a big batch. */
const CHUNK = 1000;

/** The parts of a document, with the time spent making each told to `spent` (ms). */
function* timedParts(parts: Iterator<string>, spent: (ms: number) => void): Generator<string> {
  for (;;) {
    const t0 = performance.now();
    const r = parts.next();
    spent(performance.now() - t0);
    if (r.done) return;
    yield r.value;
  }
}

export = (RED: NodeAPI) => {
  registerNode<AggregatorConfig>(RED, {
    type: "aggregate-window",
    catalog,
    fields: FIELDS,
    migrations: MIGRATIONS,
    parse(def, env) {
      const cfg = parseAggregateWindowConfig(def);
      return { ...cfg, stateDir: cfg.stateDir || nodeStateDir(env, "m2m-aggregate-window") };
    },
    summary: (cfg) => previewOf(cfg, Date.now()),
    checkers: {
      aggregates(text) {
        return { rules: parseAggregates(text).length };
      },
    },
    create({ node, config: cfg, status, t, logThrottled }) {
      const agg = new Aggregator(cfg);
      let stateError = 0;
      const reportStateError = (err: unknown) => {
        stateError = Date.now();
        logThrottled("state", t("aggregate-window.errors.state", { error: errorMessage(err) }));
        status.error(t("aggregate-window.status.stateError"));
      };
      // Written by this node's own clock (below), not the StateFile's: every SAVE_MS while the windows change, or
      // less often when the document is large, so that saving takes at most 2 % of the time; on close, the last.
      const state = new StateFile<AggregatorState>({ dir: cfg.stateDir, intervalMs: 0, onError: reportStateError });
      const loaded = state.load();
      if (loaded.quarantined) node.warn(t("aggregate-window.log.quarantined", { file: loaded.quarantined, reason: loaded.reason ?? "" }));
      if (loaded.state) {
        if (agg.restore(loaded.state, Date.now())) {
          const s = agg.stats();
          if (s.openWindows + s.closedWindows > 0) node.log(t("aggregate-window.log.restored", { open: s.openWindows, closed: s.closedWindows, devices: s.devices }));
        } else node.warn(t("aggregate-window.log.discarded", { key: agg.stateKey }));
      }

      let closed = false;
      let dirty = false;
      let lastSave = Date.now();
      let saveEvery = SAVE_MS;
      const save = () => {
        dirty = true;
      };
      // Saved in parts, one device a part, encoded between turns of the event loop and written asynchronously. The
      // time spent making the parts (twice that, with the file's encoding) sets the interval, so that saving takes at
      // most 2 % of the time.
      const saveNow = () => {
        if (!dirty || state.saving) return; // one in flight: the next tick asks again
        dirty = false;
        let busy = 0;
        state.changedParts(() => timedParts(agg.snapshotParts(), (ms) => (busy += ms)));
        state.save().then(
          () => {
            lastSave = Date.now();
            saveEvery = Math.max(SAVE_MS, busy * 2 * 50);
          },
          (err: unknown) => {
            dirty = true;
            lastSave = Date.now();
            reportStateError(err);
          },
        );
      };
      const showStatus = () => {
        if (Date.now() - stateError < 10_000) return;
        // counted only when the (throttled) status is shown
        const text = () => {
          const s = agg.stats();
          return t("aggregate-window.status.open", { open: s.openWindows, late: s.late });
        };
        if (agg.lateCount > 0) status.warn(text);
        else status.ok(text);
      };
      /** The message of aggregates: msg.receivedAt is the newest receivedAt of their inputs (see the help). */
      const aggregateMsg = (topic: unknown, aggs: Aggregate[]): Msg => ({
        topic,
        payload: aggs.length === 1 ? aggs[0] : aggs,
        receivedAt: agg.receivedAtOf(aggs) ?? Date.now(),
      });
      const send1 = (aggs: Aggregate[]) => {
        if (!aggs.length) return;
        node.send([aggregateMsg("aggregate", aggs) as NodeMessageInFlow, null]);
      };

      // The wall clock: quiet devices' windows close, final windows are forgotten; the state is saved.
      const tickMs = Math.max(1000, Math.min(cfg.idleCloseSeconds > 0 ? (cfg.idleCloseSeconds * 1000) / 4 : 30_000, 30_000));
      let lastTick = Date.now();
      const timer = setInterval(() => {
        const now = Date.now();
        try {
          if (now - lastTick >= tickMs) {
            lastTick = now;
            const before = agg.windowCount;
            const out = agg.tick(now);
            send1(out);
            if (out.length || agg.windowCount !== before) {
              save();
              showStatus();
            }
          }
          if (now - lastSave >= saveEvery) saveNow();
        } catch (err) {
          logThrottled("tick", t("aggregate-window.errors.tick", { error: errorMessage(err) }));
        }
      }, 1000);
      timer.unref?.();

      return {
        input(msg, send) {
          if (typeof msg.command === "string") {
            const command = msg.command.trim().toLowerCase();
            if (!(COMMANDS as readonly string[]).includes(command))
              throw new InputError(t("aggregate-window.errors.command", { command: msg.command, commands: COMMANDS.join(", ") }), "bad command");
            if (command === "stats") {
              send([null, { topic: "stats", payload: agg.stats() }] as never);
              return;
            }
            const out = agg.flush();
            save();
            showStatus();
            if (out.length) send([aggregateMsg(msg.topic, out), null] as never);
            return;
          }
          const items = Array.isArray(msg.payload) ? msg.payload : [msg.payload];
          // when the gateway first received these readings (the wall clock when no one said)
          const rcv = receivedAtMs(msg.receivedAt) ?? Date.now();
          const finish = (aggregates: Aggregate[], rejected: Rejected[]) => {
            save();
            showStatus();
            const out2 = rejected.length ? rejectedMessages(rejected) : NONE;
            for (const m of out2) if (m.reason === "invalid") logThrottled("invalid", String(m.error), "warn");
            // An aggregate is a new message, not the reading that happened to close its window: that reading's other
            // properties (a Modbus responseBuffer, its input) would ride along, be stored by store-forward and be sent.
            let first: Msg | null = null;
            if (aggregates.length) first = aggregateMsg(msg.topic, aggregates);
            if (!first && !out2.length) return;
            send([first, out2.length ? out2 : null] as never);
          };
          if (items.length <= CHUNK) {
            const r = agg.add(items, Date.now(), rcv);
            finish(r.aggregates, r.rejected);
            return;
          }
          // A big batch (a store-forward replay) is aggregated CHUNK readings per event-loop turn.
          return (async () => {
            const aggregates: Aggregate[] = [];
            const rejected: Rejected[] = [];
            for (let i = 0; i < items.length; i += CHUNK) {
              if (closed) throw new Error(t("aggregate-window.errors.closedInBatch", { done: i, total: items.length }));
              const r = agg.add(items.slice(i, i + CHUNK), Date.now(), rcv);
              for (const a of r.aggregates) aggregates.push(a);
              for (const x of r.rejected) rejected.push(x);
              if (i + CHUNK < items.length) await new Promise((resolve) => setImmediate(resolve));
            }
            finish(aggregates, rejected);
          })();
        },
        close() {
          closed = true;
          clearInterval(timer);
          state.changedParts(() => agg.snapshotParts());
          return state.closeAsync();
        },
      };
    },
  });
};
