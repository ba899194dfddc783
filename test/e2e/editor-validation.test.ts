/**
 * The editor refuses what the runtime refuses, with the runtime's words (issue 6): in Chromium, against the packed
 * tarball in Node-RED 4.1, nodes are imported with the configs a new user got wrong, and each must be marked
 * invalid (the red triangle; Deploy then warns) with the field check's message, while good ones stay valid.
 * Structured fields (a register map) are checked by the node's /m2m/<type>/validate endpoint.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "mocha";
import { chromium, type Browser, type Page } from "playwright-core";
import { createUserDir, makeTempDir, nodeRed4, packTarball, removeDir, startNodeRed, type NodeRedInstance } from "./helpers";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];

const BAD_MAP = JSON.stringify({ mapId: "m", mapVersion: "1.0.0", addressBase: 0, points: [{ id: "v1", address: 0, type: "floatt", table: "holding" }] });
const FLOW = [
  { id: "sf-bad-watermarks", type: "store-forward", x: 200, y: 80, watermarks: "50,75,abc", wires: [[], []] },
  { id: "sf-bad-batch", type: "store-forward", x: 200, y: 140, batchSize: "20000", wires: [[], []] },
  { id: "sf-good-size", type: "store-forward", x: 200, y: 200, maxBytes: "64 MB", wires: [[], []] },
  { id: "mn-bad-map", type: "meter-normalize", x: 200, y: 260, inputKind: "modbus", registerMap: BAD_MAP, wires: [[]] },
  { id: "mn-bad-zone", type: "meter-normalize", x: 200, y: 320, timeZone: "Mars/Base", wires: [[]] },
  { id: "mn-good", type: "meter-normalize", x: 200, y: 380, wires: [[]] },
];

describe("the editor validates with the runtime's field specs (Chromium, Node-RED 4.1)", () => {
  let tmp: string | undefined;
  let nr: NodeRedInstance | undefined;
  let browser: Browser | undefined;
  let page: Page;

  before(async () => {
    assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} does not exist: apt-get install -y chromium, as .ci/run does`);
    tmp = makeTempDir("editor-validation");
    const tarball = await packTarball(fs.mkdtempSync(path.join(tmp, "pack-")));
    const rt = nodeRed4();
    nr = await startNodeRed(rt, await createUserDir(tmp, tarball, rt.nodeBin));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    await page.goto(`${nr.url}/`, { waitUntil: "load" });
    await page.waitForFunction(() => {
      const w = window as unknown as { RED?: any; $?: any };
      return !!w.RED?.workspaces?.active?.() && w.$ && w.$("#red-ui-palette-container .red-ui-palette-node").length > 0;
    }, null, { timeout: 120_000, polling: 250 });
    await page.evaluate((flow) => (window as any).RED.view.importNodes(flow), FLOW);
  });

  after(async () => {
    await browser?.close();
    await nr?.stop();
    removeDir(tmp);
  });

  const state = (id: string) =>
    page.evaluate((nodeId) => {
      const RED = (window as any).RED;
      const n = RED.nodes.node(nodeId);
      RED.editor.validateNode(n);
      return { valid: n.valid as boolean, errors: (n.validationErrors ?? []) as string[] };
    }, id);

  it("a field the runtime refuses marks the node invalid, with the runtime's words", async () => {
    const w = await state("sf-bad-watermarks");
    assert.equal(w.valid, false, "50,75,abc in Alert at (%) is invalid in the editor");
    assert.ok(w.errors.some((e) => /Alert at: "abc" \(item 3/.test(e)), JSON.stringify(w.errors));
    const b = await state("sf-bad-batch");
    assert.equal(b.valid, false);
    assert.ok(b.errors.some((e) => /Records per message: "20000" must be from 1 to 10000/.test(e)), JSON.stringify(b.errors));
    const z = await state("mn-bad-zone");
    assert.equal(z.valid, false);
  });

  it("good values, a size with its unit among them, stay valid", async () => {
    assert.equal((await state("sf-good-size")).valid, true, JSON.stringify(await state("sf-good-size")));
    assert.equal((await state("mn-good")).valid, true);
  });

  it("an invalid register map is checked by the validate endpoint and marks the node invalid", async () => {
    let s = await state("mn-bad-map");
    for (let i = 0; i < 100 && s.valid; i++) {
      await page.waitForTimeout(100);
      s = await state("mn-bad-map");
    }
    assert.equal(s.valid, false, "the endpoint's answer arrived and marked the node invalid");
    assert.ok(s.errors.some((e) => /Register map: register map: point "v1" at \/points\/0\/type "floatt" must be one of/.test(e)), JSON.stringify(s.errors));
  });
});
