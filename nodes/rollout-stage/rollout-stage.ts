/**
 * rollout-stage: the Node-RED wrapper, a definition for the shared node runtime. The campaigns are run by the pure
 * engine (engine.ts); this file wires the inputs, the two outputs, the one timer (the engine's next deadline), the
 * status, and the state document.
 *
 * State: one document (StateFile, written atomically) saved on every change that matters, BEFORE the messages of
 * that change are sent: so after a crash or a restart, nothing that was sent is sent again (a command whose save
 * succeeded but whose send was cut by a power failure is never sent; that device times out).
 *
 * Outputs: 1 device commands (one message per device), 2 campaign events.
 */
import type { NodeAPI, NodeMessageInFlow } from "node-red";
import { InputError, errorMessage } from "../shared/errors";
import { nodeStateDir, registerNode, type Msg, type Send } from "../shared/node-runtime";
import { StateFile } from "../shared/state-file";
import { isRec } from "../shared/util";
import { parseRolloutConfig, type RolloutConfig } from "./config";
import { RolloutEngine, type EngineState, type Output } from "./engine";
import { FIELDS } from "./fields";
import { MIGRATIONS } from "./migrations";
import { parseWaves } from "./options";
import { waveSizes } from "./plan";
import catalog from "./locales/en-US/rollout-stage.json";

const TYPE = "rollout-stage";
/** setTimeout's longest delay; a later deadline is reached in several steps. */
const MAX_DELAY = 2_147_483_647;

export = (RED: NodeAPI) => {
  registerNode<RolloutConfig>(RED, {
    type: TYPE,
    catalog,
    fields: FIELDS,
    migrations: MIGRATIONS,
    parse: (def, env) => parseRolloutConfig(def, nodeStateDir(env, `m2m-${TYPE}`)),
    summary: (cfg) => ({ sizes1000: waveSizes(1000, cfg.options.waves) }),
    checkers: {
      waves: (text) => ({ sizes1000: waveSizes(1000, parseWaves(text)) }),
    },
    create({ node, config: cfg, status, t, logThrottled }) {

      const engine = new RolloutEngine(cfg.options);
      let stateError: Error | undefined;
      const file = new StateFile<EngineState>({ dir: cfg.dir, name: "campaigns.json", intervalMs: 0 });
      const loaded = file.load();
      if (loaded.quarantined) node.warn(t("rollout-stage.log.quarantined", { file: loaded.quarantined, reason: loaded.reason ?? "" }));
      engine.load(loaded.state);
      if (loaded.state?.campaigns.length) node.log(t("rollout-stage.log.resumed", { count: loaded.state.campaigns.length, file: file.file }));
      const snapshot = () => engine.toJSON();

      const showStatus = () => {
        if (stateError) return status.error(() => t("rollout-stage.status.stateError"));
        const s = engine.summary();
        if (!s) return status.ok(() => t("rollout-stage.status.idle"));
        const st = engine.stats(s.campaign);
        const rb = st?.rollback;
        const text = () => {
          if (s.phase === "rolling-back") return t("rollout-stage.status.rollingBack", { done: rb?.rolledBack ?? 0, targeted: rb?.targeted ?? 0 });
          if (s.phase === "rolled-back") return t("rollout-stage.status.rolledBack", { done: rb?.rolledBack ?? 0, targeted: rb?.targeted ?? 0 });
          if (s.phase === "completed") return t("rollout-stage.status.completed", { ok: st?.total.succeeded ?? 0 });
          if (s.phase === "aborted") return t("rollout-stage.status.aborted");
          return t("rollout-stage.status.wave", { wave: s.wave, waves: s.waves, ok: s.ok, size: s.size, fail: s.fail });
        };
        if (s.phase === "halted" || s.phase === "rolling-back" || s.phase === "rolled-back") status.error(text);
        else if (s.phase === "paused" || s.phase === "approval" || s.phase === "aborted") status.warn(text);
        else status.ok(text);
      };

      /** Save the change (before anything of it is sent), then the messages for both outputs. */
      const commit = (out: Output): [NodeMessageInFlow[] | null, NodeMessageInFlow[] | null] => {
        if (out.changed) {
          file.changed(snapshot);
          try {
            file.flush();
            stateError = undefined;
          } catch (err) {
            stateError = err as Error;
            logThrottled("state", t("rollout-stage.errors.state", { error: errorMessage(err) }));
          }
        }
        const commands = out.commands.map((c) => ({ topic: c.deviceId, payload: c }) as unknown as NodeMessageInFlow);
        const events = out.events.map((e) => ({ topic: e.event, payload: e }) as unknown as NodeMessageInFlow);
        return [commands.length ? commands : null, events.length ? events : null];
      };

      let timer: NodeJS.Timeout | undefined;
      let closed = false;
      const arm = () => {
        if (timer) clearTimeout(timer);
        timer = undefined;
        const next = engine.nextDeadline();
        if (next === undefined || closed) return;
        timer = setTimeout(onTimer, Math.min(MAX_DELAY, Math.max(0, next - Date.now())));
      };
      function onTimer() {
        timer = undefined;
        try {
          const [a, b] = commit(engine.tick(Date.now()));
          if (a || b) node.send([a, b] as never);
        } catch (err) {
          logThrottled("tick", t("rollout-stage.errors.tick", { error: errorMessage(err) }));
        }
        showStatus();
        arm();
      }
      // Deadlines that passed while the node was down are handled at once (timeouts, a soak's end).
      timer = setTimeout(onTimer, 0);
      showStatus();

      const campaignOf = (msg: Msg): string | undefined => {
        const v = msg.campaign ?? (isRec(msg.payload) ? msg.payload.campaign : undefined);
        return typeof v === "string" && v !== "" ? v : undefined;
      };

      return {
        input(msg: Msg, send: Send) {
          const now = Date.now();
          let out: Output;
          // A refused message throws here (done(err): a Catch node gets the message that names the cause).
          if (msg.command !== undefined) {
            if (typeof msg.command !== "string") throw new InputError(`rollout-stage: msg.command must be a string (pause, resume, approve, abort, rollback, status)`, "bad command");
            out = engine.command(msg.command, campaignOf(msg), now);
          } else if (msg.topic === "progress") {
            // lwm2m-request's firmware-update progress, on the same wire as its results: nothing to decide yet.
            return;
          } else if (msg.topic === "campaign") out = engine.start(msg.payload, now);
          else if (msg.topic === "result") out = engine.result(msg.payload, now);
          else if (isRec(msg.payload) && Array.isArray(msg.payload.devices)) out = engine.start(msg.payload, now);
          else if (isRec(msg.payload) && msg.payload.deviceId !== undefined && msg.payload.status !== undefined) out = engine.result(msg.payload, now);
          else throw new InputError(t("rollout-stage.errors.topic", { topic: msg.topic === undefined ? "(none)" : JSON.stringify(msg.topic) }), "bad input");
          const [a, b] = commit(out);
          if (a || b) send([a, b] as never);
          arm();
          showStatus();
          if (stateError) throw new Error(t("rollout-stage.errors.state", { error: errorMessage(stateError) }));
        },
        close() {
          closed = true;
          if (timer) clearTimeout(timer);
          timer = undefined;
          file.close();
        },
      };
    },
  });
};
