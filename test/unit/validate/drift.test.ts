import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { DateTime } from "luxon";
import { checkDrift, DEFAULT_DRIFT, referenceTime } from "../../../nodes/validate/drift";

const REF = Date.parse("2026-02-08T14:15:00.000Z");

describe("validate: clock drift", () => {
  // Seed 002, "Common Mistake: Ignoring Timestamp Drift", Layer 1: < 60 s keep, 60 s-1 h use the gateway's time,
  // > 1 h reject and alert maintenance. The worked examples: 45 s accepted, 10 min corrected, 2 h rejected.
  it("the seed's worked examples: 45 s accepted, 10 min corrected, 2 h rejected", () => {
    assert.deepEqual(checkDrift(REF - 45_000, REF, DEFAULT_DRIFT), { kind: "accept", driftSeconds: -45 });
    assert.deepEqual(checkDrift(REF - 600_000, REF, DEFAULT_DRIFT), { kind: "correct", driftSeconds: -600, band: "between" });
    assert.deepEqual(checkDrift(REF - 7_200_000, REF, DEFAULT_DRIFT), { kind: "reject", driftSeconds: -7200, band: "beyond" });
  });

  it("the bounds: exactly 60 s is accepted, exactly 3600 s is still in between", () => {
    assert.equal(checkDrift(REF + 60_000, REF, DEFAULT_DRIFT).kind, "accept");
    assert.equal(checkDrift(REF + 60_001, REF, DEFAULT_DRIFT).kind, "correct");
    assert.equal(checkDrift(REF - 3_600_000, REF, DEFAULT_DRIFT).kind, "correct");
    assert.equal(checkDrift(REF - 3_600_001, REF, DEFAULT_DRIFT).kind, "reject");
  });

  it("future timestamps are drift too (a fast meter clock, seed 002: +3 h)", () => {
    const v = checkDrift(REF + 3 * 3_600_000, REF, DEFAULT_DRIFT);
    assert.equal(v.kind, "reject");
    assert.equal(v.driftSeconds, 10_800);
    assert.equal(checkDrift(REF + 300_000, REF, { ...DEFAULT_DRIFT, action: "flag" }).kind, "flag");
    assert.equal(checkDrift(REF + 300_000, REF, { ...DEFAULT_DRIFT, action: "reject" }).kind, "reject");
  });

  // IANA tz rules for Europe/Berlin (EU rule): summer time starts on the last Sunday of March at 01:00 UTC and ends
  // on the last Sunday of October at 01:00 UTC. Drift is a difference of instants: a local wall clock jumping an
  // hour must not make a reading an hour off.
  it("across the DST changes of Europe/Berlin, drift is measured in absolute time, not wall clock", () => {
    // Spring: 01:59:30 CET and 03:00:00 CEST are 30 s apart.
    const before = DateTime.fromISO("2026-03-29T01:59:30", { zone: "Europe/Berlin" }).toMillis();
    const after = DateTime.fromISO("2026-03-29T03:00:00", { zone: "Europe/Berlin" }).toMillis();
    assert.equal(new Date(before).toISOString(), "2026-03-29T00:59:30.000Z");
    assert.deepEqual(checkDrift(before, after, DEFAULT_DRIFT), { kind: "accept", driftSeconds: -30 });
    // Autumn: 02:30 happens twice, first in CEST (00:30 UTC), then in CET (01:30 UTC): the same wall time, an hour apart.
    const first = Date.parse("2026-10-25T00:30:00.000Z");
    const second = Date.parse("2026-10-25T01:30:00.000Z");
    const wall = (ms: number) => DateTime.fromMillis(ms, { zone: "Europe/Berlin" }).toFormat("HH:mm ZZZZ");
    assert.equal(wall(first), "02:30 GMT+2");
    assert.equal(wall(second), "02:30 GMT+1");
    assert.equal(checkDrift(second - 20_000, second, DEFAULT_DRIFT).kind, "accept");
    assert.equal(checkDrift(first, second, DEFAULT_DRIFT).kind, "correct");
  });

  it("msg.receivedAt: epoch ms, epoch seconds, ISO text; anything else is the node's clock", () => {
    const now = 1_800_000_000_000;
    assert.equal(referenceTime(REF, now), REF);
    // 1770560100 s (seed 000's payload carries "timestamp": 1738900000 in seconds; the same form here)
    assert.equal(referenceTime(1_770_560_100, now), 1_770_560_100_000);
    assert.equal(new Date(referenceTime(1_770_560_100, now)).toISOString(), "2026-02-08T14:15:00.000Z");
    assert.equal(referenceTime("2026-02-08T15:15:00+01:00", now), REF);
    for (const bad of [undefined, null, "yesterday", -5, NaN, Infinity, {}, "2026-02-08T14:15:00"]) assert.equal(referenceTime(bad, now), now, String(bad));
  });
});
