/**
 * Window arithmetic: every size in five zones across both daylight-saving changes of 2026.
 *
 * The vectors come from the IANA tz database (tzdata 2025b, the rules luxon reads through Intl):
 * - America/New_York, `northamerica`: Rule US 2007 max - Mar Sun>=8 2:00 1:00 D; Rule US 2007 max - Nov Sun>=1 2:00 0 S
 *   → 2026-03-08 02:00 EST becomes 03:00 EDT (07:00Z); 2026-11-01 02:00 EDT becomes 01:00 EST (06:00Z).
 * - Europe/Berlin, `europe`: Rule EU 1981 max - Mar lastSun 1:00u 1:00 S; Rule EU 1996 max - Oct lastSun 1:00u 0 -
 *   → 2026-03-29 01:00Z (02:00 CET → 03:00 CEST); 2026-10-25 01:00Z (03:00 CEST → 02:00 CET).
 * - Asia/Kolkata, `asia`: Zone Asia/Kolkata ... 5:30 - IST (since 1945, no rule): hours start at :30 UTC.
 * - Australia/Lord_Howe, `australasia`: Rule LH 2008 max - Apr Sun>=1 2:00 0 -; Rule LH 2008 max - Oct Sun>=1 2:00 0:30 -
 *   (Zone ... 10:30 LH) → 2026-04-05 02:00 +11 becomes 01:30 +10:30 (15:00Z on the 4th); 2026-10-04 02:00 +10:30
 *   becomes 02:30 +11 (15:30Z on the 3rd): half-hour changes, 24.5- and 23.5-hour days.
 * - UTC: no offset change.
 */
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { createCalendar, expectedCount, WINDOW_SIZES, type Window, type WindowSize } from "../../../nodes/aggregate-window/windows";

const Z = (s: string) => Date.parse(s);
const iso = (ms: number) => new Date(ms).toISOString().replace(".000", "");
const hours = (w: Window) => (w.end - w.start) / 3_600_000;
function win(zone: string, size: WindowSize, at: string) {
  const c = createCalendar(zone, size);
  const w = c.windowOf(Z(at));
  return { start: iso(w.start), end: iso(w.end), hours: hours(w), label: c.label(w) };
}

/** The two offset changes of 2026 per zone (UTC instants), from the rules cited above. */
const CHANGES: Record<string, string[]> = {
  UTC: ["2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z"], // no change: the same instants as Berlin, as a control
  "America/New_York": ["2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z"],
  "Europe/Berlin": ["2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z"],
  "Asia/Kolkata": ["2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z"], // no change: control
  "Australia/Lord_Howe": ["2026-04-04T15:00:00Z", "2026-10-03T15:30:00Z"],
};

