// The package under test, through its built public API (run `npm run build` first; `npm run bench` does).
// BENCH_ROOT=<dir> measures another checkout's build instead (a candidate fix beside the current one).
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.resolve(process.env.BENCH_ROOT || path.join(__dirname, "..", ".."));
const dist = path.join(root, "dist", "nodes");

function load(sub) {
  const file = path.join(dist, sub, "index.js");
  if (!fs.existsSync(file)) throw new Error(`${path.relative(process.cwd(), file)} is missing: run \`npm run build\` first`);
  return require(file);
}
const storeForward = () => load("store-forward");
const meterNormalize = () => load("meter-normalize");

/**
 * store-forward's defaults as the node reads them: `fields.js` (the one field spec) when the build has it,
 * else `config.js` DEFAULTS. Returns { values, from }.
 */
function storeForwardDefaults() {
  for (const f of ["fields.js", "config.js"]) {
    const file = path.join(dist, "store-forward", f);
    if (!fs.existsSync(file)) continue;
    const m = require(file);
    if (m.DEFAULTS) return { values: m.DEFAULTS, from: `dist/nodes/store-forward/${f} DEFAULTS` };
    const spec = m.FIELDS || m.fields;
    if (spec) {
      const values = {};
      for (const [k, v] of Object.entries(spec)) if (v && typeof v === "object" && "default" in v) values[k] = v.default;
      if (Object.keys(values).length) return { values, from: `dist/nodes/store-forward/${f} fields` };
    }
  }
  return { values: {}, from: "not found in dist" };
}

/**
 * The journal and forwarder options the node derives from its dialog, `def` over the defaults, exactly as
 * the node computes them (parseStoreForwardConfig from the public API), with the storage in `dir`.
 */
function nodeConfig(def, dir) {
  const sf = storeForward();
  if (typeof sf.parseStoreForwardConfig !== "function") throw new Error("store-forward's public API has no parseStoreForwardConfig");
  return sf.parseStoreForwardConfig({ dir, ...def }, dir);
}

/**
 * What the node stores for a message: { key, data }. The package's encodeRecord when the build exports it;
 * else a LOCAL FALLBACK that copies forwarder.ts as of this writing (the message without _msgid and _sf as
 * JSON; the default key of a canonical reading, deviceId/timestamp, is derived again on replay, so the
 * stored key is empty). `source` says which one ran.
 */
function recordEncoder() {
  const sf = storeForward();
  if (typeof sf.encodeRecord === "function") {
    return {
      source: "encodeRecord from the package",
      encode(msg) {
        const r = sf.encodeRecord(msg);
        if (Buffer.isBuffer(r)) return { key: "", data: r };
        return { key: r.key || "", data: Buffer.isBuffer(r.data) ? r.data : Buffer.from(r.data) };
      },
    };
  }
  return {
    source: "LOCAL FALLBACK (the build exports no encodeRecord)",
    encode(msg) {
      const copy = {};
      for (const k of Object.keys(msg)) if (k !== "_msgid" && k !== "_sf") copy[k] = msg[k];
      return { key: "", data: Buffer.from(JSON.stringify(copy)) };
    },
  };
}

module.exports = { root, dist, storeForward, meterNormalize, storeForwardDefaults, nodeConfig, recordEncoder };
