/**
 * lwm2m-diagnose: the Node-RED wrapper, a definition for the shared node runtime. The tree and the histories are in
 * diagnoser.ts / tree.ts / history.ts (pure); this file wires the state file, the optional lwm2m-server (reads of
 * /3/0, /4/0, /5/0 and /7/0 for `msg.endpoint` alone, and its registration events heard directly) and the status.
 */
import type { NodeAPI, NodeMessageInFlow } from "node-red";
import { errorMessage, InputError } from "../shared/errors";
import { decode } from "../shared/lwm2m";
import { findServer, type Lwm2mEvent, type Lwm2mServerApi } from "../shared/lwm2m/registry";
import { nodeStateDir, registerNode, type Msg } from "../shared/node-runtime";
import { StateFile } from "../shared/state-file";
import { isRec } from "../shared/util";
import { parseDiagnoseConfig, type DiagnoseConfig } from "./config";
import { Diagnoser } from "./diagnoser";
import type { HistoryState } from "./history";
import { FIELDS } from "./fields";
import { MIGRATIONS } from "./migrations";
import catalog from "./locales/en-US/lwm2m-diagnose.json";

const TYPE = "lwm2m-diagnose";
/** The objects read for `msg.endpoint` alone: Device, Connectivity Monitoring, Firmware Update, Connectivity Statistics. */
const READ_PATHS = ["/3/0", "/4/0", "/5/0", "/7/0"] as const;
const SAVE_MS = 10_000;
const READ_TIMEOUT_MS = 30_000;

interface NodeConfig extends DiagnoseConfig {
  /** The lwm2m-server config node's id ("" = none). */
  server: string;
}

/** Read the objects of READ_PATHS through the server; an object the device does not have (4.xx) is left out. */
async function readSnapshot(server: Lwm2mServerApi, endpoint: string): Promise<{ objects: Record<string, unknown>; missing: Record<string, string> }> {
  const objects: Record<string, unknown> = {};
  const missing: Record<string, string> = {};
  for (const path of READ_PATHS) {
    try {
      const res = await server.request(endpoint, { method: "GET", path, timeoutMs: READ_TIMEOUT_MS, queueWaitMs: READ_TIMEOUT_MS });
      if (!res.code.startsWith("2.")) {
        missing[path] = res.code;
        continue;
      }
      objects[path.split("/")[1]] = decode(res.payload, res.contentFormat ?? 0, path);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === "string" && /^4\.\d\d$/.test(code)) {
        missing[path] = code;
        continue;
      }
      throw new InputError(`lwm2m-diagnose: reading ${path} of ${endpoint} failed: ${errorMessage(err)}`, "read failed");
    }
  }
  if (!objects["3"] && !objects["4"] && !objects["5"]) throw new InputError(`lwm2m-diagnose: ${endpoint} gave none of /3/0, /4/0, /5/0 (${JSON.stringify(missing)})`, "read failed");
  return { objects, missing };
}

export = (RED: NodeAPI) => {
  registerNode<NodeConfig>(RED, {
    type: TYPE,
    catalog,
    fields: FIELDS,
    migrations: MIGRATIONS,
    parse(def, env) {
      const cfg = parseDiagnoseConfig(def);
      return { ...cfg, server: typeof def.server === "string" ? def.server : "", stateDir: cfg.stateDir || nodeStateDir(env, `m2m-${TYPE}`) };
    },
    create({ node, config: cfg, status, t, logThrottled }) {
      // the server first: a server that could not start refuses every message with its own reason
      const server = cfg.server ? findServer(cfg.server) : undefined;
      const dz = new Diagnoser(cfg);
      const state = new StateFile<HistoryState>({
        dir: cfg.stateDir,
        intervalMs: SAVE_MS,
        onError: (err) => {
          logThrottled("state", t(`${TYPE}.errors.state`, { error: errorMessage(err) }));
          status.error(t(`${TYPE}.status.stateError`));
        },
      });
      const loaded = state.load();
      if (loaded.quarantined) node.warn(t(`${TYPE}.log.quarantined`, { file: loaded.quarantined, reason: loaded.reason ?? "" }));
      if (loaded.state !== undefined && !dz.restore(loaded.state)) node.warn(t(`${TYPE}.log.discarded`));
      const save = () => state.changed(() => dz.snapshot());

      // the server's events feed the histories directly (registrations → reboots, notifications → samples)
      const onEvent = (e: Lwm2mEvent) => {
        try {
          dz.input(e, Date.now());
          save();
        } catch (err) {
          logThrottled("event", t(`${TYPE}.errors.event`, { event: String(e?.event), error: errorMessage(err) }), "warn");
        }
      };
      server?.events.on("event", onEvent);
      let closed = false;

      return {
        async input(msg: Msg, send) {
          let payload = msg.payload;
          const endpoint = typeof msg.endpoint === "string" && msg.endpoint.trim() ? msg.endpoint.trim() : undefined;
          const isInput = isRec(payload) && (payload.objects !== undefined || payload.event !== undefined);
          if (!isInput) {
            if (!endpoint) throw new InputError(t(`${TYPE}.errors.input`), "bad payload");
            if (!server) throw new InputError(t(`${TYPE}.errors.noServer`, { endpoint }), "no server");
            status.warn(() => t(`${TYPE}.status.reading`, { endpoint: endpoint.slice(0, 12) }));
            const read = await readSnapshot(server, endpoint);
            if (closed) return;
            payload = { endpoint, at: Date.now(), objects: read.objects };
            if (Object.keys(read.missing).length) msg.missing = read.missing;
          }
          const d = dz.input(payload, Date.now(), endpoint);
          save();
          const text = () => t(`${TYPE}.status.cause`, { endpoint: d.endpoint.slice(0, 10), cause: d.cause });
          if (d.cause === "healthy") status.ok(text);
          else if (d.cause === "hardware-fault" || d.severity === "critical") status.error(text);
          else status.warn(text);
          msg.payload = d;
          msg.topic = d.cause;
          msg.endpoint = d.endpoint;
          send(msg as unknown as NodeMessageInFlow);
        },
        close() {
          closed = true;
          server?.events.off("event", onEvent);
          save();
          state.close();
        },
      };
    },
  });
};
