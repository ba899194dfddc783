// Trends timed by the device's own clock: Current Time /3/0/13 (OMA LwM2M registry 3.xml, Time, decoded as a UTC
// ISO string per issue 11's decoded shape). A device's values move in its own time: a simulator at 60x, a gateway
// reading in bursts, a replay. Found by the fleet test (test/flows/lwm2m-diagnose/fleet.test.ts): a healthy sim
// device drifting 0.02 %/h, read for an hour of wall time at 60x, looked like "dying-battery, empty in 3 days".
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { Diagnoser, DEFAULT_RULES, trendTimes, type Diagnosis } from "../../../nodes/lwm2m-diagnose";
import { conn, DAY, device, HOUR, snapshot, T0 } from "./fixtures";

const SECOND = 1000;
const DEV0 = Date.parse("2013-05-02T10:40:15.000Z");
const step = (d: Diagnosis, name: string) => d.checks.find((c) => c.step === name);
const ev = (d: Diagnosis, path: string) => d.evidence.filter((e) => e.path === path);

/** Feed `levels` of `res` read `wallStep` ms apart, the device's clock `devStep` ms apart (no clock: undefined). */
function feed(res: "9" | "10", levels: number[], wallStep: number, devStep: number | undefined): Diagnosis {
  const dz = new Diagnoser({ ...DEFAULT_RULES });
  let d: Diagnosis | undefined;
  for (const [i, v] of levels.entries()) {
    const dev = device({ [res]: v, "13": devStep === undefined ? undefined : new Date(DEV0 + i * devStep).toISOString() });
    if (devStep === undefined) delete dev["13"];
    d = dz.input(snapshot("ep", T0 + i * wallStep, dev, conn()), 0);
  }
  return d as Diagnosis;
}

describe("lwm2m-diagnose: trends in the device's time (Current Time /3/0/13)", () => {
  it("battery: samples 1 h apart by the device's clock, read in a burst 1 s apart, give the real per-day rate", () => {
    // 80 % falling 0.5 %/h = 12 %/day: 6.7 days left, within the 7-day horizon
    const levels = [80, 79.5, 79, 78.5, 78];
    const d = feed("9", levels, SECOND, HOUR);
    assert.equal(d.cause, "dying-battery", JSON.stringify(d.checks));
    assert.match(step(d, "battery")?.detail ?? "", /-12 %\/day/);
    assert.match(ev(d, "/3/0/9")[0].rule, /falling 12 %\/day .*empty in 6\.5 days/);
  });

  it("battery: the healthy sim's 0.02 %/h read in a burst is 0.5 %/day, not a battery emptying in days", () => {
    const levels = [90, 89.98, 89.96, 89.94, 89.92];
    const d = feed("9", levels, SECOND, HOUR);
    assert.equal(d.cause, "healthy", JSON.stringify(d.checks));
    assert.match(step(d, "battery")?.detail ?? "", /-0\.5 %\/day/);
  });

  it("memory: Memory Free timed by the device, read in a burst, gives kB per device day", () => {
    // 100 kB falling 8 kB per 12 device hours = 16 kB/day (the same figures as the wall-clock test in tree.test.ts)
    const d = feed("10", [100, 92, 84, 76, 68], SECOND, 12 * HOUR);
    assert.equal(d.cause, "memory-leak", JSON.stringify(d.checks));
    assert.match(ev(d, "/3/0/10")[0].rule, /falling 16 kB\/day since the last reboot .*exhausted in 4\.3 days/);
  });

  it("a snapshot without /3/0/13 keeps the reads' times (today's behaviour)", () => {
    // the same burst without Current Time: 0.5 % a second is a battery emptying within the hour
    const d = feed("9", [80, 79.5, 79, 78.5, 78], SECOND, undefined);
    assert.equal(d.cause, "dying-battery");
    assert.match(step(d, "battery")?.detail ?? "", /-43200 %\/day/);
    // read a day apart without Current Time: 12 %/day by the wall clock
    const daily = feed("9", [80, 68, 56, 44], DAY, undefined);
    assert.match(ev(daily, "/3/0/9")[0].rule, /falling 12 %\/day/);
  });

  it("a clock that stands still (unset, or the same value every read) falls back to the reads' times", () => {
    // fixtures.device() carries the same Current Time every read: the wall clock times the trend
    const d = feed("9", [80, 68, 56, 44], DAY, 0);
    assert.match(ev(d, "/3/0/9")[0].rule, /falling 12 %\/day/);
  });

  it("trendTimes: device steps where both ends carry a clock that moved on; read steps elsewhere and after a restart", () => {
    const s = [
      { at: 0, v: 1, dev: 1_000_000 },
      { at: 10, v: 1, dev: 1_000_000 + HOUR }, // device step: 1 h
      { at: 20, v: 1 }, // no clock: the read step, 10 ms
      { at: 30, v: 1, dev: 1_000_000 + 2 * HOUR }, // the previous sample had no clock: 10 ms
      { at: 40, v: 1, dev: 5 }, // the clock went back (a restart): 10 ms
      { at: 50, v: 1, dev: 5 + HOUR }, // 1 h again
    ];
    assert.deepEqual(trendTimes(s), [0, HOUR, HOUR + 10, HOUR + 20, HOUR + 30, 2 * HOUR + 30]);
  });

  it("reboots: Current Time jumping back within a burst (reads in the same millisecond) is a restart; the tooth before it keeps its device-time rate", () => {
    const dz = new Diagnoser({ ...DEFAULT_RULES });
    const read = (i: number, devAt: number, mem: number) => dz.input(snapshot("ep", T0, device({ "10": mem, "13": new Date(devAt).toISOString() }), conn()), 0);
    for (let i = 0; i < 4; i++) read(i, DEV0 + i * 12 * HOUR, 100 - 8 * i);
    // the device restarted: its clock began again, memory back to 100
    const d = read(4, DEV0 - DAY, 100);
    assert.equal(dz.history("ep")?.reboots.length, 1);
    assert.equal(dz.history("ep")?.reboots[0].how, "clock");
    // the tooth before the restart fell 16 kB/day of device time
    assert.equal(step(d, "memory")?.outcome, "leak", JSON.stringify(d.checks));
    assert.match(ev(d, "/3/0/10")[0].rule, /falling 16 kB\/day before the last reboot/);
  });

  it("a late read (older than the last) moves neither the clock nor counts as a restart", () => {
    const dz = new Diagnoser({ ...DEFAULT_RULES });
    dz.input(snapshot("ep", T0 + HOUR, device({ "13": new Date(DEV0 + HOUR).toISOString() }), conn()), 0);
    dz.input(snapshot("ep", T0, device({ "13": new Date(DEV0).toISOString() }), conn()), 0);
    assert.equal(dz.history("ep")?.reboots.length, 0);
    assert.equal(dz.history("ep")?.clock?.device, DEV0 + HOUR);
  });
});
