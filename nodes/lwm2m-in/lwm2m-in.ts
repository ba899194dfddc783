/**
 * lwm2m-in: the events of an lwm2m-server as messages: registered, updated, deregistered, expired, restarted (a
 * Register over a live registration), notify (observations) and send (LwM2M 1.1 Send to /dp).
 * msg.topic is the event, msg.payload `{ event, endpoint, at, registration, path?, value? }`.
 * An input `msg.command = "list"` sends the endpoint table (topic "list").
 */
import type { NodeAPI, NodeMessageInFlow } from "node-red";
import { InputError } from "../shared/errors";
import { findServer, type Lwm2mEvent } from "../shared/lwm2m/registry";
import { registerNode, type Msg } from "../shared/node-runtime";
import { parseInConfig, wanted, type Lwm2mInConfig } from "./config";
import { FIELDS } from "./fields";
import { MIGRATIONS } from "./migrations";

const TYPE = "lwm2m-in";

export = (RED: NodeAPI) => {
  registerNode<Lwm2mInConfig>(RED, {
    type: TYPE,
    fields: FIELDS,
    migrations: MIGRATIONS,
    parse: (def) => parseInConfig(def),
    create({ RED: red, node, config: cfg, status, t }) {
      const server = findServer(cfg.server);
      const onEvent = (e: Lwm2mEvent) => {
        if (!wanted(cfg, e)) return;
        status.ok(() => t("lwm2m-in.status.event", { event: e.event, endpoint: e.endpoint.slice(0, 12) }));
        // Each node gets its own copy (Buffers stay Buffers: an Opaque value, an undecodable payload).
        node.send(red.util.cloneMessage({ topic: e.event, payload: e } as never) as unknown as NodeMessageInFlow);
      };
      server.events.on("event", onEvent);
      status.ok(() => t("lwm2m-in.status.devices", { count: server.registrations().length }));
      return {
        input(msg: Msg, send) {
          if (msg.command !== "list") throw new InputError(t("lwm2m-in.errors.command", { command: String(msg.command) }), "bad input");
          const endpoints = server.registrations().filter((r) => cfg.endpoint === "" || r.endpoint === cfg.endpoint);
          msg.topic = "list";
          msg.payload = { event: "list", at: new Date().toISOString(), count: endpoints.length, endpoints };
          send(msg as unknown as NodeMessageInFlow);
        },
        close() {
          server.events.off("event", onEvent);
        },
      };
    },
  });
};
