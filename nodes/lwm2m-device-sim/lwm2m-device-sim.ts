/**
 * lwm2m-device-sim: N simulated LwM2M 1.1 clients registering with an LwM2M server (sim.ts, fleet.ts), for
 * trainers and tests. msg.command changes a device's profile live, reboots one, or lists them.
 */
import type { NodeAPI, NodeMessageInFlow } from "node-red";
import { errorMessage } from "../shared/errors";
import { registerNode, type Msg } from "../shared/node-runtime";
import { FIELDS } from "./fields";
import { Fleet, parseFleetConfig, type FleetConfig } from "./fleet";
import { MIGRATIONS } from "./migrations";

const TYPE = "lwm2m-device-sim";

export = (RED: NodeAPI) => {
  registerNode<FleetConfig>(RED, {
    type: TYPE,
    fields: FIELDS,
    migrations: MIGRATIONS,
    parse: (def) => parseFleetConfig(def),
    create({ config: cfg, status, t, logThrottled }) {
      const fleet = new Fleet(cfg);
      const started = fleet.start().then(
        () => status.ok(() => t("lwm2m-device-sim.status.running", { count: fleet.devices.length })),
        (err: unknown) => {
          logThrottled("start", t("lwm2m-device-sim.errors.start", { error: errorMessage(err) }));
          status.error(() => t("lwm2m-device-sim.status.failed"));
        },
      );
      for (const d of fleet.devices) d.on("error", (err: unknown) => logThrottled("device", `${d.endpoint}: ${errorMessage(err)}`, "warn"));
      return {
        async input(msg: Msg, send) {
          await started;
          msg.payload = fleet.command(msg);
          msg.topic = String(msg.command);
          send(msg as unknown as NodeMessageInFlow);
        },
        async close() {
          await started;
          await fleet.close();
        },
      };
    },
  });
};
