/**
 * The package as a user gets it: `npm pack`, installed into a fresh Node-RED user directory the way the
 * palette manager installs (npm install --omit=dev --engine-strict), then loaded by Node-RED 4.1 on the
 * Node.js running the tests and by Node-RED 5 on Node.js 22. For each, the admin API must list every node
 * type of package.json as enabled and error-free, serve each icon and each editor template, and the log
 * must show no load error.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "mocha";
import {
  MODULE,
  PKG,
  createUserDir,
  iconFile,
  logProblems,
  makeTempDir,
  nodeRed4,
  nodeRed5,
  nodeRedVersion,
  nodeTypes,
  packTarball,
  removeDir,
  saveLog,
  since,
  startNodeRed,
  type NodeRedInstance,
  type Runtime,
} from "./helpers";

interface NodeSet {
  id: string;
  name: string;
  types: string[];
  enabled: boolean;
  module: string;
  version: string;
  err?: unknown;
}

const types = nodeTypes();

let packDir: string | undefined;
let tarball = "";

before(
  async () => {
    const t0 = Date.now();
    packDir = makeTempDir("pack");
    tarball = await packTarball(packDir);
    console.log(`packed ${tarball} in ${since(t0)}`);
  },
);

after(() => removeDir(packDir));

const targets: { name: string; major: number; node: RegExp; runtime: () => Runtime | Promise<Runtime> }[] = [
  { name: "Node-RED 4.1 on Node 20", major: 4, node: /^v20\./, runtime: nodeRed4 },
  { name: "Node-RED 5 on Node 22", major: 5, node: /^v22\./, runtime: nodeRed5 },
];

for (const target of targets) {
  describe(`palette install into ${target.name}`, () => {
    let tmp: string | undefined;
    let rt: Runtime;
    let nr: NodeRedInstance | undefined;

    before(
      async () => {
        let t0 = Date.now();
        rt = await target.runtime();
        console.log(`${target.name}: runtime ${nodeRedVersion(rt)} ready in ${since(t0)}`);
        t0 = Date.now();
        tmp = makeTempDir(`nr${target.major}`);
        const userDir = await createUserDir(tmp, tarball, rt.nodeBin);
        console.log(`${target.name}: tarball installed in ${since(t0)}`);
        t0 = Date.now();
        nr = await startNodeRed(rt, userDir);
        console.log(`${target.name}: Node-RED answering at ${nr.url} after ${since(t0)}`);
      },
    );

    after(async () => {
      try {
        await nr?.stop();
        if (nr) saveLog(`palette-install-node-red-${target.major}.log`, nr.log());
      } finally {
        removeDir(tmp);
      }
    });

    it("runs the intended Node-RED and Node.js versions", async () => {
      assert.equal(Number(nodeRedVersion(rt).split(".")[0]), target.major);
      const settings = (await (await fetch(`${nr!.url}/settings`)).json()) as { version: string };
      assert.equal(Number(settings.version.split(".")[0]), target.major, `/settings version ${settings.version}`);
      const nodeLine = /Node\.js\s+version:\s+(v\S+)/.exec(nr!.log());
      assert.ok(nodeLine, `no Node.js version line in the log:\n${nr!.log()}`);
      assert.match(nodeLine[1], target.node);
    });

    it("registers every node type, enabled and without error", async () => {
      const res = await fetch(`${nr!.url}/nodes`, { headers: { Accept: "application/json" } });
      assert.equal(res.status, 200);
      const sets = (await res.json()) as NodeSet[];
      const ours = sets.filter((s) => s.module === MODULE);
      assert.ok(ours.length > 0, `no node set of ${MODULE} in GET /nodes: ${JSON.stringify(sets.map((s) => s.id))}`);
      for (const type of types) {
        const set = sets.find((s) => s.types.includes(type));
        assert.ok(set, `node type ${type} is not registered`);
        assert.equal(set.module, MODULE, `${type} registered by ${set.module}`);
        assert.equal(set.version, PKG.version, `${type} version`);
        assert.equal(set.enabled, true, `${type} is not enabled`);
        assert.equal(set.err, undefined, `${type} failed to load: ${JSON.stringify(set.err)}`);
      }
      for (const set of ours) assert.equal(set.err, undefined, `${set.id} has an error: ${JSON.stringify(set.err)}`);
    });

    it("lists the module as user-installed", async () => {
      const res = await fetch(`${nr!.url}/nodes/${MODULE}`, { headers: { Accept: "application/json" } });
      assert.equal(res.status, 200);
      const info = (await res.json()) as { name: string; version: string; user: boolean };
      assert.equal(info.name, MODULE);
      assert.equal(info.version, PKG.version);
      assert.equal(info.user, true, "the palette manager would not offer to remove or update the module");
    });

    it("serves every node's icon as SVG", async () => {
      for (const type of types) {
        const res = await fetch(`${nr!.url}/icons/${MODULE}/${iconFile(type)}`);
        assert.equal(res.status, 200, `icon of ${type}`);
        assert.match(res.headers.get("content-type") ?? "", /image\/svg\+xml/, `icon of ${type}`);
        assert.match(await res.text(), /<svg[\s>]/, `icon of ${type} is not an SVG`);
      }
    });

    it("serves every node's editor template and help", async () => {
      const res = await fetch(`${nr!.url}/nodes`, { headers: { Accept: "text/html" } });
      assert.equal(res.status, 200);
      const html = await res.text();
      for (const type of types) {
        assert.ok(html.includes(`data-template-name="${type}"`), `no edit template for ${type}`);
        assert.ok(html.includes(`data-help-name="${type}"`), `no help for ${type}`);
      }
    });

    it("serves every node's message catalog", async () => {
      const res = await fetch(`${nr!.url}/nodes/messages?lng=en-US`, { headers: { Accept: "application/json" } });
      assert.equal(res.status, 200);
      const catalogs = (await res.json()) as Record<string, Record<string, unknown>>;
      for (const type of types) {
        const catalog = catalogs[`${MODULE}/${type}`];
        assert.ok(catalog, `no message catalog for ${MODULE}/${type}`);
        // The section is named after the node's file: "validate" for the m2m-validate node in nodes/validate/.
        const section = path.basename(PKG["node-red"].nodes[type], ".js");
        assert.ok(catalog[section], `the catalog of ${type} has no "${section}" section`);
        assert.ok(catalog.m2m, `the catalog of ${type} has no shared "m2m" section (the build merges it in)`);
      }
    });

    it("logs no load error", () => {
      const problems = logProblems(nr!.log());
      assert.deepEqual(problems, [], `Node-RED log:\n${nr!.log()}`);
    });
  });
}
