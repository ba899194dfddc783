/**
 * rollout-stage's campaign engine with a fake clock (every call takes `now`). The staging rule (1% → 10% → the
 * rest, so that a bad update can be rolled back before it reaches the fleet) and the pilot advice (start where
 * connectivity is worst) are the seeds' (/work/shared/seeds/000_… "Staged Firmware Rollout"); the gates, timeouts,
 * retries and rollback targets are issue 12's.
 */
import assert from "node:assert/strict";
import { describe, it } from "mocha";
import { RolloutEngine, type Output } from "../../../nodes/rollout-stage/engine";
import { DEFAULT_OPTIONS, parseOptions, parseWaves } from "../../../nodes/rollout-stage/options";
import { plan, waveSizes } from "../../../nodes/rollout-stage/plan";

const MIN = 60_000;
const T0 = Date.parse("2026-03-01T00:00:00Z");
const ids = (n: number, p = "d") => Array.from({ length: n }, (_, i) => `${p}${i + 1}`);
const campaign = (n: number, extra: Record<string, unknown> = {}) => ({ id: "c1", version: "2.0", uri: "coap://fw/2.0", previous: "1.0", devices: ids(n), ...extra });
const sent = (o: Output, action = "update") => o.commands.filter((c) => c.action === action).map((c) => c.deviceId);
const events = (o: Output) => o.events.map((e) => e.event);

/** An engine with its clock. */
function setup(n: number, extra: Record<string, unknown> = {}, defaults = DEFAULT_OPTIONS) {
  const e = new RolloutEngine(defaults);
  let now = T0;
  const first = e.start(campaign(n, extra), now);
  return {
    e,
    first,
    get now() {
      return now;
    },
    advance(ms: number): Output {
      now += ms;
      return e.tick(now);
    },
    result(deviceId: string, status: string, more: Record<string, unknown> = {}): Output {
      return e.result({ deviceId, status, ...more }, now);
    },
    command(c: string, id?: string): Output {
      return e.command(c, id, now);
    },
  };
}

