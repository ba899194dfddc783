/**
 * The editor as a person sees it: the packed tarball installed into Node-RED 4.1, the editor opened in
 * Debian's headless Chromium (driven by playwright-core). For every node type of package.json: it is in
 * the palette under its category, it can be dragged onto the workspace, its edit dialog opens (with no
 * i18n key shown raw) and closes with Cancel, and its help renders in the sidebar. No console error and
 * no uncaught page error may appear. One screenshot per node type with its edit dialog open goes to
 * test-results/editor-<type>.png.
 *
 * Chromium must be at /usr/bin/chromium (.ci/run installs Debian's package); without it this test fails.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "mocha";
import { chromium, type Browser, type Page } from "playwright-core";
import {
  MODULE,
  PKG,
  RESULTS_DIR,
  ROOT,
  createUserDir,
  makeTempDir,
  nodeRed4,
  nodeTypes,
  packTarball,
  removeDir,
  saveLog,
  since,
  startNodeRed,
  type NodeRedInstance,
} from "./helpers";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];
const MINUTE = 60_000;
const types = nodeTypes();


/** The palette category and label of a node type, as its registered definition in the editor gives them. */
interface TypeInfo {
  category: string;
  paletteLabel: string;
}

const plain = (html: string) =>
  html
    .replace(/<[^>]+>/g, "")
    .replace(/&mdash;/g, "—")
    .replace(/&ndash;/g, "–")
    .replace(/&hellip;/g, "…")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/&[a-z]+;/g, " ")
    .replace(/\s+/g, " ")
    .trim();

/**
 * What a node's help (locales/en-US/<type>.html) must show in the sidebar: the first sentence of its first
 * paragraph and its <h3> headings (Inputs, Outputs, Details...), as plain text.
 */
