/**
 * The package's public API: the root export is the shared contract, and each node's Node-RED-free logic is a
 * subpath (`@m2mflow/node-red-m2m/<type>`), for every node type in package.json with no per-node line.
 * Runs on the build (the flows suite builds first), through Node's own resolution of package.json "exports".
 */
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

const ROOT = path.join(__dirname, "..", "..", "..");
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));

describe("package exports", () => {
  it("the root export is the shared contract", () => {
    const root = require(PKG.name); // eslint-disable-line @typescript-eslint/no-require-imports
    assert.equal(typeof root.readingQuality, "function");
    assert.ok(root.canonicalReadingSchema);
  });

  for (const [type, built] of Object.entries(PKG["node-red"].nodes as Record<string, string>)) {
    const folder = path.basename(path.dirname(built));
    it(`${type}: its public API is @m2mflow/node-red-m2m/${folder}, and it loads without Node-RED`, () => {
      const file = require.resolve(`${PKG.name}/${folder}`);
      assert.equal(file, path.join(ROOT, "dist", "nodes", folder, "index.js"));
      const before = new Set(Object.keys(require.cache));
      const api = require(file); // eslint-disable-line @typescript-eslint/no-require-imports
      assert.ok(Object.keys(api).length > 0, "it exports something");
      const loaded = Object.keys(require.cache).filter((f) => !before.has(f));
      assert.deepEqual(loaded.filter((f) => /node_modules[\\/](node-red|@node-red)[\\/]/.test(f)), [], "no Node-RED module is loaded");
    });
  }
});