describe("rollout-stage plan", () => {
  it("wave sizes, rounded up, never an empty wave: 7 → 1,1,5; 100 → 1,9,90; 1,000 → 10,90,900; 10,007 → 101,900,9006", () => {
    assert.deepEqual(waveSizes(7, [1, 10, 100]), [1, 1, 5]);
    assert.deepEqual(waveSizes(100, [1, 10, 100]), [1, 9, 90]);
    assert.deepEqual(waveSizes(1000, [1, 10, 100]), [10, 90, 900]);
    assert.deepEqual(waveSizes(10_007, [1, 10, 100]), [101, 900, 9006]);
    assert.deepEqual(waveSizes(2, [1, 10, 100]), [1, 1], "fewer devices than waves: the empty wave is dropped");
    assert.deepEqual(waveSizes(1000, [0.1, 100]), [1, 999], "0.1% of 1,000 is 1, not 2 through binary noise");
  });

  it("the engine starts wave 1 with its planned size, and the waves follow the same sizes", () => {
    for (const [n, sizes] of [
      [7, [1, 1, 5]],
      [1000, [10, 90, 900]],
      [10_007, [101, 900, 9006]],
    ] as const) {
      const t = setup(n, { soakMinutes: 0 });
      assert.equal(t.first.commands.length, sizes[0], `${n} devices`);
      assert.deepEqual(t.e.get("c1")?.sizes, sizes);
      assert.equal(t.first.events[0].stats.targeted, sizes[0]);
    }
  });

  it("membership is stable across list order and restarts, and changes with the salt", () => {
    const devices = ids(1000).map((id) => ({ id }));
    const a = plan(devices, "c1", [1, 10, 100], false);
    const shuffled = [...devices].reverse();
    const b = plan(shuffled, "c1", [1, 10, 100], false);
    const wave1 = (p: typeof a, list: typeof devices) => p.order.slice(0, 10).map((i) => list[i].id);
    assert.deepEqual(wave1(b, shuffled), wave1(a, devices), "same salt, reversed list: same canary in the same order");
    const c = plan(devices, "other-salt", [1, 10, 100], false);
    assert.notDeepEqual(new Set(wave1(c, devices)), new Set(wave1(a, devices)), "another salt: another canary");
    assert.notDeepEqual(wave1(a, devices), devices.slice(0, 10).map((d) => d.id), "not the first listed (hawkBit#1086)");

    // Through the engine and a restart: the same devices were sent, and nothing is sent again.
    const t = setup(1000);
    const first = sent(t.first);
    assert.deepEqual(first, wave1(a, devices), "the salt defaults to the campaign id");
    const e2 = new RolloutEngine();
    e2.load(JSON.parse(JSON.stringify(t.e.toJSON())));
    const again = e2.tick(t.now + 1);
    assert.deepEqual(again.commands, []);
    assert.deepEqual(e2.get("c1")?.devices.slice(0, 10).map((d) => d.id), first);
  });

  it("preferWeakSignal: the pilot wave holds the worst signals, worst first (seeds: pilot in the worst connectivity)", () => {
    const devices = ids(100).map((id, i) => ({ id, signal: -50 - (i % 37) }));
    const t = new RolloutEngine();
    const o = t.start({ id: "c1", version: "2", uri: "u", previous: "1", devices, waves: "5,100", preferWeakSignal: true }, T0);
    const worst = [...devices].sort((a, b) => a.signal - b.signal).slice(0, 5);
    assert.deepEqual(
      o.commands.map((c) => devices.find((d) => d.id === c.deviceId)?.signal),
      worst.map((d) => d.signal),
    );
  });

  it("waves must be ascending cumulative percentages ending at 100", () => {
    assert.deepEqual(parseWaves("1, 10, 100"), [1, 10, 100]);
    assert.throws(() => parseWaves("10,1,100"), /ascending/);
    assert.throws(() => parseWaves("1,10"), /must end at 100/);
    assert.throws(() => parseWaves("0,100"), /above 0/);
    assert.throws(() => parseWaves("1;10"), /Waves: .*cumulative percentages/);
    assert.throws(() => parseOptions({ successThreshold: 101 }), /Success threshold: 101 must be from 0 % to 100 %/);
  });
});

