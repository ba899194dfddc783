/**
 * meter-normalize: the Node-RED wrapper, a definition for the shared node runtime. The logic lives in
 * normalizer.ts and the modules it imports.
 */
import type { NodeAPI } from "node-red";
import { parseFields } from "../shared/fields";
import { registerNode } from "../shared/node-runtime";
import type { CanonicalReading } from "../shared/canonical-reading";
import { FIELDS } from "./fields";
import { MIGRATIONS } from "./migrations";
import { compileRegisterMap } from "./register-map";
import { createJsonReader } from "./json-input";
import { createNormalizer, parseMeterNormalizeConfig, toOutput, type MeterNormalizeDef, type NormalizerConfig } from "./normalizer";

export = (RED: NodeAPI) => {
  registerNode<NormalizerConfig>(RED, {
    type: "meter-normalize",
    fields: FIELDS,
    migrations: MIGRATIONS,
    parse(def) {
      parseFields(FIELDS, def);
      return parseMeterNormalizeConfig(def as MeterNormalizeDef);
    },
    summary: (cfg) => ({ mapId: cfg.map?.mapId, mapVersion: cfg.map?.mapVersion, points: cfg.map?.points.length ?? 0 }),
    checkers: {
      registerMap(text) {
        const map = compileRegisterMap(text);
        return { mapId: map.mapId, mapVersion: map.mapVersion, points: map.points.length };
      },
      jsonMapping(text) {
        createJsonReader(text);
      },
      devices(text) {
        parseMeterNormalizeConfig({ devices: text });
      },
    },
    create({ config, status, t }) {
      const normalizer = createNormalizer(config);
      // What the status shows of the last reading, kept as it left (a node downstream may change the reading once
      // it is sent); the texts are translated only when the status is drawn.
      let count = 0;
      let quality = "";
      const okText = () => t("meter-normalize.status.ok", { count });
      const qualityText = () => t("meter-normalize.status.quality", { count, quality });
      return {
        input(msg, send) {
          const results = normalizer.normalize(msg, Date.now());
          if (msg.registerMap !== undefined) delete msg.registerMap;
          // One message whatever the input held: a pack of many readings leaves as one array payload (the
          // contract every node accepts), never as one cloned message per reading.
          const out = toOutput(results);
          msg.payload = out.payload;
          msg.topic = out.topic;
          const last: CanonicalReading = results[results.length - 1].reading;
          count = Object.keys(last.measurements).length;
          quality = last.quality;
          let good = true;
          for (let k = 0; k < results.length && good; k++) good = results[k].reading.quality === "GOOD";
          if (good) status.ok(okText);
          else status.warn(qualityText);
          if (msg.receivedAt === undefined) msg.receivedAt = Date.now(); // when the gateway first received the data (validate's drift reference)
          send(msg as never);
        },
      };
    },
  });
};
