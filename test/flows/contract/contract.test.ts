/**
 * The contract every node type in package.json keeps (issue 6 §7), run over `node-red.nodes` with no per-node
 * code: a new node is covered by adding its line to package.json and its fixture
 * test/fixtures/configs/contract/<type>.json (the test fails, saying so, until the fixture exists).
 *
 * The checks live in test/helpers/contract.ts and return verdicts; the last block runs them over deliberately
 * broken nodes (test/fixtures/nodes/) to show that each check can fail.
 */
import { after, before, describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { checkBadConfig, checkCompleteOnce, checkRedeploys, contractFixture, loadSpec, namesField, nodeTypes, type ContractSpec, type Verdict } from "../../helpers/contract";
import { init } from "../../helpers/node-red";

/** A deliberately broken node from test/fixtures/nodes/ (plain JavaScript, as a palette node may be). */
type BrokenNode = ContractSpec["module"] & { releaseLeaked?: () => void };
const broken = (name: string) => require(`../../fixtures/nodes/${name}`) as BrokenNode; // eslint-disable-line @typescript-eslint/no-require-imports
const leakyTimer = broken("leaky-timer");
const doubleDone = broken("double-done");
const silentConfig = broken("silent-config");
const hungClose = broken("hung-close");
const vagueConfig = broken("vague-config");

const report = (type: string, v: Verdict) => `${type} breaks the contract:\n  ${v.problems.join("\n  ")}\nmeasured: ${JSON.stringify(v.facts)}`;

describe("contract: every node type in package.json", () => {
  before(() => init());

  const types = nodeTypes();
  it("package.json registers node types, each with a TypeScript wrapper", () => {
    assert.ok(types.length >= 2, `node-red.nodes lists ${types.length} types`);
    for (const t of types) assert.ok(fs.existsSync(`${t.source}.ts`), `${t.type}: ${t.source}.ts does not exist`);
  });

  for (const { type } of types) {
    describe(type, () => {
      it("has a contract fixture (test/fixtures/configs/contract/<type>.json)", () => {
        loadSpec(type);
      });

      it("a bad config gives a red status, and every input errors to Catch naming the field", async () => {
        const v = await checkBadConfig(loadSpec(type));
        assert.ok(v.ok, report(type, v));
      });

      it("Complete fires exactly once per input, Catch once per refused input, never both", async () => {
        const v = await checkCompleteOnce(loadSpec(type));
        assert.ok(v.ok, report(type, v));
      });

      it("100 full redeploys each close, and leak no timers, sockets or file descriptors", async () => {
        const v = await checkRedeploys(loadSpec(type));
        assert.ok(v.ok, report(type, v));
      });
    });
  }
});

describe("contract: the checks fail for broken nodes", () => {
  before(() => init());
  after(() => leakyTimer.releaseLeaked?.());

  const fixture = (type: string, module: BrokenNode, extra: Partial<ContractSpec>): ContractSpec => ({
    type,
    module,
    good: {},
    bad: {},
    input: { payload: 1 },
    badInput: { topic: "no payload" },
    ...extra,
  });

  it("a node whose close leaks a timer fails the leak check", async () => {
    const spec = fixture("leaky-timer", leakyTimer, { good: { interval: "1000" }, bad: { interval: "abc" } });
    // The rest of its contract holds, so the leak check alone is what fails.
    assert.ok((await checkBadConfig(spec)).ok);
    assert.ok((await checkCompleteOnce(spec)).ok);
    const v = await checkRedeploys(spec);
    assert.equal(v.ok, false, "the leak check passed a node that leaks a timer per deploy");
    assert.ok(v.problems.some((p) => /^leak: Timeout \d+ after 10 redeploys, \d+ after 100/.test(p)), v.problems.join("\n"));
    assert.ok(v.problems.every((p) => p.startsWith("leak: Timeout")), `only the timer leak is reported: ${v.problems.join("\n")}`);
  });

  it("a node whose close never finishes fails the redeploy check", async () => {
    // The runtime's close timeout (15 s) made short so the proof is quick; the check reads the runtime's verdict.
    init({ nodeCloseTimeout: 200 });
    try {
      const spec = fixture("hung-close", hungClose, { good: { mode: "echo" }, bad: { mode: "shout" } });
      const v = await checkRedeploys(spec, { redeploys: 12, warmup: 10 });
      assert.equal(v.ok, false);
      assert.match(v.problems.join("\n"), /12 closes failed or took longer than the runtime's close timeout \(15 s\): ".*Close timed out"/);
    } finally {
      init();
    }
  });

  it("a node that calls done() twice fails the Complete-once check", async () => {
    const spec = fixture("double-done", doubleDone, { good: { mode: "echo" }, bad: { mode: "shout" } });
    assert.ok((await checkBadConfig(spec)).ok);
    const v = await checkCompleteOnce(spec);
    assert.equal(v.ok, false);
    assert.match(v.problems.join("\n"), /Complete fired more than once for good-0×2/);
  });

  it("a node that ignores a bad config fails the bad-config check", async () => {
    const spec = fixture("silent-config", silentConfig, { good: { limit: "5" }, bad: { limit: "abc" } });
    const v = await checkBadConfig(spec);
    assert.equal(v.ok, false);
    const text = v.problems.join("\n");
    assert.match(text, /no red status/);
    assert.match(text, /0 of 5 inputs reached the Catch node/);
    assert.match(text, /Complete fired 5 times/);
  });

  it("a node whose config error does not name the field fails the bad-config check", async () => {
    const spec = fixture("vague-config", vagueConfig, { good: { limit: "5" }, bad: { limit: "abc" } });
    const v = await checkBadConfig(spec);
    assert.equal(v.ok, false);
    assert.deepEqual(v.problems, ['bad config {"limit":"abc"}: the error does not name the field limit: "Error: invalid configuration"']);
    assert.ok(namesField('time zone "Mars/Base" is not a valid IANA zone', "timeZone"));
    assert.ok(namesField('maxBytes "abc" must be a number', "maxBytes"));
  });

  it("a node type without a contract fixture fails, telling the author what to add", () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-contract-none-"));
    try {
      assert.throws(() => contractFixture("brand-new-node", empty), /node type "brand-new-node" has no contract fixture: add .*brand-new-node\.json with \{ "good"/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
