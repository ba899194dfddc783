// The status a newcomer reads: the kind (colour) and the locale key with its parameters, rendered here with
// the node's own locale file the way Node-RED's i18n does (__name__ placeholders).
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { shortAge, statusKind, statusOf, type StatusState } from "../../../nodes/store-forward/status-policy";

const locale = JSON.parse(fs.readFileSync(path.join(__dirname, "../../../nodes/store-forward/locales/en-US/store-forward.json"), "utf8"));
function render(key: string, params: Record<string, string | number>): string {
  const text = key.split(".").reduce((o: Record<string, unknown>, k) => o[k] as Record<string, unknown>, locale) as unknown;
  assert.equal(typeof text, "string", `${key} is in the locale`);
  return (text as string).replace(/__(\w+)__/g, (_, k: string) => String(params[k]));
}
const base: StatusState = { depth: 0, percentFull: 0, oldestAgeMs: undefined, online: true, paused: false, now: 1_000_000, warnAbove: 10 };
const show = (s: Partial<StatusState>) => {
  const v = statusOf({ ...base, ...s });
  return `${v.kind}: ${render(v.key, v.params)}`;
};

describe("store-forward status policy", () => {
  it("a backlog reads as queued · percent · oldest age; yellow above what is normally out", () => {
    assert.equal(show({ depth: 68, percentFull: 1.2, oldestAgeMs: 65_000 }), "warn: 68 queued · 1% · oldest 1m");
    assert.equal(show({ depth: 3, percentFull: 0.01, oldestAgeMs: 2_000 }), "ok: 3 queued · <1% · oldest 2s");
    assert.equal(show({ depth: 0 }), "ok: empty");
  });

  it("offline and paused say so, with the depth", () => {
    assert.equal(show({ online: false, depth: 12 }), "warn: offline · 12 queued");
    assert.equal(show({ paused: true, depth: 0 }), "warn: paused · 0 queued");
  });

  it("a store error shows for 10 s; records lost on start show until their time is up", () => {
    assert.equal(show({ depth: 5, diskErrorAt: base.now - 9_999 }), "error: store error");
    assert.equal(show({ depth: 5, diskErrorAt: base.now - 10_000, warnAbove: 100 }), "ok: 5 queued · <1% · oldest 0s");
    assert.equal(show({ lost: 3, lostUntil: base.now + 1 }), "warn: 3 lost on start");
    assert.equal(show({ lost: 3, lostUntil: base.now }), "ok: empty");
  });

  it("a backlog of a million records a year old renders in full; ages use one unit", () => {
    const long = render(statusOf({ ...base, depth: 1_000_000, percentFull: 100, oldestAgeMs: 400 * 86400e3 }).key, statusOf({ ...base, depth: 1_000_000, percentFull: 100, oldestAgeMs: 400 * 86400e3 }).params);
    assert.equal(long, "1000000 queued · 100% · oldest 400d");
    assert.deepEqual([59_000, 60_000, 3_600_000, 86_400_000].map(shortAge), ["59s", "1m", "1h", "1d"]);
  });

  it("statusKind, asked on every message, is the kind statusOf gives, in every state", () => {
    let n = 0;
    for (const depth of [0, 1, 10, 11, 1e6])
      for (const online of [true, false])
        for (const paused of [true, false])
          for (const diskErrorAt of [undefined, base.now - 9_999, base.now - 10_000])
            for (const [lost, lostUntil] of [[undefined, undefined], [0, base.now + 1], [3, base.now + 1], [3, base.now]])
              for (const oldestAgeMs of [undefined, 0, 65_000]) {
                const s: StatusState = { ...base, depth, online, paused, diskErrorAt, lost, lostUntil, oldestAgeMs, percentFull: depth / 1e4 };
                assert.equal(statusKind(s), statusOf(s).kind, JSON.stringify(s));
                n++;
              }
    assert.equal(n, 5 * 2 * 2 * 3 * 4 * 3);
  });
});
