/**
 * lwm2m-request: one LwM2M operation on a device registered with an lwm2m-server: read, write, execute, observe,
 * cancel-observe, discover, write-attributes, read-composite, and firmware-update (the whole Object 5 procedure).
 * msg.op, msg.path and msg.endpoint override the config. The logic lives in ops.ts and firmware.ts.
 */
import type { NodeAPI, NodeMessageInFlow } from "node-red";
import { errorMessage } from "../shared/errors";
import { findServer, type Observation } from "../shared/lwm2m/registry";
import { registerNode, type Msg } from "../shared/node-runtime";
import { parseRequestConfig, resolveTarget, type RequestConfig } from "./config";
import { FIELDS } from "./fields";
import { firmwareUpdate, parseJob } from "./firmware";
import { MIGRATIONS } from "./migrations";
import { observe, runOp } from "./ops";

const TYPE = "lwm2m-request";

export = (RED: NodeAPI) => {
  registerNode<RequestConfig>(RED, {
    type: TYPE,
    fields: FIELDS,
    migrations: MIGRATIONS,
    parse: (def) => parseRequestConfig(def),
    create({ RED: red, node, config: cfg, status, t, logThrottled }) {
      const server = findServer(cfg.server);
      const observations = new Set<Observation>();
      let closed = false;
      const closing = new AbortController(); // ends a firmware update under way when the node closes
      const opts = { accept: cfg.accept, writeFormat: cfg.writeFormat, timeoutMs: cfg.timeoutMs, queueWaitMs: cfg.queueWaitMs };
      status.ok(() => t("lwm2m-request.status.ready", { op: cfg.op }));
      return {
        async input(msg: Msg, send) {
          const { op, path, endpoint } = resolveTarget(cfg, msg);
          const out = (m: Msg) => send(m as unknown as NodeMessageInFlow);
          if (op === "firmware-update") {
            const job = parseJob(msg.payload);
            status.warn(() => t("lwm2m-request.status.updating", { endpoint: endpoint.slice(0, 12) }));
            const outcome = await firmwareUpdate(
              server,
              endpoint,
              job,
              { ...opts, stateTimeoutMs: cfg.stateTimeoutMs },
              (p) => out({ ...(red.util.cloneMessage(msg as never) as Msg), topic: "progress", endpoint, op, payload: p }),
              closing.signal,
            );
            msg.topic = "result";
            Object.assign(msg, { endpoint, op, path });
            // The result answers the command it was given: a rollout-stage command's campaign and action travel
            // back, and a failure's reason is its result text, so rollout-stage takes the result as it comes.
            const cmd = msg.payload as Record<string, unknown>;
            msg.payload = {
              ...outcome,
              ...(typeof cmd.campaign === "string" ? { campaign: cmd.campaign } : {}),
              ...(typeof cmd.action === "string" ? { action: cmd.action } : {}),
              ...(outcome.status !== "success" ? { reason: outcome.resultText } : {}),
            };
            if (outcome.status === "success") status.ok(() => t("lwm2m-request.status.fwOk", { endpoint: endpoint.slice(0, 12) }));
            else status.error(() => t("lwm2m-request.status.fwFailed", { result: String(outcome.result ?? "-") }));
            out(msg);
            return;
          }
          if (op === "observe") {
            const { first, observation } = await observe(server, endpoint, path, opts, (r) => {
              if (closed) return;
              if (r instanceof Error) {
                logThrottled("notify", r.message, "warn");
                return;
              }
              const m = { ...(red.util.cloneMessage(msg as never) as Msg), endpoint, op, path, code: r.code, contentFormat: r.contentFormat, payload: r.payload, observe: true };
              node.send(m as unknown as NodeMessageInFlow);
            });
            if (closed) {
              observation.cancel();
              return;
            }
            observations.add(observation);
            Object.assign(msg, { endpoint, op, path, code: first.code, contentFormat: first.contentFormat, payload: first.payload });
            status.ok(() => t("lwm2m-request.status.observing", { count: observations.size }));
            out(msg);
            return;
          }
          try {
            const r = await runOp(server, op, endpoint, path, msg.payload, opts);
            Object.assign(msg, { endpoint, op, path, code: r.code, contentFormat: r.contentFormat, payload: r.payload });
            status.ok(() => t("lwm2m-request.status.done", { op, code: r.code }));
            out(msg);
          } catch (err) {
            status.error(() => t("lwm2m-request.status.failed", { op }));
            throw err instanceof Error ? err : new Error(errorMessage(err));
          }
        },
        close() {
          closed = true;
          closing.abort();
          for (const o of observations) o.cancel();
          observations.clear();
        },
      };
    },
  });
};
