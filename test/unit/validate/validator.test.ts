import { describe, it } from "mocha";
import assert from "node:assert/strict";
import type { CanonicalReading } from "../../../nodes/shared/canonical-reading";
import { validateReading } from "../../../nodes/shared/canonical-reading";
import { DEFAULT_DRIFT } from "../../../nodes/validate/drift";
import { parseRules, type Rule } from "../../../nodes/validate/rules";
import { Validator, type ValidatorOptions } from "../../../nodes/validate/validator";

const T0 = Date.parse("2026-02-08T00:00:00.000Z");
const Q = 900_000; // 15-minute readings (seed 000: "Each smart meter generates consumption readings" every 15 min)
const iso = (ms: number) => new Date(ms).toISOString();

function v(rules: Rule[] = [], opts: Partial<ValidatorOptions> = {}) {
  return new Validator({ drift: DEFAULT_DRIFT, rules: parseRules(rules), dedupHours: 48, dedupMaxKeys: 100_000, silenceSeconds: 0, timeZone: "UTC", ...opts });
}

function reading(ms: number, values: Record<string, number | null>, deviceId = "meter-001", unit = "kWh"): CanonicalReading {
  const measurements: CanonicalReading["measurements"] = {};
  for (const [k, x] of Object.entries(values)) measurements[k] = { value: x, unit };
  return { deviceId, timestamp: iso(ms), measurements, quality: "GOOD", source: { protocol: "modbus" } };
}

/** Feed one reading received on time; returns the outcome. */
const feed = (val: Validator, r: unknown, ref?: number) => {
  const ms = typeof r === "object" && r && "timestamp" in r ? Date.parse((r as CanonicalReading).timestamp) : T0;
  return val.validate(r, ref ?? ms, ref ?? ms);
};