describe("aggregate-window: window arithmetic", () => {
  describe("every size, every zone, across both changes of 2026: windows tile time and contain their instant", () => {
    for (const zone of Object.keys(CHANGES))
      for (const size of WINDOW_SIZES)
        it(`${zone} ${size}`, () => {
          const c = createCalendar(zone, size);
          for (const change of CHANGES[zone]) {
            const t0 = Z(change) - 2 * 86_400_000;
            let w = c.windowOf(t0);
            assert.ok(w.start <= t0 && t0 < w.end);
            const stop = Z(change) + 2 * 86_400_000;
            let n = 0;
            while (w.start < stop && n < 2000) {
              const nx = c.next(w);
              assert.equal(nx.start, w.end, `windows meet at ${iso(w.end)}`);
              assert.ok(w.end > w.start);
              for (const t of [w.start, w.end - 1, Math.floor((w.start + w.end) / 2)]) assert.deepEqual(c.windowOf(t), w, `${iso(t)} is in ${iso(w.start)}`);
              // no window straddles an offset change (sub-day sizes)
              if (["5m", "15m", "30m", "1h"].includes(size)) assert.equal(c.localStart(w).offset, c.localStart({ start: w.end - 1, end: w.end }).offset);
              w = nx;
              n++;
            }
          }
        });
  });

  describe("America/New_York (Rule US)", () => {
    it("2026-03-08 is [05:00Z, 2026-03-09T04:00Z), 23 hours; 92 readings expected at 15 min", () => {
      const c = createCalendar("America/New_York", "1d");
      const w = c.windowOf(Z("2026-03-08T12:00:00Z"));
      assert.deepEqual([iso(w.start), iso(w.end), hours(w), c.label(w)], ["2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z", 23, "2026-03-08"]);
      assert.equal(expectedCount(w, 900), 92);
    });
    it("2026-11-01 has 25 hours, 100 readings expected; an ordinary day 96", () => {
      const c = createCalendar("America/New_York", "1d");
      const w = c.windowOf(Z("2026-11-01T12:00:00Z"));
      assert.deepEqual([iso(w.start), iso(w.end), hours(w)], ["2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z", 25]);
      assert.equal(expectedCount(w, 900), 100);
      assert.equal(expectedCount(c.windowOf(Z("2026-11-03T12:00:00Z")), 900), 96);
    });
    it("the two 01:00 hours of 2026-11-01 are two distinct hourly windows", () => {
      const a = win("America/New_York", "1h", "2026-11-01T05:30:00Z");
      const b = win("America/New_York", "1h", "2026-11-01T06:30:00Z");
      assert.deepEqual(a, { start: "2026-11-01T05:00:00Z", end: "2026-11-01T06:00:00Z", hours: 1, label: "2026-11-01T01:00-04:00" });
      assert.deepEqual(b, { start: "2026-11-01T06:00:00Z", end: "2026-11-01T07:00:00Z", hours: 1, label: "2026-11-01T01:00-05:00" });
    });
    it("the skipped hour: 01:00 EST is followed by 03:00 EDT", () => {
      const c = createCalendar("America/New_York", "1h");
      const w = c.windowOf(Z("2026-03-08T06:30:00Z"));
      assert.equal(c.label(w), "2026-03-08T01:00-05:00");
      assert.equal(c.label(c.next(w)), "2026-03-08T03:00-04:00");
    });
    it("15m and 5m windows stay on the UTC quarter hours through both changes", () => {
      assert.deepEqual(win("America/New_York", "15m", "2026-11-01T06:07:00Z").start, "2026-11-01T06:00:00Z");
      assert.deepEqual(win("America/New_York", "5m", "2026-03-08T07:03:00Z").end, "2026-03-08T07:05:00Z");
    });
    it("weeks start on Monday; the week of the spring change is 167 hours, of the autumn change 169", () => {
      assert.deepEqual(win("America/New_York", "1w", "2026-03-08T12:00:00Z"), { start: "2026-03-02T05:00:00Z", end: "2026-03-09T04:00:00Z", hours: 167, label: "2026-W10" });
      assert.equal(win("America/New_York", "1w", "2026-11-01T12:00:00Z").hours, 169);
    });
  });

  describe("Europe/Berlin (Rule EU)", () => {
    it("March 2026 is 743 hours, October 745, April 720", () => {
      assert.deepEqual(win("Europe/Berlin", "1mo", "2026-03-15T00:00:00Z"), { start: "2026-02-28T23:00:00Z", end: "2026-03-31T22:00:00Z", hours: 743, label: "2026-03" });
      assert.equal(win("Europe/Berlin", "1mo", "2026-10-15T00:00:00Z").hours, 745);
      assert.equal(win("Europe/Berlin", "1mo", "2026-04-15T00:00:00Z").hours, 720);
      assert.equal(win("Europe/Berlin", "1mo", "2026-02-15T00:00:00Z").hours, 672);
    });
    it("2026-03-29 has 23 hours, 2026-10-25 has 25; the two 02:00 hours of 10-25 are distinct", () => {
      assert.equal(win("Europe/Berlin", "1d", "2026-03-29T12:00:00Z").hours, 23);
      assert.equal(win("Europe/Berlin", "1d", "2026-10-25T12:00:00Z").hours, 25);
      assert.equal(win("Europe/Berlin", "1h", "2026-10-25T00:30:00Z").label, "2026-10-25T02:00+02:00");
      assert.equal(win("Europe/Berlin", "1h", "2026-10-25T01:30:00Z").label, "2026-10-25T02:00+01:00");
    });
    it("30m windows across the spring change: 01:30 CET is followed by 03:00 CEST", () => {
      const c = createCalendar("Europe/Berlin", "30m");
      const w = c.windowOf(Z("2026-03-29T00:45:00Z"));
      assert.equal(c.label(w), "2026-03-29T01:30+01:00");
      assert.equal(c.label(c.next(w)), "2026-03-29T03:00+02:00");
    });
  });

  describe("Asia/Kolkata (IST, +05:30)", () => {
    it("hours start at :30 UTC; 30m and 15m windows on the UTC half and quarter hours", () => {
      assert.deepEqual(win("Asia/Kolkata", "1h", "2026-03-08T12:00:00Z"), { start: "2026-03-08T11:30:00Z", end: "2026-03-08T12:30:00Z", hours: 1, label: "2026-03-08T17:00+05:30" });
      assert.equal(win("Asia/Kolkata", "30m", "2026-03-08T12:10:00Z").start, "2026-03-08T12:00:00Z");
      assert.equal(win("Asia/Kolkata", "15m", "2026-03-08T12:20:00Z").start, "2026-03-08T12:15:00Z");
      assert.deepEqual(win("Asia/Kolkata", "1d", "2026-03-08T12:00:00Z"), { start: "2026-03-07T18:30:00Z", end: "2026-03-08T18:30:00Z", hours: 24, label: "2026-03-08" });
    });
  });

  describe("Australia/Lord_Howe (Rule LH, half-hour changes)", () => {
    it("2026-04-05 has 24.5 hours (98 readings at 15 min) and 2026-10-04 has 23.5 (94)", () => {
      const c = createCalendar("Australia/Lord_Howe", "1d");
      const a = c.windowOf(Z("2026-04-05T03:00:00Z"));
      const b = c.windowOf(Z("2026-10-04T03:00:00Z"));
      assert.deepEqual([iso(a.start), iso(a.end), hours(a)], ["2026-04-04T13:00:00Z", "2026-04-05T13:30:00Z", 24.5]);
      assert.deepEqual([iso(b.start), iso(b.end), hours(b)], ["2026-10-03T13:30:00Z", "2026-10-04T13:00:00Z", 23.5]);
      assert.deepEqual([expectedCount(a, 900), expectedCount(b, 900)], [98, 94]);
    });
    it("autumn night: 01:00 (+11) is one hour, then 01:30 (+10:30) is a 30-minute window, then 02:00", () => {
      const c = createCalendar("Australia/Lord_Howe", "1h");
      const w1 = c.windowOf(Z("2026-04-04T14:10:00Z"));
      const w2 = c.next(w1);
      const w3 = c.next(w2);
      assert.deepEqual([c.label(w1), hours(w1)], ["2026-04-05T01:00+11:00", 1]);
      assert.deepEqual([c.label(w2), hours(w2), iso(w2.start)], ["2026-04-05T01:30+10:30", 0.5, "2026-04-04T15:00:00Z"]);
      assert.deepEqual([c.label(w3), hours(w3)], ["2026-04-05T02:00+10:30", 1]);
    });
    it("spring night: 01:00 (+10:30), then 02:30 (+11) for 30 minutes, then 03:00", () => {
      const c = createCalendar("Australia/Lord_Howe", "1h");
      const w1 = c.windowOf(Z("2026-10-03T15:00:00Z"));
      const w2 = c.next(w1);
      assert.deepEqual([c.label(w1), hours(w1)], ["2026-10-04T01:00+10:30", 1]);
      assert.deepEqual([c.label(w2), hours(w2)], ["2026-10-04T02:30+11:00", 0.5]);
      assert.equal(c.label(c.next(w2)), "2026-10-04T03:00+11:00");
    });
  });

  it("a bad zone or size is refused with the cause", () => {
    assert.throws(() => createCalendar("Mars/Olympus", "1d"), /"Mars\/Olympus" is not an IANA time zone/);
    assert.throws(() => createCalendar("UTC", "2d" as WindowSize), /"2d" is not a window size/);
  });
});

describe("windowOf's cache of recent windows", () => {
  it("gives the window a fresh calendar gives, for instants asked in any order (a replay interleaved with live data)", () => {
    let x = 12345;
    const rnd = () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x / 4294967296;
    };
    const y0 = Date.parse("2026-01-01T00:00:00Z");
    const span = 366 * 86_400_000;
    for (const zone of ["UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"])
      for (const size of WINDOW_SIZES) {
        const cal = createCalendar(zone, size);
        // instants near each other and far apart, in turn, some exactly on boundaries
        const base = y0 + Math.floor(rnd() * span);
        for (let k = 0; k < 300; k++) {
          let t = rnd() < 0.5 ? base + Math.floor(rnd() * 6 * 3_600_000) : y0 + Math.floor(rnd() * span);
          if (rnd() < 0.2) t = cal.windowOf(t).end;
          const got = cal.windowOf(t);
          const want = createCalendar(zone, size).windowOf(t);
          assert.deepEqual([got.start, got.end], [want.start, want.end], `${zone} ${size} ${new Date(t).toISOString()}`);
          assert.ok(t >= got.start && t < got.end);
        }
      }
  });
});