describe("rollout-stage gates", () => {
  // 200 devices, waves 50/100: wave 1 holds 100 devices, so a device is a percent.
  const gate = (extra: Record<string, unknown> = {}) => setup(200, { waves: "50,100", soakMinutes: 0, ...extra });

  it("successThreshold is ≥: 95 of 100 succeeded with 5 failed passes the wave", () => {
    const t = gate();
    const w1 = sent(t.first);
    assert.equal(w1.length, 100);
    for (const id of w1.slice(0, 5)) assert.deepEqual(events(t.result(id, "failure")), []);
    let last: Output | undefined;
    for (const id of w1.slice(5)) last = t.result(id, "success");
    assert.deepEqual(events(last as Output), ["wave-passed", "wave-started"]);
    assert.equal((last as Output).events[0].stats.succeeded, 95);
    assert.equal(sent(last as Output).length, 100, "wave 2 sent");
  });

  it("94 of 100 succeeded with 6 failed: the 6th failure halts (failureThreshold is strictly >: 5 of 100 did not)", () => {
    const t = gate();
    const w1 = sent(t.first);
    for (const id of w1.slice(0, 94)) t.result(id, "success");
    for (const id of w1.slice(94, 99)) assert.deepEqual(events(t.result(id, "failure")), [], "5% is not above 5%");
    const o = t.result(w1[99], "failure");
    assert.deepEqual(events(o), ["halted"]);
    assert.match(o.events[0].reason ?? "", /6 of 100 devices failed.*\(6%\), above the failure threshold of 5%/);
    assert.equal(t.e.get("c1")?.phase, "halted");
    assert.deepEqual(o.commands, [], "a pause sends nothing");
  });

  it("a wave that finishes below the success gate without crossing the failure gate halts (it never waits forever)", () => {
    const t = gate({ successThreshold: 99 });
    const w1 = sent(t.first);
    for (const id of w1.slice(0, 3)) t.result(id, "failure");
    for (const id of w1.slice(3, 99)) t.result(id, "success");
    const o = t.result(w1[99], "success");
    assert.deepEqual(events(o), ["halted"]);
    assert.match(o.events[0].reason ?? "", /97 of 100 succeeded \(97%\), below the success threshold of 99%/);
  });

  it("minDevices: below it a percentage cannot halt, but maxFailures can", () => {
    const t = gate({ minDevices: 10 });
    const w1 = sent(t.first);
    for (const id of w1.slice(0, 9)) assert.deepEqual(events(t.result(id, "failure")), [], "9 finished < minDevices 10");
    assert.deepEqual(events(t.result(w1[9], "failure")), ["halted"], "the 10th finished device lets the percentage halt");

    const u = gate({ minDevices: 50, maxFailures: 3 });
    const v1 = sent(u.first);
    u.result(v1[0], "failure");
    u.result(v1[1], "unhealthy");
    const o = u.result(v1[2], "failure");
    assert.deepEqual(events(o), ["halted"]);
    assert.match(o.events[0].reason ?? "", /3 device\(s\) failed, unhealthy or timed out; maxFailures is 3/);
  });

  it("a device that does not report within timeoutMinutes is timed out, a failure (hawkBit#693)", () => {
    const t = setup(100, { timeoutMinutes: 60 }); // wave 1: 1 device
    const [d] = sent(t.first);
    assert.deepEqual(t.e.nextDeadline(), T0 + 60 * MIN);
    assert.deepEqual(events(t.advance(60 * MIN - 1)), [], "not a millisecond early");
    const o = t.advance(1);
    assert.deepEqual(events(o), ["halted"]);
    assert.equal(o.events[0].stats.timedOut, 1);
    assert.equal(t.e.get("c1")?.devices.find((x) => x.id === d)?.st, "timedOut");
  });

  it("soak: the wave passes only at the soak's end, and an unhealthy report during the soak counts", () => {
    const t = setup(1000, { soakMinutes: 30 });
    const w1 = sent(t.first);
    for (const id of w1) t.result(id, "success");
    assert.equal(t.e.get("c1")?.phase, "soaking");
    assert.equal(t.e.nextDeadline(), T0 + 30 * MIN);
    assert.deepEqual(events(t.advance(29 * MIN)), []);
    // One unhealthy of 10 is 10% > 5%: halted at once, during the soak.
    const o = t.result(w1[3], "unhealthy", { reason: "watchdog resets" });
    assert.deepEqual(events(o), ["halted"]);
    assert.equal(o.events[0].stats.unhealthy, 1);
    assert.deepEqual(events(t.advance(5 * MIN)), [], "a halted campaign's soak does not pass");

    // Below the success gate but not above the failure gate: the soak ends without passing, and the wave waits.
    const u = setup(200, { waves: "50,100", soakMinutes: 30, successThreshold: 95, failureThreshold: 10 });
    const v1 = sent(u.first);
    for (const id of v1.slice(0, 95)) u.result(id, "success");
    assert.equal(u.e.get("c1")?.phase, "soaking");
    u.advance(10 * MIN);
    u.result(v1[0], "unhealthy");
    assert.deepEqual(events(u.advance(20 * MIN)), [], "94 of 100 at the soak's end: not passed");
    assert.equal(u.e.get("c1")?.phase, "running");
    assert.deepEqual(events(u.result(v1[95], "success")), [], "95 again: a new soak starts");
    assert.deepEqual(events(u.advance(30 * MIN)), ["wave-passed", "wave-started"]);
  });

  it("approval manual: the next wave waits for approve", () => {
    const t = setup(100, { soakMinutes: 0, approval: "manual" });
    const o = t.result(sent(t.first)[0], "success");
    assert.deepEqual(events(o), ["wave-passed"]);
    assert.deepEqual(o.commands, []);
    assert.throws(() => t.command("resume"), /not paused or halted/);
    const a = t.command("approve");
    assert.deepEqual(events(a), ["wave-started"]);
    assert.equal(sent(a).length, 9);
    assert.throws(() => t.command("approve"), /wave 2 has not passed yet/);
  });

  it("a full campaign completes once the last wave passed and its stragglers are in", () => {
    const t = setup(1000, { soakMinutes: 0 });
    let o = t.first;
    const seen: string[] = [];
    const all: string[] = [];
    for (let wave = 0; wave < 3; wave++) {
      const batch = sent(o);
      all.push(...batch);
      for (const id of batch) {
        o = t.result(id, "success");
        seen.push(...events(o));
        if (sent(o).length) break;
      }
      if (wave < 2) assert.equal(sent(o).length, [90, 900][wave]);
      if (wave === 2) break;
    }
    // The rest of wave 1 and 2 arrive in later waves' loops above only partly: finish everybody.
    const c = t.e.get("c1");
    for (const d of c?.devices ?? []) if (d.st === "updating") seen.push(...events(t.result(d.id, "success")));
    assert.deepEqual(seen, ["wave-passed", "wave-started", "wave-passed", "wave-started", "wave-passed", "completed"]);
    assert.equal(new Set(all).size, 1000, "every device sent the update once");
    assert.equal(t.e.get("c1")?.phase, "completed");
  });
});

