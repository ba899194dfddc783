/**
 * validate (registered as m2m-validate): the Node-RED wrapper, a definition for the shared node runtime. The logic
 * lives in validator.ts and the modules it imports; this file wires the outputs, commands, status, the state file
 * and the timer (dedup expiry, silence).
 *
 * Outputs: 1 readings that passed (one reading, or an array in its order), 2 rejected readings (one message each,
 * with msg.validation), 3 alerts (topic "alert") and command answers.
 */
import type { NodeAPI, NodeMessageInFlow } from "node-red";
import { errorMessage } from "../shared/errors";
import { nodeStateDir, registerNode, type Msg } from "../shared/node-runtime";
import { StateFile } from "../shared/state-file";
import { parseValidateConfig, type ValidateConfig } from "./config";
import { referenceTime } from "./drift";
import { FIELDS } from "./fields";
import { MIGRATIONS } from "./migrations";
import { parseRules } from "./rules";
import { Validator, type Alert, type ValidatorState } from "./validator";

const TYPE = "m2m-validate";
const COMMANDS = ["stats", "reset"];
/** Devices encoded per part of a save (about 1-2 ms of work each). */
const DEVICES_PER_PART = 50;

export = (RED: NodeAPI) => {
  registerNode<ValidateConfig>(RED, {
    type: TYPE,
    fields: FIELDS,
    migrations: MIGRATIONS,
    parse: (def, env) => parseValidateConfig(def, nodeStateDir(env, TYPE)),
    summary: (cfg) => ({ rules: cfg.validator.rules.length }),
    checkers: {
      rules: (text) => ({ rules: parseRules(text).length }),
    },
    create({ node, config: cfg, status, t, logThrottled }) {
      const validator = new Validator(cfg.validator);
      let stateError: { error: Error; writes: number } | undefined;
      // A big state (10,000 meters) is saved in parts, a slice of devices per turn of the event loop.
      const file = new StateFile<ValidatorState>({
        dir: cfg.dir,
        name: "state.json",
        intervalMs: cfg.saveMs,
        chunked: true,
        onError: (err) => {
          stateError = { error: err, writes: file.writes };
          logThrottled("state", t("validate.errors.state", { error: errorMessage(err) }));
          status.error(() => t("validate.status.stateError"));
        },
      });
      const loaded = file.load();
      if (loaded.quarantined) node.warn(t("validate.log.quarantined", { file: loaded.quarantined, reason: loaded.reason ?? "" }));
      validator.load(loaded.state, Date.now());
      const snapshot = () => validator.jsonParts(DEVICES_PER_PART);

      let dropped = 0;
      const counts = () => validator.counts;
      const statusText = () => {
        const c = counts();
        return t("validate.status.counts", { passed: c.passed, flagged: c.flagged, rejected: c.rejected }) + (dropped ? ` ${t("validate.status.dups", { dups: c.duplicates })}` : "");
      };
      let lastHadProblems = false;
      const showStatus = () => {
        if (stateError && file.writes === stateError.writes) status.error(() => t("validate.status.stateError"));
        else if (lastHadProblems) status.warn(statusText);
        else status.ok(statusText);
      };
      showStatus();

      const alertMsg = (a: Alert) => ({ topic: "alert", payload: { node: node.id, ...a } }) as unknown as NodeMessageInFlow;
      const tickMs = Math.max(1000, Math.min(60_000, cfg.validator.silenceSeconds > 0 ? (cfg.validator.silenceSeconds * 1000) / 4 : 60_000));
      const timer = setInterval(() => {
        try {
          const now = Date.now();
          validator.expire(now);
          const alerts = validator.checkSilence(now);
          if (alerts.length) {
            node.send([null, null, alerts.map(alertMsg)] as never);
            file.changedParts(snapshot);
          }
        } catch (err) {
          logThrottled("tick", errorMessage(err));
        }
      }, tickMs);

      return {
        input(msg: Msg, send) {
          if (msg.command !== undefined) {
            const command = typeof msg.command === "string" ? msg.command.toLowerCase() : "";
            if (!COMMANDS.includes(command)) throw new Error(t("validate.errors.command", { command: String(msg.command), commands: COMMANDS.join(", ") }));
            if (command === "reset") {
              const deviceId = typeof msg.deviceId === "string" && msg.deviceId !== "" ? msg.deviceId : undefined;
              const devices = validator.reset(deviceId);
              file.changedParts(snapshot);
              msg.payload = { node: node.id, reset: devices, ...(deviceId ? { deviceId } : {}) };
              msg.topic = "reset";
            } else {
              msg.payload = { node: node.id, ...validator.stats() };
              msg.topic = "stats";
            }
            send([null, null, msg as never]);
            return;
          }
          const now = Date.now();
          const input = msg.payload;
          const out = validator.validate(input, referenceTime(msg.receivedAt, now), now);
          const rejected = out.rejected.length === 0 ? null : out.rejected.map((r) => {
            const m: Msg = { _msgid: msg._msgid, topic: msg.topic, payload: r.reading, validation: { rule: r.rule, reason: r.reason, deviceId: r.deviceId, timestamp: r.timestamp } };
            if (msg.receivedAt !== undefined) m.receivedAt = msg.receivedAt;
            return m as unknown as NodeMessageInFlow;
          });
          let passed: NodeMessageInFlow | null = null;
          if (out.passed.length > 0) {
            msg.payload = Array.isArray(input) ? out.passed : out.passed[0];
            passed = msg as unknown as NodeMessageInFlow;
          }
          if (out.duplicates) dropped += out.duplicates;
          lastHadProblems = out.rejected.length > 0 || out.flagged > 0;
          if (out.passed.length || out.rejected.length || out.duplicates) file.changedParts(snapshot);
          send([passed, rejected, out.alerts.length ? out.alerts.map(alertMsg) : null] as never);
          showStatus();
          // The readings went on; the node could not keep its state: that is what done(err) is for.
          if (stateError && file.writes === stateError.writes) throw new Error(t("validate.errors.state", { error: errorMessage(stateError.error) }));
        },
        close() {
          clearInterval(timer);
          // After the save in flight, the last state, in parts too; the runtime waits (and reports a failure).
          return file.closeAsync();
        },
      };
    },
  });
};
