// The decision tree of issue 11 (lwm2m-diagnose), cause by cause, with its evidence and its boundaries.
// Rules: issue 11's defaults. Enumerations: OMA LwM2M registry 3.xml (Error Code, Battery Status, Available Power
// Sources), 4.xml (Network Bearer, Coverage Enhancement Level), 5.xml (Update Result 8 = "Firmware update failed").
// Tree order: the seeds' remote-diagnostics framework (reboots → signal → error logs → battery, memory, firmware).
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { Diagnoser, DEFAULT_RULES, type Diagnosis, type Rules } from "../../../nodes/lwm2m-diagnose";
import { clockAt, conn, DAY, device, HOUR, snapshot, T0 } from "./fixtures";

const make = (over: Partial<Rules> = {}) => new Diagnoser({ ...DEFAULT_RULES, ...over });
const ev = (d: Diagnosis, path: string) => d.evidence.filter((e) => e.path === path);
const step = (d: Diagnosis, name: string) => d.checks.find((c) => c.step === name);

describe("lwm2m-diagnose tree", () => {
  it("the OMA example device on good LTE is healthy, every step of the tree walked", () => {
    const d = make().input(snapshot("ep", T0, device(), conn()), 0);
    assert.equal(d.cause, "healthy");
    assert.equal(d.truckRoll, false);
    assert.equal(d.severity, "none");
    assert.deepEqual(d.checks.map((c) => c.step), ["reboots", "signal", "errors", "battery", "memory", "firmware", "hardware"]);
    assert.equal(d.at, new Date(T0).toISOString());
    assert.equal(d.endpoint, "ep");
  });

  it("nothing read yet is unknown, and the remediation says what to read", () => {
    const d = make().input({ event: "registered", endpoint: "ep", at: T0 }, 0);
    assert.equal(d.cause, "unknown");
    assert.match(d.remediation.action, /\/3\/0, \/4\/0, \/5\/0 and \/7\/0/);
  });

  describe("poor signal, by bearer (/4/0/0)", () => {
    const cases: [string, Record<string, unknown>, string, unknown][] = [
      ["LTE-FDD RSRP -116 dBm", { "0": 6, "2": -116 }, "/4/0/2", -116],
      ["LTE-TDD SINR -1 dB", { "0": 5, "11": -1 }, "/4/0/11", -1],
      ["NB-IoT NRSRP -120 dBm, CE level 0", { "0": 7, "2": -120, "13": 1 }, "/4/0/2", -120],
      ["GSM RSSI -101 dBm", { "0": 0, "2": -101, "11": undefined }, "/4/0/2", -101],
      ["WLAN -81 dBm", { "0": 21, "2": -81, "11": undefined }, "/4/0/2", -81],
    ];
    for (const [name, c, path, value] of cases) {
      it(name, () => {
        const d = make().input(snapshot("ep", T0, device(), conn(c)), 0);
        assert.equal(d.cause, "poor-signal", JSON.stringify(d.checks));
        assert.deepEqual(ev(d, path).map((e) => e.value), [value]);
        assert.ok(ev(d, path)[0].threshold, "the threshold is in the evidence");
        assert.equal(d.remediation.remote, true);
        assert.equal(d.truckRoll, false);
      });
    }
    it("at the floors exactly it is not poor: RSRP -115, SINR 0, GSM -100, WLAN -80 (strictly below)", () => {
      for (const c of [{ "0": 6, "2": -115, "11": 0 }, { "0": 0, "2": -100 }, { "0": 21, "2": -80 }]) {
        const d = make().input(snapshot("ep", T0, device(), conn({ "11": undefined, ...c })), 0);
        assert.equal(d.cause, "healthy", JSON.stringify(c));
      }
    });
    it("GSM at -105 dBm is poor by the GSM floor, not the LTE one; the floors are configurable", () => {
      assert.equal(make().input(snapshot("ep", T0, device(), conn({ "0": 0, "2": -105, "11": undefined })), 0).cause, "poor-signal");
      assert.equal(make({ gsmRssiMinDbm: -110 }).input(snapshot("ep", T0, device(), conn({ "0": 0, "2": -105, "11": undefined })), 0).cause, "healthy");
    });
    it("error code 4 (Low received signal strength) is poor signal", () => {
      const d = make().input(snapshot("ep", T0, device({ "11": { "0": 4 } }), undefined), 0);
      assert.equal(d.cause, "poor-signal");
      assert.deepEqual(ev(d, "/3/0/11")[0].value, 4);
    });
    it("the remediation offers another available bearer (/4/0/1)", () => {
      const d = make().input(snapshot("ep", T0, device(), conn({ "2": -125 })), 0);
      assert.match(d.remediation.action, /WLAN/);
    });
  });

  describe("NB-IoT deep coverage (/4/0/13 ≥ 3) is a battery drain, not a link failure", () => {
    it("CE level 2 (value 3) with a low NRSRP is not poor signal but a drain on the battery", () => {
      const d = make().input(snapshot("ep", T0, device(), conn({ "0": 7, "2": -125, "13": 3 })), 0);
      assert.equal(d.cause, "dying-battery");
      assert.equal(d.severity, "warning");
      assert.equal(ev(d, "/4/0/13")[0].value, 3);
      assert.equal(step(d, "signal")?.outcome, "deep coverage");
      assert.match(d.remediation.action, /PSM\/eDRX/);
    });
    it("value 2 (CE level 1) is not deep coverage", () => {
      const d = make().input(snapshot("ep", T0, device(), conn({ "0": 7, "2": -100, "13": 2 })), 0);
      assert.equal(d.cause, "healthy");
    });
  });

  describe("dying battery", () => {
    it("Battery Status 4 (Low Battery)", () => {
      const d = make().input(snapshot("ep", T0, device({ "20": 4 }), conn()), 0);
      assert.equal(d.cause, "dying-battery");
      assert.equal(ev(d, "/3/0/20")[0].value, 4);
    });
    it("error code 1 (Low battery power), among other instances of /3/0/11", () => {
      const d = make().input(snapshot("ep", T0, device({ "11": { "0": 1, "1": 6 } }), conn()), 0);
      assert.equal(d.cause, "dying-battery");
      assert.deepEqual(ev(d, "/3/0/11").map((e) => e.value), [1]);
    });
    it("level below 15 %: 14 is low, 15 is not", () => {
      assert.equal(make().input(snapshot("ep", T0, device({ "9": 14 }), conn()), 0).cause, "dying-battery");
      assert.equal(make().input(snapshot("ep", T0, device({ "9": 15 }), conn()), 0).cause, "healthy");
    });
    it("the internal battery's voltage: the /3/0/7 instance matching the /3/0/6 instance whose value is 1", () => {
      // power source instance 1 is the internal battery (value 1); instance 0 is DC power (value 0)
      const dev = device({ "6": { "0": 0, "1": 1 }, "7": { "0": 3000, "1": 3100 } });
      const d = make({ batteryMinMv: 3300 }).input(snapshot("ep", T0, dev, conn()), 0);
      assert.equal(d.cause, "dying-battery");
      assert.deepEqual(ev(d, "/3/0/7/1").map((e) => e.value), [3100]);
      // the DC supply's 3000 mV on instance 0 is not the battery
      const ok = device({ "6": { "0": 0, "1": 1 }, "7": { "0": 3000, "1": 3400 } });
      assert.equal(make({ batteryMinMv: 3300 }).input(snapshot("ep", T0, ok, conn()), 0).cause, "healthy");
      // without a floor configured, voltage is not judged
      assert.equal(make().input(snapshot("ep", T0, dev, conn()), 0).cause, "healthy");
    });
    it("a mains-powered device (no /3/0/6 instance is 1) has no battery to judge", () => {
      const d = make().input(snapshot("ep", T0, device({ "6": { "0": 6 }, "9": 3, "20": 4 }), conn()), 0);
      assert.equal(d.cause, "healthy");
      assert.equal(step(d, "battery")?.outcome, "no battery");
    });
    it("a level falling fast enough to be empty within 7 days", () => {
      const dz = make();
      let d: Diagnosis | undefined;
      // 80 % falling 12 %/day: empty in under 7 days
      for (let i = 0; i < 4; i++) d = dz.input(snapshot("ep", T0 + i * DAY, device({ "9": 80 - 12 * i }), conn()), 0);
      assert.equal(d?.cause, "dying-battery");
      assert.match(ev(d as Diagnosis, "/3/0/9")[0].rule, /empty in 3\.7 days/);
      // 80 % falling 5 %/day: 13 days left, not within 7
      const slow = make();
      for (let i = 0; i < 4; i++) d = slow.input(snapshot("ep", T0 + i * DAY, device({ "9": 80 - 5 * i }), conn()), 0);
      assert.equal(d?.cause, "healthy");
      assert.equal(step(d as Diagnosis, "battery")?.outcome, "ok");
    });
    it("a charge (a rise of more than 5 points) starts the trend again", () => {
      const dz = make();
      let d: Diagnosis | undefined;
      for (const [i, lvl] of [80, 68, 56, 90, 89].entries()) d = dz.input(snapshot("ep", T0 + i * DAY, device({ "9": lvl }), conn()), 0);
      assert.equal(d?.cause, "healthy");
    });
  });

  describe("memory leak", () => {
    it("error code 5 (Out of memory)", () => {
      const d = make().input(snapshot("ep", T0, device({ "11": { "0": 5 } }), conn()), 0);
      assert.equal(d.cause, "memory-leak");
      assert.equal(d.severity, "major");
      assert.match(d.remediation.action, /Reboot \(\/3\/0\/4\)/);
    });
    it("Memory Free falling steadily, exhausted within 7 days", () => {
      const dz = make();
      let d: Diagnosis | undefined;
      for (let i = 0; i < 5; i++) d = dz.input(snapshot("ep", T0 + i * 12 * HOUR, device({ "10": 100 - 8 * i }), conn()), 0);
      assert.equal(d?.cause, "memory-leak");
      const e = ev(d as Diagnosis, "/3/0/10")[0];
      assert.equal(e.value, 68);
      assert.match(e.rule, /falling 16 kB\/day since the last reboot/);
      assert.match(e.rule, /exhausted in 4\.3 days/);
      assert.equal(e.threshold, "exhausted within 7 days");
    });
    it("boundaries: two samples are no trend; noise is not steady; a slow fall beyond 7 days is not a leak", () => {
      const two = make();
      two.input(snapshot("ep", T0, device({ "10": 100 }), conn()), 0);
      let d = two.input(snapshot("ep", T0 + DAY, device({ "10": 50 }), conn()), 0);
      assert.equal(d.cause, "healthy", "2 samples < minSamples 3");
      const noisy = make();
      for (const [i, m] of [100, 80, 95, 70, 90, 60].entries()) d = noisy.input(snapshot("ep", T0 + i * HOUR, device({ "10": m }), conn()), 0);
      assert.equal(d.cause, "healthy", "half the steps rise: not steady");
      const slow = make();
      for (let i = 0; i < 5; i++) d = slow.input(snapshot("ep", T0 + i * DAY, device({ "10": 100 - 5 * i }), conn()), 0);
      assert.equal(d.cause, "healthy", "80 kB at 5 kB/day: 16 days");
      assert.equal(step(d, "memory")?.outcome, "falling");
    });
    it("the sawtooth: a fall reset by each reboot is a leak even just after a reboot", () => {
      const dz = make();
      let t = T0;
      dz.input({ event: "registered", endpoint: "ep", at: t }, 0);
      for (let tooth = 0; tooth < 2; tooth++) {
        for (let i = 0; i < 4; i++) {
          t += 6 * HOUR;
          dz.input(snapshot("ep", t, device({ "10": 100 - 10 * i }), conn()), 0);
        }
        t += HOUR;
        dz.input({ event: "registered", endpoint: "ep", at: t }, 0); // the device restarts: memory comes back
      }
      t += HOUR;
      const d = dz.input(snapshot("ep", t, device({ "10": 100 }), conn()), 0);
      assert.equal(d.cause, "memory-leak", JSON.stringify(d.checks));
      const e = ev(d, "/3/0/10")[0];
      assert.match(e.rule, /before the last reboot, then reset/);
      assert.match(e.rule, /1 earlier tooth of the sawtooth fell too/);
      assert.equal(d.reboots, 1, "the first reboot is more than 24 h ago");
    });
    it("a reset the history did not see (a rise over 20 %) still cuts the sawtooth", () => {
      const dz = make();
      let d: Diagnosis | undefined;
      for (const [i, m] of [100, 90, 80, 70, 100, 90].entries()) d = dz.input(snapshot("ep", T0 + i * 6 * HOUR, device({ "10": m }), conn()), 0);
      assert.equal(d?.cause, "memory-leak");
    });
  });

  describe("reboots (Object 3 has no reboot counter: inferred)", () => {
    const loop = (dz: Diagnoser, n: number, start = T0, how: "registered" | "restarted" = "registered") => {
      for (let i = 0; i <= n; i++) dz.input({ event: how, endpoint: "ep", at: start + i * HOUR }, 0);
    };
    it("more than 3 restarts in 24 h is a reboot loop: 3 is not, 4 is", () => {
      const three = make();
      three.input(snapshot("ep", T0, device(), conn()), 0);
      loop(three, 3, T0 + 1);
      let d = three.diagnose("ep", T0 + 4 * HOUR) as Diagnosis;
      assert.equal(d.reboots, 3);
      assert.equal(step(d, "reboots")?.outcome, "some");
      assert.equal(d.cause, "healthy");
      const four = make();
      four.input(snapshot("ep", T0, device(), conn()), 0);
      loop(four, 4, T0 + 1);
      d = four.diagnose("ep", T0 + 5 * HOUR) as Diagnosis;
      assert.equal(step(d, "reboots")?.outcome, "reboot loop");
      assert.equal(d.cause, "firmware-bug", "a loop with good signal, battery and memory");
      assert.equal(d.severity, "critical");
      assert.match(d.evidence[0].rule, /good signal, battery, memory/);
      assert.equal(d.evidence[0].threshold, "> 3");
    });
    it("restarts older than the window do not count", () => {
      const dz = make();
      dz.input(snapshot("ep", T0, device(), conn()), 0);
      loop(dz, 4, T0 + 1);
      assert.equal(dz.diagnose("ep", T0 + 4 * HOUR + 1 + 24 * HOUR)?.reboots, 0);
    });
    it("a Register right after expiry is a lost link, not a reboot; after a de-register it is", () => {
      const dz = make();
      dz.input({ event: "registered", endpoint: "ep", at: T0 }, 0);
      dz.input({ event: "expired", endpoint: "ep", at: T0 + HOUR }, 0);
      assert.equal(dz.input({ event: "registered", endpoint: "ep", at: T0 + 2 * HOUR }, 0).reboots, 0);
      dz.input({ event: "deregistered", endpoint: "ep", at: T0 + 3 * HOUR }, 0);
      assert.equal(dz.input({ event: "registered", endpoint: "ep", at: T0 + 4 * HOUR }, 0).reboots, 1);
    });
    it("Current Time (/3/0/13) jumping back is a reboot, counted once with the restarted event", () => {
      const dz = make();
      dz.input(snapshot("ep", T0, device({ "13": clockAt(T0) }), conn()), 0);
      let d = dz.input(snapshot("ep", T0 + HOUR, device({ "13": "1970-01-01T00:10:00.000Z" }), conn()), 0);
      assert.equal(d.reboots, 1);
      assert.equal(step(d, "reboots")?.detail, "1 in 24 h");
      // a restarted event, then the clock found back at the next read: one reboot
      dz.input({ event: "restarted", endpoint: "ep", at: T0 + 2 * HOUR }, 0);
      d = dz.input(snapshot("ep", T0 + 2 * HOUR + 60_000, device({ "13": "1970-01-01T00:01:00.000Z" }), conn()), 0);
      assert.equal(d.reboots, 2);
      // a clock that moves back by less than 60 s is a correction (NTP), not a reboot
      const small = make();
      small.input(snapshot("ep", T0, device({ "13": clockAt(T0) }), conn()), 0);
      d = small.input(snapshot("ep", T0 + HOUR, device({ "13": clockAt(T0 - 30_000) }), conn()), 0);
      assert.equal(d.reboots, 0);
    });
    it("a reboot loop with poor signal is poor signal, the loop in the evidence", () => {
      const dz = make();
      dz.input(snapshot("ep", T0, device(), conn({ "2": -121 })), 0);
      loop(dz, 4, T0 + 1);
      const d = dz.diagnose("ep", T0 + 5 * HOUR) as Diagnosis;
      assert.equal(d.cause, "poor-signal");
      assert.equal(d.severity, "critical");
      assert.deepEqual(d.evidence.map((e) => e.path), ["/3/0", "/4/0/2"]);
    });
    it("a reboot loop with nothing else read is a firmware bug by elimination, with low confidence", () => {
      const dz = make();
      loop(dz, 4);
      const d = dz.diagnose("ep", T0 + 5 * HOUR) as Diagnosis;
      assert.equal(d.cause, "firmware-bug");
      assert.ok(d.confidence < 0.5, String(d.confidence));
      assert.match(d.evidence[0].rule, /no data on signal, battery, memory/);
    });
  });

  describe("firmware bug", () => {
    it("Update Result 8 (/5/0/5)", () => {
      const d = make().input(snapshot("ep", T0, device(), conn(), { "3": 0, "5": 8 }), 0);
      assert.equal(d.cause, "firmware-bug");
      assert.equal(ev(d, "/5/0/5")[0].value, 8);
    });
    it("restarts that began after a version change (/3/0/3), with the roll-back in the remediation", () => {
      const dz = make();
      dz.input({ event: "registered", endpoint: "ep", at: T0 }, 0);
      dz.input(snapshot("ep", T0 + HOUR, device({ "3": "1.0" }), conn()), 0);
      dz.input({ event: "registered", endpoint: "ep", at: T0 + 2 * HOUR }, 0); // the update's own restart
      dz.input(snapshot("ep", T0 + 2 * HOUR + 1, device({ "3": "1.1" }), conn()), 0);
      dz.input({ event: "registered", endpoint: "ep", at: T0 + 5 * HOUR }, 0);
      const d = dz.input({ event: "registered", endpoint: "ep", at: T0 + 8 * HOUR }, 0);
      assert.equal(d.cause, "firmware-bug");
      const e = ev(d, "/3/0/3")[0];
      assert.equal(e.value, "1.1");
      assert.match(e.rule, /2 restarts since the firmware changed from 1\.0/);
      assert.match(d.remediation.action, /roll back from 1\.1 to 1\.0/);
      assert.ok(d.reboots <= 3, "not a loop: the version change explains it");
    });
    it("an error that appeared after a version change", () => {
      const dz = make();
      dz.input(snapshot("ep", T0, device({ "3": "1.0" }), conn()), 0);
      dz.input(snapshot("ep", T0 + HOUR, device({ "3": "2.0" }), conn()), 0);
      const d = dz.input(snapshot("ep", T0 + 2 * HOUR, device({ "3": "2.0", "11": { "0": 7 } }), conn()), 0);
      assert.equal(d.cause, "firmware-bug");
      assert.match(ev(d, "/3/0/11")[0].rule, /after the firmware changed from 1\.0 to 2\.0/);
    });
  });

  describe("hardware fault: the only truck roll", () => {
    for (const [name, dev, part] of [
      ["error code 3 (GPS module failure)", { "11": { "0": 3 } }, "GPS module"],
      ["error code 8 (Peripheral malfunction)", { "11": { "0": 8 } }, "peripheral (see Event Log, Object 20)"],
      ["Battery Status 3 (Damaged)", { "20": 3 }, "internal battery"],
    ] as const) {
      it(name, () => {
        const d = make().input(snapshot("ep", T0, device(dev), conn()), 0);
        assert.equal(d.cause, "hardware-fault");
        assert.equal(d.truckRoll, true);
        assert.equal(d.remediation.remote, false);
        assert.equal(d.remediation.part, part);
        assert.equal(d.severity, "critical");
      });
    }
    it("an unexplained error is unknown until a remote reboot; persisting after it, it is a hardware fault", () => {
      const dz = make();
      let d = dz.input(snapshot("ep", T0, device({ "11": { "0": 2 } }), conn()), 0);
      assert.equal(d.cause, "unknown");
      assert.match(d.remediation.action, /execute Reboot \(\/3\/0\/4\)/);
      dz.input({ event: "registered", endpoint: "ep", at: T0 + HOUR }, 0);
      dz.input({ event: "restarted", endpoint: "ep", at: T0 + 2 * HOUR }, 0);
      d = dz.input(snapshot("ep", T0 + 2 * HOUR + 1, device({ "11": { "0": 2 } }), conn()), 0);
      assert.equal(d.cause, "hardware-fault");
      assert.match(ev(d, "/3/0/11")[0].rule, /persisted after a reboot/);
      assert.equal(d.remediation.part, "external power supply");
      // a fault that cleared with the reboot is not
      const gone = make();
      gone.input(snapshot("ep", T0, device({ "11": { "0": 6 } }), conn()), 0);
      gone.input({ event: "restarted", endpoint: "ep", at: T0 + HOUR }, 0);
      assert.equal(gone.input(snapshot("ep", T0 + HOUR + 1, device(), conn()), 0).cause, "healthy");
    });
    it("the other findings stay in `also`", () => {
      const d = make().input(snapshot("ep", T0, device({ "20": 3, "9": 5 }), conn({ "2": -130 })), 0);
      assert.equal(d.cause, "hardware-fault");
      assert.deepEqual(d.also, ["poor-signal", "dying-battery"]);
    });
  });

  describe("inputs", () => {
    it("a read of /3/0 (resources at the top) and a read of /3 (instances) give the same diagnosis", () => {
      const a = make().input({ endpoint: "ep", at: T0, objects: { "3": device({ "9": 10 }), "4": conn() } }, 0);
      const b = make().input(snapshot("ep", T0, device({ "9": 10 }), conn()), 0);
      assert.deepEqual(a, b);
      assert.equal(a.cause, "dying-battery");
    });
    it("a bare single-instance multi-resource and integers as decimal strings are read", () => {
      const d = make().input(snapshot("ep", T0, device({ "11": 5, "9": "50" }), conn()), 0);
      assert.equal(d.cause, "memory-leak");
    });
    it("notify and send carry values", () => {
      const dz = make();
      dz.input(snapshot("ep", T0, device(), conn()), 0);
      let d = dz.input({ event: "notify", endpoint: "ep", at: T0 + 1, path: "/3/0/20", value: 4 }, 0);
      assert.equal(d.cause, "dying-battery");
      d = dz.input({ event: "send", endpoint: "ep", at: T0 + 2, values: { "/3/0/20": 0, "/4/0/2": -130 } }, 0);
      assert.equal(d.cause, "poor-signal");
      // a Send as lwm2m-in gives it (path "/dp", the values nested by object): only what it carries changes
      d = dz.input({ event: "send", endpoint: "ep", at: T0 + 3, path: "/dp", value: { "4": { "0": { "2": -90 } }, "3": { "0": { "9": 9 } } } }, 0);
      assert.equal(d.cause, "dying-battery");
      assert.equal(step(d, "signal")?.outcome, "ok");
    });
    it("refuses what it cannot read, naming the property", () => {
      const dz = make();
      assert.throws(() => dz.input("x", 0), /msg\.payload must be a snapshot/);
      assert.throws(() => dz.input({ objects: {} }, 0), /endpoint/);
      assert.throws(() => dz.input({ endpoint: "e", event: "boot" }, 0), /not an lwm2m-in event/);
      assert.throws(() => dz.input({ endpoint: "e", objects: { "6": {} } }, 0), /none of objects 3/);
      assert.throws(() => dz.input({ endpoint: "e", at: "yesterday", objects: { "3": device() } }, 0), /not a time/);
      assert.throws(() => dz.input({ endpoint: "e" }, 0), /neither objects/);
    });
    it("the endpoint may come from msg.endpoint", () => {
      assert.equal(make().input({ objects: { "3": device() } }, T0, "from-msg").endpoint, "from-msg");
    });
  });
});
