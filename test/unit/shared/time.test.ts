import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { isoUtc, parseTimestamp, receivedAtMs, type TimeOptions } from "../../../nodes/shared/time";
import { InputError } from "../../../nodes/shared/errors";

const berlin: TimeOptions = { zone: "Europe/Berlin", ambiguous: "earlier", skipped: "shift" };
const iso = (v: unknown, o: TimeOptions = berlin) => isoUtc(parseTimestamp(v, o));

it("epoch milliseconds and seconds, numbers and numeric strings", () => {
  assert.equal(iso(1770560100000), "2026-02-08T14:15:00.000Z");
  assert.equal(iso(1770560100), "2026-02-08T14:15:00.000Z");
  assert.equal(iso("1770560100000"), "2026-02-08T14:15:00.000Z");
  assert.equal(iso(1770560100.25), "2026-02-08T14:15:00.250Z");
  assert.equal(iso(new Date("2026-02-08T14:15:00Z")), "2026-02-08T14:15:00.000Z");
});

it("ISO 8601 with Z or an offset is converted to UTC", () => {
  assert.equal(iso("2026-02-08T14:15:00Z"), "2026-02-08T14:15:00.000Z");
  assert.equal(iso("2026-02-08T15:15:00+01:00"), "2026-02-08T14:15:00.000Z");
  assert.equal(iso("2026-02-08T09:15:00.5-0500"), "2026-02-08T14:15:00.500Z");
});

it("local times are read in the configured IANA zone", () => {
  assert.equal(iso("2026-02-08T15:15:00"), "2026-02-08T14:15:00.000Z"); // CET, +01:00
  assert.equal(iso("2026-07-08 16:15:00"), "2026-07-08T14:15:00.000Z"); // CEST, +02:00
  assert.equal(iso("2026-02-08T14:15:00", { ...berlin, zone: "UTC" }), "2026-02-08T14:15:00.000Z");
  assert.equal(iso("2026-02-08"), "2026-02-07T23:00:00.000Z", "a date alone is local midnight");
});

it("the repeated hour when clocks go back follows the ambiguous policy", () => {
  // Europe/Berlin 2026-10-25: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice.
  assert.equal(iso("2026-10-25T02:30:00"), "2026-10-25T00:30:00.000Z");
  assert.equal(iso("2026-10-25T02:30:00", { ...berlin, ambiguous: "later" }), "2026-10-25T01:30:00.000Z");
  assert.throws(() => iso("2026-10-25T02:30:00", { ...berlin, ambiguous: "reject" }), (e: unknown) => e instanceof InputError && /ambiguous/.test(e.message));
});

it("the skipped hour when clocks go forward follows the skipped policy", () => {
  // Europe/Berlin 2026-03-29: 02:00 CET becomes 03:00 CEST, so 02:30 does not exist.
  assert.equal(iso("2026-03-29T02:30:00"), "2026-03-29T01:30:00.000Z", "shifted forward: 03:30 CEST");
  assert.throws(() => iso("2026-03-29T02:30:00", { ...berlin, skipped: "reject" }), (e: unknown) => e instanceof InputError && /does not exist/.test(e.message));
  // US zones too: America/New_York 2026-03-08 02:30 does not exist
  assert.equal(iso("2026-03-08T02:30:00", { ...berlin, zone: "America/New_York" }), "2026-03-08T07:30:00.000Z");
});

it("bad timestamps are InputErrors that name what was wrong", () => {
  for (const bad of ["yesterday", -5, {}, "", NaN, 1e20]) {
    assert.throws(() => parseTimestamp(bad, berlin, "msg.timestamp"), (e: unknown) => e instanceof InputError && /msg\.timestamp/.test(e.message), String(bad));
  }
});

it("isoUtc formats like Date#toISOString across days, hours and milliseconds", () => {
  const start = Date.parse("2025-12-31T22:59:58.997Z");
  for (let k = 0; k < 200_000; k += 7) {
    const ms = start + k * 37;
    assert.equal(isoUtc(ms), new Date(ms).toISOString());
  }
  for (const ms of [0, 86_399_999, 951_782_400_000, 253_402_300_799_999]) assert.equal(isoUtc(ms), new Date(ms).toISOString());
  assert.equal(isoUtc(1770560100000), "2026-02-08T14:15:00.000Z");
  assert.equal(isoUtc(1770560100000), "2026-02-08T14:15:00.000Z", "cached");
});

it("a time a canonical timestamp cannot carry (beyond year 9999) is an InputError naming it, in every form", () => {
  const utc: TimeOptions = { zone: "UTC", ambiguous: "earlier", skipped: "shift" };
  const beyond = (v: unknown, re: RegExp, o = utc) =>
    assert.throws(() => parseTimestamp(v, o, "msg.timestamp"), (e: unknown) => e instanceof InputError && re.test(e.message) && /year 9999/.test(e.message));
  beyond(253402300800000, /msg\.timestamp 253402300800000 is beyond year 9999/);
  beyond(new Date(253402300800000), /msg\.timestamp Date 253402300800000 ms/);
  beyond("+010000-01-01T00:00:00Z", /msg\.timestamp "\+010000-01-01T00:00:00Z"/);
  // still 9999 on a New York wall clock, already 10000 in UTC
  beyond("9999-12-31T23:30:00", /"9999-12-31T23:30:00" in America\/New_York/, { ...utc, zone: "America/New_York" });
  assert.equal(iso("9999-12-31T23:59:59.999Z"), "9999-12-31T23:59:59.999Z");
});

describe("receivedAtMs: msg.receivedAt as validate and aggregate-window both read it", () => {
  it("epoch ms as is, epoch seconds (below 1e11) times 1000, ISO 8601 with an offset; anything else is not a time", () => {
    assert.equal(receivedAtMs(1_770_560_100_000), 1_770_560_100_000);
    assert.equal(receivedAtMs(1_770_560_100), 1_770_560_100_000);
    assert.equal(receivedAtMs("2026-02-08T14:15:00Z"), Date.parse("2026-02-08T14:15:00Z"));
    assert.equal(receivedAtMs("2026-02-08T15:15:00+01:00"), Date.parse("2026-02-08T14:15:00Z"));
    for (const v of [0, -5, NaN, Infinity, "2026-02-08T14:15:00", "x2026-02-08T14:15:00Z", "soon", null, undefined, {}, true]) {
      assert.equal(receivedAtMs(v), undefined, String(v));
    }
  });
});
