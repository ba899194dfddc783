/**
 * aggregate-window's config: the aggregates map, the cross-field checks, the editor's preview (America/New_York
 * 2026-03-08 is 23 hours: tzdata Rule US 2007 max - Mar Sun>=8 2:00 1:00 D), and the first migration.
 */
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { parseAggregates, parseAggregateWindowConfig, previewOf } from "../../../nodes/aggregate-window/config";
import { MIGRATIONS } from "../../../nodes/aggregate-window/migrations";
import { migrate } from "../../../nodes/shared/migrations";

describe("aggregate-window: config", () => {
  it("the preview the editor shows: the next window, its length and the readings it expects", () => {
    const cfg = parseAggregateWindowConfig({ zone: "America/New_York", window: "1d" });
    assert.equal(previewOf(cfg, Date.parse("2026-03-07T12:00:00Z")).preview, "next window: 2026-03-08 00:00 → 2026-03-09 00:00 America/New_York (23 h, 92 readings expected)");
    const lh = parseAggregateWindowConfig({ zone: "Australia/Lord_Howe", window: "1h" });
    assert.equal(previewOf(lh, Date.parse("2026-10-03T15:10:00Z")).preview, "next window: 2026-10-04 02:30 → 2026-10-04 03:00 Australia/Lord_Howe (30 min, 2 readings expected)");
  });

  it("the aggregates map: the first matching glob decides; errors name the glob and the functions", () => {
    const rules = parseAggregates('{"energy*":"delta","power?":"mean","*":"max"}');
    const fnOf = (n: string) => rules.find((r) => r.re.test(n))?.fn;
    assert.deepEqual(["energyImport", "power1", "power12", "temp"].map(fnOf), ["delta", "mean", "max", "max"]);
    assert.throws(() => parseAggregates('{"e*":"median"}'), /Aggregates: "e\*": "median" is not a function; use one of sum, mean, min, max, count, first, last, delta, twa/);
    assert.throws(() => parseAggregates("[1]"), /must be an object from a measurement glob to a function/);
    assert.throws(() => parseAggregates("{"), /Aggregates: not JSON/);
    assert.throws(() => parseAggregates("{}"), /name at least one measurement glob/);
  });

  it("the zone is required; an interval longer than the window is refused", () => {
    assert.throws(() => parseAggregateWindowConfig({}), /Time zone: "" is not an IANA time zone/);
    assert.throws(() => parseAggregateWindowConfig({ zone: "UTC", window: "5m", intervalSeconds: 900 }), /Reporting interval: 900 s is longer than a 5m window/);
  });

  it("migration 1 keeps an aggregates object (an imported flow) as its JSON text", () => {
    const m = migrate({ zone: "UTC", aggregates: { "*": "sum" } }, MIGRATIONS);
    assert.equal(m.def.aggregates, '{"*":"sum"}');
    assert.equal(parseAggregateWindowConfig(m.def).aggregates[0].fn, "sum");
  });
});
