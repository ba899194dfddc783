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
      // The last reading, and its status texts, made (measurements counted, text translated) only when the status
      // is drawn.
      let last: CanonicalReading | undefined;
      const count = () => (last ? Object.keys(last.measurements).length : 0);
      const okText = () => t("meter-normalize.status.ok", { count: count() });
      const qualityText = () => t("meter-normalize.status.quality", { count: count(), quality: last?.quality ?? "" });
      return {
        input(msg, send) {
          const results = normalizer.normalize(msg, Date.now());
          if (msg.registerMap !== undefined) delete msg.registerMap;
          // One message whatever the input held: a pack of many readings leaves as one array payload (the
          // contract every node accepts), never as one cloned message per reading.
          const out = toOutput(results);
          msg.payload = out.payload;
          msg.topic = out.topic;
          last = results[results.length - 1].reading;
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