describe("rollout-stage retries, rollback, concurrency, campaigns", () => {
  it("a retryable failure is retried `retries` times before it counts", () => {
    const t = setup(100, { soakMinutes: 0, retries: 2 });
    const [d] = sent(t.first);
    let o = t.result(d, "failure", { retryable: true, reason: "download interrupted" });
    assert.deepEqual(sent(o), [d], "retry 1");
    o = t.result(d, "failure", { retryable: true });
    assert.deepEqual(sent(o), [d], "retry 2");
    o = t.result(d, "failure", { retryable: true });
    assert.deepEqual(sent(o), [], "retries spent");
    assert.deepEqual(events(o), ["halted"]);
    assert.equal(t.e.get("c1")?.devices.find((x) => x.id === d)?.tries, 3);

    const u = setup(100, { retries: 1 });
    const [e] = sent(u.first);
    assert.deepEqual(events(u.result(e, "failure")), ["halted"], "not retryable: counts at once");
  });

  it("a retry gets a new deadline: the first one no longer times it out", () => {
    const t = setup(100, { soakMinutes: 0, timeoutMinutes: 10 });
    const [d] = sent(t.first);
    t.advance(9 * MIN);
    t.result(d, "failure", { retryable: true });
    assert.deepEqual(events(t.advance(2 * MIN)), [], "the first deadline is stale");
    assert.deepEqual(events(t.advance(8 * MIN)), ["halted"], "the retry's deadline");
  });

  it("rollback targets: sent and not failed (success, unhealthy, timed out, still updating); never-sent left alone", () => {
    const devices = ids(10).map((id) => (id === "d1" ? { id, version: "1.7" } : id));
    const t = setup(10, { waves: "100", devices, previous: "1.0", previousUri: "coap://fw/1.0", soakMinutes: 60, timeoutMinutes: 10, failureThreshold: 90 });
    assert.equal(t.first.commands.length, 10);
    t.result("d1", "success");
    t.result("d2", "failure");
    t.result("d3", "unhealthy");
    t.result("d4", "success");
    t.advance(5 * MIN);
    assert.deepEqual(sent(t.result("d5", "failure", { retryable: true })), ["d5"], "d5 retried: still updating at the rollback");
    t.advance(5 * MIN); // d6..d10 time out
    assert.deepEqual(
      t.e.get("c1")?.devices.filter((d) => d.st === "timedOut").map((d) => d.id).sort(),
      ["d10", "d6", "d7", "d8", "d9"],
    );
    const o = t.command("rollback");
    assert.deepEqual(events(o), ["rolling-back"]);
    assert.deepEqual(sent(o, "rollback").sort(), ["d1", "d10", "d3", "d4", "d5", "d6", "d7", "d8", "d9"], "not d2: a failed device is still on its old version");
    const byId = new Map(o.commands.map((c) => [c.deviceId, c] as const));
    assert.equal(byId.get("d1")?.version, "1.7", "a device's own version wins over previous");
    for (const c of o.commands) if (c.deviceId !== "d1") assert.deepEqual([c.version, c.uri], ["1.0", "coap://fw/1.0"]);
    for (const id of ["d1", "d3", "d4", "d5", "d6", "d7", "d8", "d9"]) assert.deepEqual(events(t.result(id, "success")), []);
    const end = t.advance(10 * MIN); // d10 never answers the rollback either
    assert.deepEqual(events(end), ["rolled-back"]);
    assert.deepEqual(end.events[0].rollback, { targeted: 9, rolledBack: 8, failed: 0, timedOut: 1, pending: 0 });
    assert.match(end.events[0].reason ?? "", /0 rollback\(s\) failed and 1 timed out of 9/);

    // Devices never sent the update are left alone: a 1,000-device campaign rolled back in wave 1.
    const u = setup(1000, { maxConcurrent: 4 });
    const r = u.command("rollback");
    assert.equal(u.e.get("c1")?.devices.filter((d) => d.rb).length, 4);
    assert.equal(sent(r, "rollback").length, 4);
  });

  it("onHalt rollback: a halt in wave 1 rolls back the wave's updated devices, never the untouched fleet", () => {
    const t = setup(1000, { onHalt: "rollback", soakMinutes: 0 });
    const w1 = sent(t.first);
    t.result(w1[0], "success");
    const o = t.result(w1[1], "failure"); // 1 of 10 = 10% > 5%
    assert.deepEqual(events(o), ["halted", "rolling-back"]);
    assert.equal(sent(o, "rollback").length, 9, "the 8 still updating and the 1 that succeeded");
    assert.equal(t.e.get("c1")?.devices.filter((d) => d.rb).length, 9, "990 devices never sent the update are left alone");
  });

  it("maxConcurrent: at most this many updating; the rest of the wave is fed as results come in", () => {
    const t = setup(1000, { waves: "10,100", maxConcurrent: 25, soakMinutes: 0 });
    assert.equal(t.first.commands.length, 25);
    const o = t.result(t.first.commands[0].deviceId, "success");
    assert.equal(o.commands.length, 1);
    const o2 = t.result(t.first.commands[1].deviceId, "failure", { retryable: true });
    assert.deepEqual(sent(o2), [t.first.commands[1].deviceId], "a retry keeps its slot");
    const c = t.e.get("c1");
    assert.equal(c?.devices.filter((d) => d.st === "updating").length, 25);
    t.advance(60 * MIN); // the 24 time out: 25 of 100 … halted (pause): nothing more is fed
    assert.equal(t.e.get("c1")?.phase, "halted");
    assert.equal(t.e.get("c1")?.devices.filter((d) => d.st === "updating").length, 0);
  });

  it("two campaigns: keyed by id, a device in at most one, commands must name one", () => {
    const e = new RolloutEngine({ ...DEFAULT_OPTIONS, soakMs: 0 });
    const a = e.start({ id: "A", version: "2", uri: "u", previous: "1", devices: ids(10, "a") }, T0);
    const b = e.start({ id: "B", version: "5", uri: "v", previous: "4", devices: ids(10, "b") }, T0);
    assert.equal(a.commands[0].campaign, "A");
    assert.equal(b.commands[0].campaign, "B");
    assert.throws(() => e.start({ id: "C", version: "2", uri: "u", previous: "1", devices: ["x", "a3"] }, T0), /device\(s\) are already in campaign "A".*"a3"/);
    assert.throws(() => e.command("pause", undefined, T0), /2 campaigns are running \("A", "B"\); name one in msg.campaign/);
    e.command("pause", "A", T0);
    const r = e.result({ deviceId: b.commands[0].deviceId, status: "success" }, T0);
    assert.deepEqual(events(r), ["wave-passed", "wave-started"], "B goes on while A is paused");
    assert.equal(e.get("A")?.phase, "paused");
    e.command("abort", "A", T0);
    const c = e.start({ id: "C", version: "2", uri: "u", previous: "1", devices: ["a3"] }, T0);
    assert.deepEqual(sent(c), ["a3"], "once A is over, its devices are free");
  });

  it("a repeated campaign message is idempotent; the same id with another version is refused", () => {
    const t = setup(100);
    const again = t.e.start(campaign(100), t.now);
    assert.deepEqual(again.commands, []);
    assert.deepEqual(events(again), ["status"]);
    assert.throws(() => t.e.start(campaign(100, { version: "3.0" }), t.now), /campaign "c1" already exists \(version 2.0.*new id/);
  });

  it("bad input is refused with a message naming the cause", () => {
    const t = setup(100);
    assert.throws(() => t.result("zz", "success"), /device "zz", which is in no campaign/);
    assert.throws(() => t.result("d1", "done"), /payload.status must be one of success, failure, unhealthy, got "done"/);
    const waiting = t.e.get("c1")?.devices.find((d) => d.tries === 0)?.id as string;
    assert.throws(() => t.result(waiting, "success"), /has not sent the update yet \(wave [23]\)/);
    assert.throws(() => t.e.start({ id: "x", version: "1", uri: "u", devices: ["a"] }, T0), /no version and the campaign has no "previous"/);
    assert.throws(() => t.e.start({ id: "x", version: "1", uri: "u", previous: "0", devices: ["a", "a"] }, T0), /device "a" is listed twice/);
    assert.throws(() => t.e.start({ id: "x", version: "1", previous: "0", devices: ["a"] }, T0), /payload.uri/);
    assert.throws(() => t.e.start({ id: "x", version: "1", uri: "u", previous: "0", devices: ["q"], waves: "1,10" }, T0), /campaign "x": Waves: .*must end at 100/);
    assert.throws(() => t.command("launch"), /unknown msg.command "launch"/);
  });

  it("pause, resume, abort; a resumed halted wave that is finished passes (the operator accepted it)", () => {
    const t = setup(100, { soakMinutes: 0 });
    const [d] = sent(t.first);
    assert.deepEqual(events(t.result(d, "failure")), ["halted"]);
    const r = t.command("resume");
    assert.deepEqual(events(r), ["resumed", "wave-passed", "wave-started"]);
    assert.equal(sent(r).length, 9);
    assert.deepEqual(events(t.command("pause")), ["halted"]);
    assert.equal(t.e.get("c1")?.phase, "paused");
    const a = t.command("abort");
    assert.deepEqual(events(a), ["aborted"]);
    assert.deepEqual(a.commands, []);
    // A late result of an aborted campaign is recorded, not refused.
    const late = sent(r)[0];
    assert.deepEqual(t.result(late, "success").events, []);
  });

  it("restart mid-wave: deadlines come back from the state, nothing is sent twice, a timeout still happens", () => {
    const t = setup(1000, { waves: "10,100", maxConcurrent: 20, timeoutMinutes: 30, soakMinutes: 0 });
    const w = sent(t.first);
    for (const id of w.slice(0, 5)) t.result(id, "success");
    t.advance(10 * MIN);
    const saved = JSON.parse(JSON.stringify(t.e.toJSON()));
    const before = new Set(saved.campaigns[0].devices.filter((d: { tries: number }) => d.tries > 0).map((d: { id: string }) => d.id));
    const e2 = new RolloutEngine();
    e2.load(saved);
    let now = t.now;
    assert.deepEqual(e2.tick(now).commands, [], "nothing resent at restart");
    assert.equal(e2.nextDeadline(), T0 + 30 * MIN, "the stored deadline of the first sends");
    const o = e2.result({ deviceId: w[5], status: "success" }, now);
    assert.equal(o.commands.length, 1, "feeding resumes where it was");
    assert.ok(!before.has(o.commands[0].deviceId), "a device not sent before the restart");
    now = T0 + 30 * MIN;
    const to = e2.tick(now);
    assert.deepEqual(events(to), ["halted"], "the 14 silent devices time out after the restart: 14 of 100 > 5%");
  });
});
