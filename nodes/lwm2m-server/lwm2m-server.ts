/**
 * lwm2m-server (a config node): the LwM2M server, shared by the lwm2m-request, lwm2m-in and lwm2m-diagnose nodes
 * that name it. The server lives in server.ts; this file wires its state file (registrations survive a redeploy and
 * a restart), the shared registry the other nodes find it through, and the endpoint table of the editor
 * (GET /m2m/lwm2m-server/<id>/endpoints).
 */
import type { NodeAPI } from "node-red";
import type { Request, Response } from "express";
import { errorMessage } from "../shared/errors";
import { decode } from "../shared/lwm2m";
import { registerServer, serverFailed, serverOf, unregisterServer, type Registration } from "../shared/lwm2m/registry";
import { nodeStateDir, registerNode } from "../shared/node-runtime";
import { StateFile } from "../shared/state-file";
import { parseServerConfig, type Lwm2mServerConfig } from "./config";
import { FIELDS } from "./fields";
import { MIGRATIONS } from "./migrations";
import { Lwm2mServer } from "./server";

const TYPE = "lwm2m-server";

export = (RED: NodeAPI) => {
  registerNode<Lwm2mServerConfig>(RED, {
    type: TYPE,
    fields: FIELDS,
    migrations: MIGRATIONS,
    parse(def, env) {
      try {
        return parseServerConfig(def, nodeStateDir(env, `m2m-${TYPE}`));
      } catch (err) {
        // The nodes that use this server refuse their messages with this reason (they start after it).
        if (env.nodeId && !serverOf(env.nodeId)) serverFailed(env.nodeId, errorMessage(err));
        throw err;
      }
    },
    create({ node, config: cfg, t, logThrottled }) {
      const server = new Lwm2mServer({
        port: cfg.port,
        bind: cfg.bind,
        awakeMs: cfg.awakeMs,
        timeoutMs: cfg.timeoutMs,
        decode: (payload, contentFormat, path) => decode(payload, contentFormat ?? 0, path),
      });
      const file = new StateFile<Registration[]>({
        dir: cfg.dir,
        name: "registrations.json",
        intervalMs: 2000,
        onError: (err) => logThrottled("state", t("lwm2m-server.errors.state", { error: errorMessage(err) })),
      });
      const loaded = file.load();
      if (loaded.quarantined) node.warn(t("lwm2m-server.log.quarantined", { file: loaded.quarantined, reason: loaded.reason ?? "" }));
      server.load(Array.isArray(loaded.state) ? loaded.state : []);
      server.events.on("changed", () => file.changed(() => server.toJSON()));
      server.events.on("error", (err: unknown) => logThrottled("server", t("lwm2m-server.errors.server", { error: errorMessage(err) }), "warn"));
      server.start().then(
        () => node.log(t("lwm2m-server.log.listening", { address: server.address().address, port: server.address().port })),
        (err: unknown) => {
          const why = t("lwm2m-server.errors.listen", { bind: cfg.bind, port: cfg.port, error: errorMessage(err) });
          serverFailed(node.id, why);
          node.error(why);
        },
      );
      registerServer(node.id, server);
      return {
        input() {
          // A config node has no input.
        },
        async close() {
          unregisterServer(node.id, server);
          await server.close();
          file.changed(() => server.toJSON());
          file.close();
        },
      };
    },
  });

  // The endpoint table of the editor: what the running server of config node :id has registered.
  RED.httpAdmin.get(`/m2m/${TYPE}/:id/endpoints`, RED.auth.needsPermission(`${TYPE}.read`), (req: Request, res: Response) => {
    const server = serverOf(String(req.params.id));
    if (!server) {
      res.json({ running: false, endpoints: [] });
      return;
    }
    res.json({ running: true, listening: server.address(), endpoints: server.registrations() });
  });
};
