import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { checkConfig, statusKey, translate, type NodeDefinition } from "../../../nodes/shared/node-runtime";
import { ConfigError } from "../../../nodes/shared/errors";
import { parseFields } from "../../../nodes/shared/fields";

const def: NodeDefinition<{ n: number }> = {
  type: "demo",
  fields: {
    n: { kind: "number", label: "Count", default: 1, min: 1, max: 10, integer: true },
    rules: { kind: "structured", label: "Rules", default: "" },
  },
  migrations: [{ version: 1, describe: "count renamed n", up: ({ count, ...d }) => ({ ...d, ...(count === undefined ? {} : { n: count }) }) }],
  parse(d) {
    const f = parseFields<{ n: number; rules: string }>(this.fields, d);
    if (f.rules) JSON.parse(f.rules);
    return { n: f.n };
  },
  summary: (c) => ({ n: c.n }),
  checkers: {
    rules(text) {
      const r = JSON.parse(text) as unknown[];
      if (!Array.isArray(r)) throw new ConfigError("must be a list of rules", "/");
      return { rules: r.length };
    },
  },
  create: () => ({ input: () => undefined }),
};
const env = { userDir: "/tmp" };

describe("shared/node-runtime", () => {
  it("the validate endpoint's answer: a whole config is migrated, then parsed with the runtime's words", () => {
    assert.deepEqual(checkConfig(def, { n: "3", version: 1 }, env), { ok: true, version: 1, n: 3 });
    assert.deepEqual(checkConfig(def, { count: 4 }, env), { ok: true, version: 1, migrated: { n: 4, version: 1 }, n: 4 });
    const bad = checkConfig(def, { n: "11", version: 1 }, env);
    assert.equal(bad.ok, false);
    assert.equal(bad.field, "n");
    assert.equal(bad.error, 'Count: "11" must be from 1 to 10');
  });

  it("one structured field as the user types it goes through the node's own checker", () => {
    assert.deepEqual(checkConfig(def, { field: "rules", value: "[1,2]" }, env), { ok: true, rules: 2 });
    const bad = checkConfig(def, { field: "rules", value: "{}" }, env);
    assert.deepEqual(bad, { ok: false, error: "Rules: must be a list of rules", field: "rules", at: "/" });
    assert.equal(checkConfig(def, { field: "nope", value: "" }, env).ok, false);
    assert.deepEqual(checkConfig(def, { field: "n", value: "0" }, env), { ok: false, error: 'Count: "0" must be from 1 to 10', field: "n" });
  });

  it("InputError shorts become status keys; shared keys fall back to English where no catalog is loaded", () => {
    assert.equal(statusKey("bad timestamp"), "badTimestamp");
    assert.equal(statusKey("badTimestamp"), "badTimestamp");
    const bare = { _: (k: string) => k } as never;
    assert.equal(translate(bare, "m2m.errors.config", { type: "demo", error: "x" }), "demo: the configuration is invalid: x");
    assert.equal(translate(bare, "demo.status.ok"), "demo.status.ok", "a node's own key with no catalog given stays a key");
    const catalog = { demo: { status: { ok: "__count__ ok" } } };
    assert.equal(translate(bare, "demo.status.ok", { count: 3 }, catalog), "3 ok", "the node's English catalog is the fallback");
    const loaded = { _: (k: string) => (k === "demo.status.ok" ? "3 gut" : k) } as never;
    assert.equal(translate(loaded, "demo.status.ok", { count: 3 }, catalog), "3 gut", "a loaded catalog wins");
  });
});