describe("validate: the engine", () => {
  describe("schema (always on)", () => {
    it("rejects a reading with rule schema and a reason naming the path", () => {
      const o = feed(v(), { ...reading(T0, { energy: 1 }), measurements: { energy: { value: [1] } } });
      assert.equal(o.passed.length, 0);
      assert.equal(o.rejected[0].rule, "schema");
      assert.match(o.rejected[0].reason, /\/measurements\/energy\/value must be number,string,boolean,null/);
      assert.equal(o.rejected[0].deviceId, "meter-001");
    });
    it("rejects a payload that is not an object at all the same way", () => {
      for (const x of [42, "hello", null, [[1]]]) {
        const o = v().validate(x, T0, T0);
        assert.equal(o.rejected.length, 1, JSON.stringify(x));
        assert.equal(o.rejected[0].rule, "schema");
        assert.match(o.rejected[0].reason, /must be object/);
      }
    });
  });

  describe("clock drift (seed 002, Layer 1)", () => {
    it("45 s passes unchanged, 10 min is corrected (original kept, flag time-corrected), 2 h is rejected with one alert", () => {
      const val = v();
      const ref = T0 + 10 * Q;
      const a = val.validate(reading(ref - 45_000, { energy: 1 }), ref, ref);
      assert.equal(a.passed[0].timestamp, iso(ref - 45_000));
      assert.equal(a.passed[0].flags, undefined);
      assert.equal(a.passed[0].quality, "GOOD");

      const b = val.validate(reading(ref - 600_000, { energy: 2 }), ref, ref);
      const r = b.passed[0];
      assert.equal(r.timestamp, iso(ref));
      assert.equal(r.source?.originalTimestamp, iso(ref - 600_000));
      assert.equal(r.source?.protocol, "modbus", "the source is kept");
      assert.deepEqual(r.flags, ["time-corrected"]);
      assert.equal(r.quality, "ESTIMATED");
      assert.ok(validateReading(r).ok, "a corrected reading is still a canonical reading");

      const c = val.validate(reading(ref - 7_200_000, { energy: 3 }), ref, ref);
      assert.equal(c.passed.length, 0);
      assert.equal(c.rejected[0].rule, "drift");
      assert.match(c.rejected[0].reason, /7200 s behind the reference time/);
      assert.deepEqual(c.alerts, [{ alert: "clock-drift", deviceId: "meter-001", driftSeconds: -7200, timestamp: iso(ref - 7_200_000), reference: iso(ref) }]);
      // Once per device per hour, not once per reading.
      const d = val.validate(reading(ref + Q - 7_200_000, { energy: 4 }), ref + Q, ref + Q);
      assert.equal(d.rejected.length, 1);
      assert.equal(d.alerts.length, 0);
      const e = val.validate(reading(ref + 5 * Q - 7_200_000, { energy: 5 }), ref + 5 * Q, ref + 5 * Q);
      assert.equal(e.alerts.length, 1);
      const other = val.validate(reading(ref + Q - 7_200_000, { energy: 4 }, "meter-002"), ref + Q, ref + Q);
      assert.equal(other.alerts.length, 1, "another device has its own hour");
    });

    it("a replay hours later is judged against msg.receivedAt, not the node's clock", () => {
      const val = v();
      const ts = T0;
      const o = val.validate(reading(ts, { energy: 1 }), ts + 2000 /* receivedAt */, ts + 4 * 3_600_000 /* now */);
      assert.equal(o.passed.length, 1);
      assert.equal(o.passed[0].flags, undefined);
    });

    it("flag and reject in between; a reading without a source is flagged, not corrected", () => {
      const ref = T0;
      const f = v([], { drift: { ...DEFAULT_DRIFT, action: "flag" } }).validate(reading(ref + 600_000, { e: 1 }), ref, ref);
      assert.deepEqual(f.passed[0].flags, ["drift"]);
      assert.equal(f.passed[0].quality, "SUSPECT");
      assert.equal(f.passed[0].timestamp, iso(ref + 600_000));
      const r = v([], { drift: { ...DEFAULT_DRIFT, action: "reject" } }).validate(reading(ref + 600_000, { e: 1 }), ref, ref);
      assert.equal(r.rejected[0].rule, "drift");
      assert.equal(r.alerts.length, 0, "the clock-drift alert is for drift beyond the reject limit");
      const bare = reading(ref + 600_000, { e: 1 });
      delete bare.source;
      const n = v().validate(bare, ref, ref);
      assert.deepEqual(n.passed[0].flags, ["drift"]);
      assert.ok(validateReading(n.passed[0]).ok);
    });
  });

  describe("duplicates (seed 002: meter_id + timestamp)", () => {
    it("a duplicate in the same array as its original is dropped and counted", () => {
      const val = v();
      const r = reading(T0, { energy: 10 });
      const o = val.validate([r, structuredClone(r), reading(T0 + Q, { energy: 11 })], T0 + Q, T0 + Q);
      assert.equal(o.passed.length, 2);
      assert.equal(o.duplicates, 1);
      assert.equal(o.rejected.length, 0);
      assert.equal((val.stats().rules as Record<string, number>).duplicate, 1);
      assert.equal((val.stats().devices as Record<string, { duplicates: number }>)["meter-001"].duplicates, 1);
    });

    it("a duplicate with different values is rejected with rule duplicate-conflict", () => {
      const val = v();
      feed(val, reading(T0, { energy: 10 }));
      const o = feed(val, reading(T0, { energy: 12 }));
      assert.equal(o.rejected[0].rule, "duplicate-conflict");
      assert.match(o.rejected[0].reason, /meter-001 at 2026-02-08T00:00:00.000Z was already accepted with different values/);
    });

    it("the key is the ORIGINAL timestamp: a corrected reading replayed is still a duplicate", () => {
      const gw = v();
      const ref = T0 + 600_000;
      const r = gw.validate(reading(T0, { energy: 10 }), ref, ref).passed[0];
      assert.equal(r.source?.originalTimestamp, iso(T0));
      const cloud = v();
      const copy = structuredClone(r);
      assert.equal(cloud.validate(r, ref, ref + 3_600_000).passed.length, 1);
      const again = cloud.validate(copy, ref, ref + 3_600_000);
      assert.equal(again.duplicates, 1);
      // And the gateway's own key is the meter's time too.
      assert.equal(gw.validate(reading(T0, { energy: 10 }), ref, ref).duplicates, 1);
    });

    it("a rejected reading leaves no key (its corrected resend is judged afresh)", () => {
      const val = v([{ measurement: "energy", max: 100 }]);
      assert.equal(feed(val, reading(T0, { energy: 1000 })).rejected[0].rule, "range");
      assert.equal(feed(val, reading(T0, { energy: 10 })).passed.length, 1);
    });

    it("dedupHours 0 turns the check off", () => {
      const val = v([], { dedupHours: 0 });
      feed(val, reading(T0, { energy: 10 }));
      assert.equal(feed(val, reading(T0, { energy: 10 })).passed.length, 1);
    });
  });

  describe("range", () => {
    it("outside min/max is rejected by default, or flagged with action flag", () => {
      const o = feed(v([{ measurement: "voltage*", min: 0, max: 300 }]), reading(T0, { voltageL1: 400, energy: 5 }));
      assert.equal(o.rejected[0].rule, "range");
      assert.match(o.rejected[0].reason, /voltageL1: 400 is outside 0\.\.300 \(rule 1 \(voltage\*\)\)/);
      const f = feed(v([{ measurement: "voltage*", min: 0, max: 300, action: "flag" }]), reading(T0, { voltageL1: -1, energy: 5 }));
      const m = f.passed[0].measurements.voltageL1;
      assert.deepEqual([m.quality, m.flags], ["SUSPECT", ["range"]]);
      assert.equal(f.passed[0].quality, "SUSPECT");
      assert.equal(f.passed[0].measurements.energy.flags, undefined);
      assert.equal(f.flagged, 1);
    });
    it("a null value (no reading) is left to its own quality", () => {
      const o = feed(v([{ measurement: "*", min: 0 }]), reading(T0, { energy: null }));
      assert.equal(o.passed.length, 1);
    });
  });

  describe("monotonic registers", () => {
    const mono = (extra: Partial<Rule> = {}) => v([{ measurement: "energy*", monotonic: true, ...extra }]);

    it("a decrease is SUSPECT with flag counter-decrease", () => {
      const val = mono();
      feed(val, reading(T0, { energyImport: 1000 }));
      const o = feed(val, reading(T0 + Q, { energyImport: 990 }));
      assert.deepEqual(o.passed[0].measurements.energyImport, { value: 990, unit: "kWh", quality: "SUSPECT", flags: ["counter-decrease"] });
      assert.equal(o.passed[0].quality, "SUSPECT");
    });

    it("an acc32 register wrapping at 4294967295 is a rollover, not a decrease (IEC 62056 / Modbus acc32 counters)", () => {
      const val = mono({ rollover: 4294967295, maxRatePerHour: 10_000 });
      feed(val, reading(T0, { energyImport: 4294966000 }, "m", "Wh"));
      const o = feed(val, reading(T0 + Q, { energyImport: 700 }, "m", "Wh"));
      const m = o.passed[0].measurements.energyImport;
      assert.deepEqual(m.flags, ["rollover"]);
      assert.equal(m.quality, undefined, "a rollover leaves the quality as it is");
      assert.equal(o.passed[0].quality, "GOOD");
      assert.equal(o.flagged, 0);
      // The step across the wrap is 1295 + 700 = 1995 Wh in 15 min: 7980 Wh/h, under the rate limit.
      const next = feed(val, reading(T0 + 2 * Q, { energyImport: 1200 }, "m", "Wh"));
      assert.equal(next.passed[0].measurements.energyImport.flags, undefined);
    });

    it("a 99999.9 kWh register wrapping to 0.4 is a rollover", () => {
      const val = mono({ rollover: 99999.9 });
      feed(val, reading(T0, { energyImport: 99999.5 }));
      assert.deepEqual(feed(val, reading(T0 + Q, { energyImport: 0.4 })).passed[0].measurements.energyImport.flags, ["rollover"]);
    });

    it("a drop to near zero far from the rollover is a meter change: alert counter-reset, new baseline", () => {
      const val = mono({ rollover: 99999.9 });
      feed(val, reading(T0, { energyImport: 45210.7 }));
      const o = feed(val, reading(T0 + Q, { energyImport: 3.2 }));
      assert.deepEqual(o.passed[0].measurements.energyImport.flags, ["counter-reset"]);
      assert.equal(o.passed[0].quality, "GOOD");
      assert.deepEqual(o.alerts, [{ alert: "counter-reset", deviceId: "meter-001", measurement: "energyImport", previous: 45210.7, value: 3.2, timestamp: iso(T0 + Q) }]);
      // The new register is the baseline: 4.0 after 3.2 is a normal rise.
      const next = feed(val, reading(T0 + 2 * Q, { energyImport: 4.0 }));
      assert.equal(next.passed[0].measurements.energyImport.flags, undefined);
      assert.equal(next.alerts.length, 0);
    });

    it("out-of-order replay: older readings are checked against their neighbours in time, not the newest", () => {
      const val = mono({ maxRatePerHour: 100 });
      // Live: t0..t3, then (after an outage) t10; the backlog t4..t9 arrives afterwards.
      for (let i = 0; i <= 3; i++) feed(val, reading(T0 + i * Q, { energyImport: 1000 + i * 5 }));
      feed(val, reading(T0 + 10 * Q, { energyImport: 1050 }));
      // Each replayed message carries its msg.receivedAt (when the gateway first received it).
      const replayed = [];
      for (let i = 4; i <= 9; i++) replayed.push(val.validate(reading(T0 + i * Q, { energyImport: 1000 + i * 5 }), T0 + i * Q + 1000, T0 + 11 * Q));
      assert.equal(replayed.flatMap((o) => o.passed).length, 6);
      assert.equal(replayed.reduce((n, o) => n + o.flagged, 0), 0, JSON.stringify(replayed.map((o) => o.passed[0]?.measurements.energyImport)));
      // A replayed value above its later neighbour is a decrease; the newest is not disturbed.
      const bad = val.validate(reading(T0 + 9 * Q + 60_000, { energyImport: 1080 }), T0 + 9 * Q + 61_000, T0 + 11 * Q);
      // (and 35 kWh in a minute after 1045 is a rate no meter has)
      assert.deepEqual(bad.passed[0].measurements.energyImport.flags, ["counter-decrease", "rate"]);
      const live = feed(val, reading(T0 + 11 * Q, { energyImport: 1055 }));
      assert.equal(live.passed[0].measurements.energyImport.flags, undefined);
    });
  });

  describe("rate, flatline", () => {
    it("a rise faster than maxRatePerHour is SUSPECT with flag rate", () => {
      const val = v([{ measurement: "energy", monotonic: true, maxRatePerHour: 50 }]);
      feed(val, reading(T0, { energy: 100 }));
      assert.equal(feed(val, reading(T0 + Q, { energy: 110 })).flagged, 0); // 40/h
      const o = feed(val, reading(T0 + 2 * Q, { energy: 130 })); // 80/h
      assert.deepEqual(o.passed[0].measurements.energy.flags, ["rate"]);
      assert.match(JSON.stringify(val.stats().rules), /"rate":1/);
    });

    it("the same value N times in a row is a flatline (a stuck sensor)", () => {
      const val = v([{ measurement: "temp", flatline: 3 }]);
      const flags = [4, 4, 4, 4, 5].map((x, i) => feed(val, reading(T0 + i * Q, { temp: x }, "s", "Cel")).passed[0].measurements.temp.flags);
      assert.deepEqual(flags, [undefined, undefined, ["flatline"], ["flatline"], undefined]);
    });
  });

  describe("sigma baselines", () => {
    it("after the warm-up, a value beyond sigma σ is a spike; flagged values never feed the baseline", () => {
      const val = v([{ measurement: "power", sigma: 3, sigmaWarmup: 20 }]);
      let t = T0;
      for (let i = 0; i < 19; i++) feed(val, reading((t += Q), { power: 10 + (i % 3) }, "m", "kW"));
      assert.equal(feed(val, reading((t += Q), { power: 100 }, "m", "kW")).flagged, 0, "still warming up: 19 values");
      // 100 fed the baseline (it was GOOD), so warm up more with normal values.
      for (let i = 0; i < 40; i++) feed(val, reading((t += Q), { power: 10 + (i % 3) }, "m", "kW"));
      const spike = feed(val, reading((t += Q), { power: 200 }, "m", "kW"));
      assert.deepEqual(spike.passed[0].measurements.power.flags, ["spike"]);
      const before = val.baseline("m", "power");
      assert.equal(before?.[0], 60, "the 60 GOOD values fed the baseline, the spike did not");
      feed(val, reading((t += Q), { power: 300 }, "m", "kW"));
      assert.deepEqual(val.baseline("m", "power"), before, "a flagged value does not feed the baseline");
      assert.equal(feed(val, reading(t + Q, { power: 11 }, "m", "kW")).flagged, 0);
    });

    it("sigmaBy hour keeps one baseline per hour of day in the node's zone (a strong daily pattern, seed 000)", () => {
      // Night load ~1 kW, evening peak ~8 kW (seed 000: "realistic daily patterns (peak/off-peak)").
      const val = v([{ measurement: "power", sigma: 4, sigmaBy: "hour", sigmaWarmup: 8 }], { timeZone: "America/New_York" });
      const day = 86_400_000;
      const base = Date.parse("2026-02-02T05:00:00.000Z"); // midnight in New York (UTC-5)
      for (let d = 0; d < 10; d++) {
        feed(val, reading(base + d * day + 3 * 3_600_000, { power: 1 + (d % 2) * 0.1 }, "m", "kW")); // 03:00 local
        feed(val, reading(base + d * day + 19 * 3_600_000, { power: 8 + (d % 2) * 0.4 }, "m", "kW")); // 19:00 local
      }
      const d = 10;
      assert.equal(feed(val, reading(base + d * day + 19 * 3_600_000, { power: 8.2 }, "m", "kW")).flagged, 0, "8 kW at 19:00 is the evening peak");
      const night = feed(val, reading(base + d * day + 3 * 3_600_000 + Q, { power: 8.2 }, "m", "kW"));
      assert.deepEqual(night.passed[0].measurements.power.flags, ["spike"], "8 kW at 03:15 is not");
      // With one baseline for all hours, the same 8 kW at night would pass (σ spans the whole day).
      const flat = v([{ measurement: "power", sigma: 4, sigmaWarmup: 8 }]);
      for (let k = 0; k < 10; k++) {
        feed(flat, reading(base + k * day + 3 * 3_600_000, { power: 1 + (k % 2) * 0.1 }, "m", "kW"));
        feed(flat, reading(base + k * day + 19 * 3_600_000, { power: 8 + (k % 2) * 0.4 }, "m", "kW"));
      }
      assert.equal(feed(flat, reading(base + d * day + 3 * 3_600_000 + Q, { power: 8.2 }, "m", "kW")).flagged, 0);
    });

    it("for a monotonic register, sigma applies to the step, not to the register", () => {
      const val = v([{ measurement: "energy", monotonic: true, sigma: 3, sigmaWarmup: 10 }]);
      let t = T0;
      let e = 5000;
      for (let i = 0; i < 30; i++) feed(val, reading((t += Q), { energy: (e += 1 + (i % 2) * 0.2) }));
      // The register itself has a huge spread (it only grows); a normal step passes, a 20x step is a spike.
      assert.equal(feed(val, reading((t += Q), { energy: (e += 1.1) })).flagged, 0);
      assert.deepEqual(feed(val, reading(t + Q, { energy: e + 20 })).passed[0].measurements.energy.flags, ["spike"]);
    });
  });

  describe("silence, reset, stats, state", () => {
    it("alerts silent once for a device not heard from, and back when it returns", () => {
      const val = v([], { silenceSeconds: 1800 });
      feed(val, reading(T0, { e: 1 }));
      assert.deepEqual(val.checkSilence(T0 + 1_800_000), []);
      assert.deepEqual(val.checkSilence(T0 + 1_800_001), [{ alert: "silent", deviceId: "meter-001", lastHeard: iso(T0), silentSeconds: 1800 }]);
      assert.deepEqual(val.checkSilence(T0 + 3_600_000), [], "once");
      const o = feed(val, reading(T0 + 4 * Q, { e: 2 }));
      assert.deepEqual(o.alerts, [{ alert: "back", deviceId: "meter-001", timestamp: iso(T0 + 4 * Q) }]);
      assert.deepEqual(v([], { silenceSeconds: 0 }).checkSilence(T0 + 1e9), []);
    });

    it("reset forgets one device's baselines (or all); dedup keys stay", () => {
      const val = v([{ measurement: "energy", monotonic: true }]);
      feed(val, reading(T0, { energy: 100 }, "a"));
      feed(val, reading(T0, { energy: 100 }, "b"));
      assert.equal(val.reset("a"), 1);
      assert.equal(feed(val, reading(T0 + Q, { energy: 50 }, "a")).flagged, 0, "no baseline: no decrease");
      assert.equal(feed(val, reading(T0 + Q, { energy: 50 }, "b")).flagged, 1);
      assert.equal(feed(val, reading(T0, { energy: 100 }, "a")).duplicates, 1);
      assert.equal(val.reset("nobody"), 0);
      assert.equal(val.reset(), 2);
    });

    it("stats counts per rule and per device", () => {
      const val = v([{ measurement: "energy", max: 1000 }]);
      val.validate([reading(T0, { energy: 1 }), reading(T0, { energy: 1 }), reading(T0 + 30_000, { energy: 5000 }), 7], T0, T0);
      const s = val.stats();
      assert.equal(s.passed, 1);
      assert.equal(s.rejected, 2);
      assert.equal(s.duplicates, 1);
      assert.deepEqual(s.rules, { duplicate: 1, range: 1, schema: 1 });
      assert.deepEqual((s.devices as Record<string, unknown>)["meter-001"], { passed: 1, flagged: 0, rejected: 1, duplicates: 1 });
      assert.deepEqual(s.dedup, { keys: 1, expired: 0, capped: 0, maxKeys: 100_000, windowHours: 48 });
    });

    it("the state survives toJSON → JSON → load: baselines, recent values, dedup keys, counts", () => {
      const rules: Rule[] = [{ measurement: "energy", monotonic: true, sigma: 3, sigmaWarmup: 5 }];
      const a = v(rules, { silenceSeconds: 60 });
      for (let i = 0; i < 10; i++) feed(a, reading(T0 + i * Q, { energy: 100 + i }));
      const b = v(rules, { silenceSeconds: 60 });
      b.load(JSON.parse(JSON.stringify(a.toJSON())), T0 + 10 * Q);
      assert.deepEqual(b.toJSON(), a.toJSON());
      assert.equal(feed(b, reading(T0 + 9 * Q, { energy: 109 })).duplicates, 1);
      assert.equal(feed(b, reading(T0 + 10 * Q, { energy: 90 })).passed[0].measurements.energy.flags?.[0], "counter-decrease");
      b.load({ version: 3 } as never, T0);
      b.load(undefined, T0);
    });

    it("the state document stays small: 96 readings of a 20-measurement meter with the five rules of the bench are under 3.8 kB (version 2 took 4.7, the first format 11)", () => {
      // The bench's rules (bench/validate.bench.js); 10,000 such meters over 48 h are what issue 8 sizes.
      const rules: Rule[] = [
        { measurement: "energy*", monotonic: true, rollover: 99999.9, maxRatePerHour: 100 },
        { measurement: "voltage*", min: 180, max: 260 },
        { measurement: "current*", min: 0, max: 100 },
        { measurement: "power*", sigma: 4, sigmaBy: "hour", sigmaWarmup: 96 },
        { measurement: "temp*", flatline: 96 },
      ];
      const names = ["energyImport", "energyExport", "energyReactive", "energyApparent", "voltageL1", "voltageL2", "voltageL3", "currentL1", "currentL2", "currentL3", "powerActive", "powerReactive", "powerApparent", "powerFactor", "temperature", "frequency", "thd", "tempCase", "voltageN", "currentN"];
      const a = v(rules);
      const t0 = Date.now() - 47 * 3_600_000;
      for (let k = 0; k < 192; k++) {
        const values: Record<string, number> = {};
        names.forEach((n, i) => (values[n] = n.startsWith("energy") ? 1000 + k * 0.25 + i : n.startsWith("voltage") ? 230 + (k % 7) / 10 : n.startsWith("power") ? 5 + ((k * 7 + i) % 11) / 10 + k / 1000 : 20 + (k % 5)));
        a.validate(reading(t0 + k * Q, values, "meter-000000042", "V"), t0 + k * Q, t0 + k * Q);
      }
      const text = JSON.stringify(a.toJSON());
      assert.ok(text.length < 3800, `${text.length} bytes for one meter (version 2 took 4,672)`);
      // And it is the same state after a restart.
      const b = v(rules);
      b.load(JSON.parse(text), t0 + 192 * Q);
      assert.equal(JSON.stringify(b.toJSON()), text);
    });

    it("a first-format state (version 1: epoch ms, CRC-32 fingerprints) is still read; its keys drop a replay as a duplicate, never as a conflict", () => {
      const rules: Rule[] = [{ measurement: "energy", monotonic: true }];
      const v1 = {
        version: 1,
        devices: { "meter-001": { h: T0, c: { passed: 2, flagged: 0, rejected: 0, duplicates: 0 }, m: { energy: { t: [T0, T0 + Q], v: [100, 101], r: 1 } } } },
        dedup: { devices: { "meter-001": [[T0, T0 + Q], [123456789, 987654321]] } },
        totals: { passed: 2, flagged: 0, rejected: 0, duplicates: 0 },
        rules: {},
      };
      const b = v(rules);
      b.load(v1 as never, T0 + 2 * Q);
      assert.equal(feed(b, reading(T0 + Q, { energy: 101 })).duplicates, 1);
      assert.equal(feed(b, reading(T0 + 2 * Q, { energy: 100.5 })).passed[0].measurements.energy.flags?.[0], "counter-decrease", "the series came back");
      // Saved again in the present format, and read back, the old keys still match any fingerprint.
      const c = v(rules);
      c.load(JSON.parse(JSON.stringify(b.toJSON())), T0 + 3 * Q);
      assert.equal(feed(c, reading(T0, { energy: 100 })).duplicates, 1);
    });
  });
});
