/**
 * The simulator's profiles show the symptoms issue 11's diagnosis looks for (its default thresholds: RSRP below
 * -115 dBm or SINR below 0 dB; battery below 15 % with Battery Status 4 (Low, OMA registry 3.xml resource 20) and
 * error code 1; Memory Free falling between reboots; error code 8, peripheral malfunction), and a healthy device
 * shows none of them.
 */
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { PROFILES, readings } from "../../../nodes/lwm2m-device-sim/profiles";
import { SimDevice } from "../../../nodes/lwm2m-device-sim/sim";

describe("lwm2m-device-sim profiles", () => {
  it("healthy: good signal, battery, memory and no error, even after a simulated week", () => {
    for (const hours of [0, 24, 168]) {
      const r = readings("healthy", hours, hours, 3);
      assert.ok(r.rsrp > -115 && r.sinr > 0 && r.battery >= 15 && r.batteryStatus === 0 && r.errors.join() === "0", JSON.stringify(r));
    }
    assert.equal(readings("healthy", 100, 100, 3).memoryFree, readings("healthy", 0, 100, 3).memoryFree, "memory steady");
  });

  it("poor-signal: RSRP below -115 dBm and SINR below 0 dB", () => {
    const r = readings("poor-signal", 1, 1, 1);
    assert.ok(r.rsrp < -115 && r.sinr < 0, JSON.stringify(r));
  });

  it("dying-battery: the level falls with simulated time; below 15 % it reports Battery Status 4 (Low) and error code 1", () => {
    const early = readings("dying-battery", 1, 1, 1);
    const late = readings("dying-battery", 80, 80, 1);
    assert.ok(early.battery > late.battery);
    assert.ok(late.battery < 15 && late.batteryStatus === 4 && late.errors[0] === 1, JSON.stringify(late));
    assert.ok(late.voltage < early.voltage);
  });

  it("memory-leak: Memory Free falls since boot and comes back after a reboot (the sawtooth)", () => {
    const a = readings("memory-leak", 1, 30, 1).memoryFree;
    const b = readings("memory-leak", 20, 49, 1).memoryFree;
    const afterReboot = readings("memory-leak", 0, 50, 1).memoryFree;
    assert.ok(a > b && afterReboot > b, `${a} ${b} ${afterReboot}`);
  });

  it("hardware-fault: error code 8 (peripheral malfunction)", () => {
    assert.deepEqual(readings("hardware-fault", 1, 1, 1).errors, [8]);
  });

  it("every profile is served by a device; simulated time runs `speed` times faster (Current Time /3/0/13)", () => {
    let now = Date.UTC(2026, 0, 1);
    for (const profile of PROFILES) {
      const d = new SimDevice({ endpoint: "x", profile, serverHost: "127.0.0.1", serverPort: 9, lifetime: 60, speed: 3600, firmwareVersion: "1.0.0", bugVersion: "2", rebootEveryMinutes: 60, downloadMs: 0, updateMs: 0, seed: 1, now: () => now });
      const t0 = Date.parse(d.objects()["3"]["0"]["13"] as string);
      now += 1000; // one real second...
      const t1 = Date.parse(d.objects()["3"]["0"]["13"] as string);
      assert.equal(t1 - t0, 3_600_000, `${profile}: ... is a simulated hour`);
      now -= 1000;
    }
  });
});
