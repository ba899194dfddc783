// Lint: typescript-eslint's recommended rules for the TypeScript, plus the package's layering:
// nodes/shared/ imports no node, and no node imports another node (nodes meet through messages).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";
import fs from "node:fs";

const NODES = Object.keys(JSON.parse(fs.readFileSync(new URL("./package.json", import.meta.url), "utf8"))["node-red"].nodes);

/** Import patterns that reach into a node folder other than `self` (or any node, for shared). */
function otherNodes(self) {
  return NODES.filter((n) => n !== self).flatMap((n) => [`../${n}`, `../${n}/*`, `../../${n}`, `../../${n}/*`, `**/nodes/${n}/**`, `**/nodes/${n}`]);
}

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".cache/**", ".node-red/**", "test-results/**", "bench/results/**", "**/*.html"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-require-imports": ["error", { allowAsImport: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  { files: ["**/*.js", "**/*.cjs"], rules: { "@typescript-eslint/no-require-imports": "off" }, languageOptions: { sourceType: "commonjs" } },
  { files: ["nodes/shared/editor/*.js"], languageOptions: { sourceType: "script", globals: { ...globals.browser, RED: "readonly", $: "readonly" } } },
  { files: ["test/**/*.ts"], languageOptions: { globals: { ...globals.mocha } }, rules: { "@typescript-eslint/no-explicit-any": "off" } },
  {
    files: ["nodes/shared/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: NODES.flatMap((n) => [`../${n}`, `../${n}/*`, `../../${n}/*`]), message: "nodes/shared/ imports no node: move what two nodes share into shared/." }] }],
    },
  },
  ...NODES.map((n) => ({
    files: [`nodes/${n}/**/*.ts`],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: otherNodes(n), message: `a node does not import another node: nodes meet through messages; shared logic goes to nodes/shared/.` }] }],
    },
  })),
);