function helpExpectations(type: string): { sentence: string; headings: string[] } {
  const built = PKG["node-red"].nodes[type];
  const file = path.join(ROOT, path.dirname(built).replace(/^(\.\/)?dist\//, ""), "locales", "en-US", `${path.basename(built, ".js")}.html`);
  const html = fs.readFileSync(file, "utf8");
  const p = /<p>([\s\S]*?)<\/p>/i.exec(html);
  assert.ok(p, `${file} has no <p>`);
  const text = plain(p[1]);
  const sentence = (/^.*?[.!?](\s|$)/.exec(text)?.[0] ?? text).trim();
  const headings = [...html.matchAll(/<h3[^>]*>([\s\S]*?)<\/h3>/gi)].map((m) => plain(m[1]));
  return { sentence, headings };
}

const squash = (s: string) => s.replace(/\s+/g, " ").trim();

describe("editor smoke test in Chromium (Node-RED 4.1)", () => {
  let tmp: string | undefined;
  let nr: NodeRedInstance | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const errors: string[] = [];

  before(
    async () => {
      assert.ok(
        fs.existsSync(CHROMIUM),
        `${CHROMIUM} does not exist: install Debian's chromium (apt-get install -y chromium), as .ci/run does`,
      );
      let t0 = Date.now();
      tmp = makeTempDir("browser");
      const tarball = await packTarball(fs.mkdtempSync(path.join(tmp, "pack-")));
      const rt = nodeRed4();
      const userDir = await createUserDir(tmp, tarball, rt.nodeBin);
      nr = await startNodeRed(rt, userDir);
      console.log(`packed, installed and started Node-RED in ${since(t0)}`);

      t0 = Date.now();
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 2 * MINUTE });
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      page = await context.newPage();
      page.on("console", (msg) => {
        if (msg.type() === "error") {
          const loc = msg.location();
          errors.push(`console error: ${msg.text()}${loc.url ? ` (${loc.url}:${loc.lineNumber})` : ""}`);
        }
      });
      page.on("pageerror", (err) => errors.push(`page error: ${err.stack ?? err.message}`));
      page.on("response", (res) => {
        if (res.status() >= 400) errors.push(`HTTP ${res.status()} for ${res.request().method()} ${res.url()}`);
      });
      page.on("requestfailed", (req) => {
        errors.push(`request failed: ${req.method()} ${req.url()}: ${req.failure()?.errorText}`);
      });

      await page.goto(`${nr.url}/`, { waitUntil: "load" });
      // The editor is ready when RED exists, the flows are loaded (a workspace is active) and the palette
      // holds nodes.
      await page.waitForFunction(
        () => {
          const w = window as unknown as { RED?: any; $?: any };
          return (
            !!w.RED?.workspaces?.active?.() &&
            w.$ &&
            w.$("#red-ui-palette-container .red-ui-palette-node").length > 0 &&
            !w.$("#red-ui-loading-progress").is(":visible")
          );
        },
        null,
        { timeout: 2 * MINUTE, polling: 250 },
      );
      console.log(`editor loaded in ${since(t0)}`);
    },
  );

  after(async () => {
    try {
      await browser?.close();
    } finally {
      try {
        await nr?.stop();
        if (nr) saveLog("browser-smoke-node-red.log", nr.log());
      } finally {
        removeDir(tmp);
      }
    }
  });

  for (const type of types) {
    describe(type, () => {
      let info: TypeInfo;
      let nodeId: string;

      it("is registered in the editor by this module", async () => {
        const got = await page.evaluate((t) => {
          const RED = (window as unknown as { RED: any }).RED;
          const def = RED.nodes.getType(t);
          if (!def) return null;
          const label = typeof def.paletteLabel === "function" ? def.paletteLabel.call(def) : def.paletteLabel;
          return { category: def.category, paletteLabel: label || t, module: def.set?.module };
        }, type);
        assert.ok(got, `RED.nodes.getType("${type}") is undefined in the editor`);
        assert.equal(got.module, MODULE);
        info = got;
      });

      it("is in the palette under its category", async function () {
        // A config node (a server, say) is not in the palette: it is added and edited from the nodes that use it.
        if (info?.category === "config") return this.skip();
        // The palette's element ids use the category with odd characters escaped, up to its first "-".
        // eslint-disable-next-line no-control-regex -- Node-RED's own sanitising of a category name
        const category = info.category.replace(/[\x00-\x2c\x2e-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]/g, "_").split("-")[0];
        const container = page.locator(`#red-ui-palette-base-category-${category}`);
        await container.waitFor({ state: "attached" });
        const node = container.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
        assert.equal(await node.count(), 1, `${type} is not in palette category ${info.category}`);
        await node.scrollIntoViewIfNeeded();
        assert.ok(await node.isVisible(), `palette node ${type} is not visible`);
        assert.equal(squash(await node.locator(".red-ui-palette-label").innerText()), info.paletteLabel);
        // The category's header shows a label, not a raw i18n key.
        const header = squash(await page.locator(`#red-ui-palette-header-${category}`).innerText());
        assert.ok(header !== "" && !/palette\.label\./.test(header), `palette category header shows "${header}"`);
      });

      it("can be dragged from the palette onto the workspace", async function () {
        // A config node (a server, say) is not in the palette: it is added and edited from the nodes that use it.
        if (info?.category === "config") return this.skip();
        const paletteNode = page.locator(`#red-ui-palette-container .red-ui-palette-node[data-palette-type="${type}"]`);
        await paletteNode.scrollIntoViewIfNeeded();
        const from = (await paletteNode.boundingBox())!;
        const chart = (await page.locator("#red-ui-workspace-chart").boundingBox())!;
        const before = await page.evaluate((t) => (window as any).RED.nodes.filterNodes({ type: t }).length, type);
        await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
        await page.mouse.down();
        await page.mouse.move(chart.x + chart.width / 2, chart.y + chart.height / 3, { steps: 20 });
        await page.mouse.up();
        await page.waitForFunction(
          ([t, n]) => (window as any).RED.nodes.filterNodes({ type: t }).length > (n as number),
          [type, before] as const,
          { timeout: 10_000 },
        );
        nodeId = await page.evaluate((t) => {
          const nodes = (window as any).RED.nodes.filterNodes({ type: t });
          return nodes[nodes.length - 1].id as string;
        }, type);
        await page.locator(`g.red-ui-flow-node-group[id="${nodeId}"]`).waitFor({ state: "visible" });
      });

      it("opens its edit dialog, with every label translated, and closes it with Cancel", async function () {
        // A config node (a server, say) is not in the palette: it is added and edited from the nodes that use it.
        if (info?.category === "config") return this.skip();
        assert.ok(nodeId, "no node on the workspace");
        // Node-RED detects a double-click itself from two mousedowns less than 650 ms apart.
        await page.locator(`g.red-ui-flow-node-group[id="${nodeId}"] .red-ui-flow-node`).first().dblclick({ delay: 50 });
        const tray = page.locator(".red-ui-tray").last();
        await page.locator("#node-input-name").waitFor({ state: "visible", timeout: 15_000 });
        assert.ok(await page.locator("#dialog-form").isVisible(), "the edit form is not visible");

        // A raw i18n key (e.g. "meter-normalize.label.name") shows a missing translation.
        const raw = await tray.evaluate((el, t) => {
          const re = new RegExp(`(^|[^\\w/-])${t.replace(/[-]/g, "\\-")}\\.[\\w.]+`);
          const hits: string[] = [];
          const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
          for (let n = walk.nextNode(); n; n = walk.nextNode()) {
            if (re.test(n.textContent ?? "")) hits.push(`text "${(n.textContent ?? "").trim()}"`);
          }
          el.querySelectorAll("[placeholder],[title],[aria-label]").forEach((e) => {
            for (const a of ["placeholder", "title", "aria-label"]) {
              const v = e.getAttribute(a);
              if (v && re.test(v)) hits.push(`${a} "${v}" on #${e.id || e.tagName}`);
            }
          });
          return hits;
        }, type);
        assert.deepEqual(raw, [], "untranslated i18n keys in the edit dialog");

        // Labels of the form rows are not empty.
        const emptyLabels = await page.locator("#dialog-form label").evaluateAll((labels) =>
          labels
            .filter((l) => (l as HTMLElement).offsetParent !== null && !(l.textContent ?? "").trim())
            .map((l) => l.getAttribute("for") ?? "?"),
        );
        assert.deepEqual(emptyLabels, [], "visible form labels without text");

        if (type === "meter-normalize") {
          // Let the live validation answer before the screenshot.
          await page
            .waitForFunction(() => {
              const t = document.querySelector("#meter-normalize-validation")?.textContent ?? "";
              return t.trim() !== "" && !/checking/.test(t);
            }, null, { timeout: 10_000 })
            .catch(() => undefined);
        }
        fs.mkdirSync(RESULTS_DIR, { recursive: true });
        await page.screenshot({ path: path.join(RESULTS_DIR, `editor-${type}.png`) });

        await page.locator("#node-dialog-cancel").click();
        await page.locator("#node-input-name").waitFor({ state: "detached", timeout: 15_000 });
        assert.equal(await page.locator("#dialog-form").count(), 0, "the edit form is still there after Cancel");
      });

      it(
        "closes without a page error right after typing in a code editor of the dialog",
        async function () {
          if (info?.category === "config") return this.skip();
          assert.ok(nodeId, "no node on the workspace");
          const first = errors.length;
          await page.locator(`g.red-ui-flow-node-group[id="${nodeId}"] .red-ui-flow-node`).first().dblclick({ delay: 50 });
          await page.locator("#node-input-name").waitFor({ state: "visible", timeout: 15_000 });
          const editor = page.locator("#dialog-form .node-text-editor:visible").first();
          if ((await editor.count()) > 0) {
            await editor.click();
            await page.keyboard.type(" ");
          }
          await page.locator("#node-dialog-cancel").click();
          await page.locator("#node-input-name").waitFor({ state: "detached", timeout: 15_000 });
          await page.waitForTimeout(1_000);
          // Keep these out of the final no-error check: they are this test's to report.
          const mine = errors.splice(first);
          assert.deepEqual(mine, []);
        },
      );

      it("shows its help in the sidebar", async () => {
        await page.evaluate((t) => (window as any).RED.sidebar.help.show(t), type);
        const help = page.locator(".red-ui-sidebar-info .red-ui-help").filter({ hasText: info.paletteLabel }).first();
        await help.waitFor({ state: "visible", timeout: 10_000 });
        const text = squash(await help.innerText());
        const { sentence, headings } = helpExpectations(type);
        assert.ok(text.includes(sentence), `help sidebar lacks "${sentence}"; it shows:\n${text.slice(0, 500)}`);
        for (const h of headings) assert.ok(text.includes(h), `help sidebar lacks the heading "${h}"`);
      });
    });
  }

  it("store-forward's sizing tab computes the buffer size live", async () => {
    // The seeds' 7-day case: 500 meters x 4 readings/h x 100 B x 168 h x 2 = 67.2 MB.
    const id = await page.evaluate(() => {
      const RED = (window as any).RED;
      const def = RED.nodes.getType("store-forward");
      const n: Record<string, unknown> = { id: RED.nodes.id(), type: "store-forward", z: RED.workspaces.active(), x: 400, y: 400, _def: def, inputs: 1, outputs: 2, dirty: true, changed: true };
      for (const [k, d] of Object.entries<any>(def.defaults)) n[k] = JSON.parse(JSON.stringify(d.value));
      RED.nodes.add(n);
      RED.view.redraw(true);
      RED.editor.edit(n);
      return n.id as string;
    });
    await page.locator("#node-input-name").waitFor({ state: "visible", timeout: 15_000 });
    // Max bytes shows its unit, and durability says in words what a power cut can lose.
    assert.equal(squash(await page.locator("#store-forward-maxBytes-unit").innerText()), "bytes (67.1 MB)");
    const sync = await page.inputValue("#node-input-syncInterval");
    const durability = await page.locator("#node-input-durability option").allInnerTexts();
    assert.ok(durability.some((o) => o.includes(`last ${sync} ms`)), `batch names its power-cut window: ${durability.join(" | ")}`);
    assert.ok(!durability.some((o) => /fsync|group commit|done\(\)/.test(o)), `durability without jargon: ${durability.join(" | ")}`);
    await page.fill("#node-input-maxBytes", "120000");
    assert.equal(squash(await page.locator("#store-forward-maxBytes-unit").innerText()), "bytes (120.0 kB)");
    await page.fill("#node-input-maxBytes", "67108864");
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS_DIR, "editor-store-forward-storage.png") });
    await page.locator("#node-store-forward-tabs a", { hasText: "Sizing" }).click();
    assert.ok(/devices × readings per hour/.test(await page.locator("#store-forward-tab-sizing").innerText()), "the sizing tab explains the formula in words");
    for (const [k, v] of Object.entries({ devices: "500", perHour: "4", bytes: "100", hours: "168", margin: "2" })) {
      await page.fill(`#store-forward-sizing-${k}`, v);
    }
    assert.equal(squash(await page.locator("#store-forward-sizing-recommended").innerText()), "67.2 MB");
    // The default max bytes (64 MiB) at 200 kB/h
    assert.equal(squash(await page.locator("#store-forward-sizing-survives").innerText()), "335.5 h of outage");
    await page.locator("#store-forward-sizing-apply").click();
    assert.equal(await page.inputValue("#node-input-maxBytes"), "67200000");
    assert.equal(squash(await page.locator("#store-forward-sizing-survives").innerText()), "336.0 h of outage");
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS_DIR, "editor-store-forward-sizing.png") });
    await page.locator("#node-dialog-cancel").click();
    await page.locator("#node-input-name").waitFor({ state: "detached", timeout: 15_000 });
    await page.evaluate((nid) => {
      const RED = (window as any).RED;
      RED.nodes.remove(nid);
      RED.view.redraw(true);
    }, id);
  });

  it("renders every Comment node of the examples and the demo flows without losing a word", async () => {
    // Node-RED's markdown has a description-list extension that swallows text between a colon and a later
    // colon when a parenthesis sits between them ("Click **cut the link**: the node (...) ... Click ...:").
    const comments: { where: string; info: string }[] = [];
    for (const dir of ["examples", path.join("examples", "deployments"), "flows"]) {
      for (const f of fs.readdirSync(path.join(ROOT, dir)).filter((x) => x.endsWith(".json"))) {
        const flow = JSON.parse(fs.readFileSync(path.join(ROOT, dir, f), "utf8")) as { id: string; type: string; name?: string; info?: string }[];
        for (const n of flow) {
          if ((n.type === "comment" || n.type === "tab") && n.info) comments.push({ where: `${dir}/${f} ${n.type} ${n.id}`, info: n.info });
        }
      }
    }
    assert.ok(comments.filter((c) => / comment /.test(c.where)).length >= 4, "the examples and demo flows have Comment nodes with text");
    const rendered = await page.evaluate(
      (infos) =>
        infos.map((info) => {
          const div = document.createElement("div");
          div.innerHTML = (window as any).RED.utils.renderMarkdown(info);
          return div.textContent ?? "";
        }),
      comments.map((c) => c.info),
    );
    const words = (s: string) => s.match(/[A-Za-z0-9]+/g) ?? [];
    comments.forEach((c, i) => {
      // The source's words once the markdown marks (emphasis, code, list bullets) are gone.
      const source = words(c.info.replace(/^\s*(?:[-*+]|\d+\.)\s+/gm, " ").replace(/[*`#]/g, " "));
      assert.deepEqual(words(rendered[i]), source, `${c.where} renders as:\n${rendered[i]}`);
    });
  });

  it("meter-normalize's register map is an editable table kept in step with the JSON", async () => {
    const map = {
      mapId: "table-test",
      mapVersion: "1.0.0",
      addressBase: 1,
      defaults: { table: "holding", endian: "ABCD" },
      points: [
        { id: "voltage", address: 40001, type: "float32", unit: "V", invalid: [-1] },
        { id: "energy", address: 40003, type: "uint32", scale: 0.1, endian: "CDAB", unit: "kWh", description: "kept" },
        { id: "temp", address: 30001, type: "int16", scale: 0.1, unit: "Cel" },
      ],
    };
    const id = await page.evaluate((registerMap) => {
      const RED = (window as any).RED;
      const def = RED.nodes.getType("meter-normalize");
      const n: Record<string, unknown> = { id: RED.nodes.id(), type: "meter-normalize", z: RED.workspaces.active(), x: 400, y: 500, _def: def, inputs: 1, outputs: 1, dirty: true, changed: true };
      for (const [k, d] of Object.entries<any>(def.defaults)) n[k] = JSON.parse(JSON.stringify(d.value));
      n.registerMap = registerMap;
      RED.nodes.add(n);
      RED.view.redraw(true);
      RED.editor.edit(n);
      return n.id as string;
    }, JSON.stringify(map, null, 2));
    await page.locator("#node-input-name").waitFor({ state: "visible", timeout: 15_000 });
    const rows = page.locator("#meter-normalize-points .meter-normalize-points-row");
    await rows.first().waitFor({ state: "visible", timeout: 10_000 });
    assert.equal(await rows.count(), 3, "a row per point");
    assert.equal(await rows.nth(1).locator(".meter-normalize-pt-id").inputValue(), "energy");
    assert.equal(await rows.nth(1).locator(".meter-normalize-pt-endian").inputValue(), "CDAB");
    assert.equal(await rows.nth(2).locator(".meter-normalize-pt-scale").inputValue(), "0.1");
    const editorValue = () =>
      page.evaluate(() => {
        const ed = (window as any).monaco?.editor?.getModels?.() as { getValue(): string }[] | undefined;
        return (ed ?? []).map((m) => m.getValue()).find((v) => v.includes("table-test")) ?? "";
      });

    // A table edit rewrites the JSON's points, keeping the fields the table does not show.
    await rows.nth(1).locator(".meter-normalize-pt-scale").fill("0.01");
    await rows.nth(0).locator(".meter-normalize-pt-type").selectOption("int32");
    await page.waitForFunction(() => {
      const models = ((window as any).monaco?.editor?.getModels?.() ?? []) as { getValue(): string }[];
      return models.some((m) => /"scale": 0\.01/.test(m.getValue()) && /"type": "int32"/.test(m.getValue()));
    }, null, { timeout: 5_000 });
    const edited = JSON.parse(await editorValue());
    assert.deepEqual(edited.points[1], { ...map.points[1], scale: 0.01 });
    assert.deepEqual(edited.points[0], { ...map.points[0], type: "int32" });
    assert.deepEqual(edited.defaults, map.defaults);
    assert.equal(edited.mapId, "table-test");

    // The live validation still answers.
    await page.waitForFunction(() => /table-test/.test(document.querySelector("#meter-normalize-validation")?.textContent ?? ""), null, { timeout: 10_000 });
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS_DIR, "editor-meter-normalize-table.png") });

    // The JSON is one click away, and a JSON edit redraws the table.
    await page.locator("#meter-normalize-view-json").click();
    await page.locator("#node-input-registerMap-editor").waitFor({ state: "visible" });
    const height = (await page.locator("#node-input-registerMap-editor").boundingBox())!.height;
    assert.ok(height > 300, `the JSON editor grows with the map (${height}px for ${(await editorValue()).split("\n").length} lines)`);
    await page.evaluate(() => {
      const models = ((window as any).monaco?.editor?.getModels?.() ?? []) as { getValue(): string; setValue(v: string): void }[];
      const m = models.find((x) => x.getValue().includes("table-test"))!;
      const v = JSON.parse(m.getValue());
      v.points.push({ id: "frequency", address: 40011, type: "float32", unit: "Hz" });
      m.setValue(JSON.stringify(v, null, 2));
    });
    await page.locator("#meter-normalize-view-table").click();
    await page.waitForFunction(() => document.querySelectorAll("#meter-normalize-points .meter-normalize-points-row").length === 4, null, { timeout: 5_000 });
    assert.equal(await rows.nth(3).locator(".meter-normalize-pt-unit").inputValue(), "Hz");

    await page.locator("#node-dialog-cancel").click();
    await page.locator("#node-input-name").waitFor({ state: "detached", timeout: 15_000 });
    await page.evaluate((nid) => {
      const RED = (window as any).RED;
      RED.nodes.remove(nid);
      RED.view.redraw(true);
    }, id);
  });

  it("shows no console error, page error or failed request", () => {
    assert.deepEqual(errors, []);
  });
});
