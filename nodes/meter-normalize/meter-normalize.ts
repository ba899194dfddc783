/**
 * meter-normalize: the Node-RED wrapper. Reads the config, wires 'input' and 'close', sets the status.
 * The logic lives in normalizer.ts and the modules it imports.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from "node-red";
import type { Request, Response } from "express";
import { ConfigError, InputError, errorMessage } from "../shared/errors";
import { StatusReporter } from "../shared/status";
import type { CanonicalReading } from "../shared/canonical-reading";
import { createNormalizer, parseMeterNormalizeConfig, type MeterNormalizeDef, type Normalizer } from "./normalizer";

type MeterNormalizeNodeDef = NodeDef & MeterNormalizeDef;

export = (RED: NodeAPI) => {
  function MeterNormalizeNode(this: Node, def: MeterNormalizeNodeDef) {
    RED.nodes.createNode(this, def);
    const status = new StatusReporter(this);
    let normalizer: Normalizer | undefined;
    // The last reading, and its status texts, translated only when the status is shown.
    let last: CanonicalReading | undefined;
    const count = () => (last ? Object.keys(last.measurements).length : 0);
    const okText = () => RED._("meter-normalize.status.ok", { count: count() });
    const qualityText = () => RED._("meter-normalize.status.quality", { count: count(), quality: last?.quality ?? "" });
    let configError: string | undefined;
    try {
      normalizer = createNormalizer(parseMeterNormalizeConfig(def));
      status.clear();
    } catch (err) {
      configError = errorMessage(err);
      this.error(RED._("meter-normalize.errors.config", { error: configError ?? "" }));
      status.error(RED._("meter-normalize.status.configError"));
    }

    this.on("input", (msg: NodeMessageInFlow, send, done) => {
      if (!normalizer) {
        done(new Error(`configuration: ${configError}`));
        return;
      }
      let results;
      try {
        results = normalizer.normalize(msg as unknown as Record<string, unknown>, Date.now());
      } catch (err) {
        status.error(err instanceof InputError ? err.short : RED._("meter-normalize.status.error"));
        done(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      const o = msg as unknown as Record<string, unknown>;
      if (o.registerMap !== undefined) delete o.registerMap;
      // Clone for the extra readings of a multi-reading SenML pack before the original is reused.
      const out = results.length === 1 ? undefined : results.map((_, i) => (i === 0 ? msg : RED.util.cloneMessage(msg)));
      o.payload = results[0].reading;
      o.topic = results[0].topic;
      if (out) {
        for (let i = 1; i < results.length; i++) {
          (out[i] as unknown as Record<string, unknown>).payload = results[i].reading;
          (out[i] as unknown as Record<string, unknown>).topic = results[i].topic;
        }
      }
      last = results[results.length - 1].reading;
      if (last.quality === "GOOD") status.ok(okText);
      else status.warn(qualityText);
      send(out ? [out] : msg);
      done();
    });

    this.on("close", (_removed: boolean, done: () => void) => {
      status.clear();
      status.close();
      done();
    });
  }

  RED.nodes.registerType("meter-normalize", MeterNormalizeNode);

  // Live validation for the edit dialog: the same checks the runtime makes, with the same messages.
  RED.httpAdmin.post(
    "/m2m/meter-normalize/validate",
    RED.auth.needsPermission("meter-normalize.read"),
    (req: Request, res: Response) => {
      const body = (req.body ?? {}) as MeterNormalizeDef;
      try {
        const cfg = parseMeterNormalizeConfig(body);
        res.json({
          ok: true,
          mapId: cfg.map?.mapId,
          mapVersion: cfg.map?.mapVersion,
          points: cfg.map?.points.length ?? 0,
        });
      } catch (err) {
        res.json({ ok: false, error: errorMessage(err), field: err instanceof ConfigError ? err.field : undefined });
      }
    },
  );
};
