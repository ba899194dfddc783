#!/usr/bin/env node
// Build: compile TypeScript to CommonJS in dist/, then put beside each node's .js file what Node-RED reads:
// - its editor .html, headed by the shared editor support (nodes/shared/editor/m2m-editor.js) with the one field
//   check (nodes/shared/fields.ts) and the node's field specs and config version, so the editor's `defaults` and
//   `validate` come from the same spec the runtime parses (nodes/<type>/fields.ts, migrations.ts);
// - its locales/, each catalog merged with the shared one (nodes/shared/locales/<lang>/m2m.json, under "m2m");
// - its icons from icons/ (`<type>.svg`; Node-RED looks for icons in an `icons` folder next to the node file).
"use strict";
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

const root = path.resolve(__dirname, "..");
const dist = path.join(root, "dist");
fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "tsconfig.json")], {
  stdio: "inherit",
});

const { checkField } = require(path.join(dist, "nodes/shared/fields.js"));
const { latestVersion } = require(path.join(dist, "nodes/shared/migrations.js"));
const support = fs
  .readFileSync(path.join(root, "nodes/shared/editor/m2m-editor.js"), "utf8")
  .replace("M2M.checkField = __M2M_CHECK_FIELD__;", `M2M.checkField = ${checkField.toString()};`);
const sharedLocales = path.join(root, "nodes/shared/locales");

const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
// "node-red".nodes: the key is the registered node type, the value the built file; the node's folder and file names
// come from that path (validate registers as "m2m-validate" from nodes/validate/validate.ts).
for (const [type, file] of Object.entries(pkg["node-red"].nodes)) {
  const base = path.basename(file, ".js");
  const srcDir = path.join(root, path.dirname(file).replace(/^(\.\/)?dist\//, ""));
  const outDir = path.join(root, path.dirname(file));
  fs.mkdirSync(outDir, { recursive: true });

  const fieldsJs = path.join(outDir, "fields.js");
  const migrationsJs = path.join(outDir, "migrations.js");
  const fields = fs.existsSync(fieldsJs) ? require(fieldsJs).FIELDS : {};
  const version = fs.existsSync(migrationsJs) ? latestVersion(require(migrationsJs).MIGRATIONS) : 0;
  const head =
    `<script type="text/javascript">\n${support}\n` +
    `window.M2M.fields[${JSON.stringify(type)}] = ${JSON.stringify(fields)};\n` +
    `window.M2M.versions[${JSON.stringify(type)}] = ${version};\n</script>\n`;
  fs.writeFileSync(path.join(outDir, `${base}.html`), head + fs.readFileSync(path.join(srcDir, `${base}.html`), "utf8"));

  fs.cpSync(path.join(srcDir, "locales"), path.join(outDir, "locales"), { recursive: true });
  for (const lang of fs.readdirSync(path.join(outDir, "locales"))) {
    const catalog = path.join(outDir, "locales", lang, `${base}.json`);
    const shared = path.join(sharedLocales, lang, "m2m.json");
    if (!fs.existsSync(catalog) || !fs.existsSync(shared)) continue;
    const merged = { ...JSON.parse(fs.readFileSync(catalog, "utf8")), m2m: JSON.parse(fs.readFileSync(shared, "utf8")) };
    fs.writeFileSync(catalog, JSON.stringify(merged, null, 2));
  }

  fs.mkdirSync(path.join(outDir, "icons"), { recursive: true });
  for (const icon of fs.readdirSync(path.join(root, "icons")).filter((f) => f === `${type}.svg` || f.startsWith(`${type}-`))) {
    fs.copyFileSync(path.join(root, "icons", icon), path.join(outDir, "icons", icon));
  }
}
