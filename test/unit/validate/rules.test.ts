import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { globToRegExp, parseRules, rulesFor } from "../../../nodes/validate/rules";
import { ConfigError } from "../../../nodes/shared/errors";

describe("validate: rules", () => {
  it("parses a rule list with globs, defaults the warm-up to 96", () => {
    const rules = parseRules('[{"measurement":"energy*","monotonic":true,"rollover":99999.9},{"measurement":"voltageL?","unit":"V","min":0,"max":300}]');
    assert.equal(rules.length, 2);
    assert.equal(rules[0].sigmaWarmup, 96);
    assert.deepEqual(rulesFor(rules, "energyImport", "kWh").map((r) => r.index), [0]);
    assert.deepEqual(rulesFor(rules, "voltageL1", "V").map((r) => r.index), [1]);
    assert.deepEqual(rulesFor(rules, "voltageL1", "mV"), []);
    assert.deepEqual(rulesFor(rules, "voltageL12", "V"), []);
    assert.ok(globToRegExp("a.b*").test("a.bc"));
    assert.ok(!globToRegExp("a.b*").test("axbc"));
  });

  it("an empty text is no rules; an array is taken as it is", () => {
    assert.deepEqual(parseRules(""), []);
    assert.equal(parseRules([{ flatline: 4 }]).length, 1);
  });

  const refused: [string, RegExp][] = [
    ["{", /rules: not JSON/],
    ['{"min":1}', /must be a JSON array of rules/],
    ['[{"min":"1"}]', /\/rules\/0\/min must be number/],
    ['[{"measurement":"x","max":1,"colour":"red"}]', /\/rules\/0 has unknown field "colour"/],
    ['[{"min":5,"max":1}]', /rule 1 \(\*\): min 5 is above max 1/],
    ['[{"rollover":65535}]', /rollover needs "monotonic": true/],
    ['[{"measurement":"x"}]', /rule 1 \(x\): sets no check/],
    ['[{"flatline":1}]', /\/rules\/0\/flatline must be >= 2/],
    ['[{"sigma":3,"sigmaBy":"day"}]', /\/rules\/0\/sigmaBy "day" must be one of "all", "hour"/],
    ['[{"max":1,"action":"drop"}]', /must be one of "flag", "reject"/],
  ];
  for (const [text, want] of refused) {
    it(`refuses ${text} naming what is wrong`, () => {
      assert.throws(() => parseRules(text), (err: unknown) => err instanceof ConfigError && err.field === "rules" && want.test(err.message));
    });
  }
});
