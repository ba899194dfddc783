// meter-sim's simulator: the seeds' daily pattern (smart-metering lab, step 1 "Smart Meter Simulator": the table
// of kWh/h, m3/h and L/h per period; readings every 15 minutes, 96 a day), the seeds' jitter of 0-60 s per meter
// ("Synchronized Meter Reading (The Thundering Herd)"), the retail worked example (8 units x 2 sensors per store,
// every 5 minutes, °F), the faults, and what meter-normalize makes of its messages with the shipped register maps.
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { Simulator, type MeterReadingEvent, type FridgeReadingEvent, type SimConfig } from "../../../nodes/meter-sim/simulator";
import { DAILY_PATTERN, periodOf } from "../../../nodes/meter-sim/patterns";
import { REGISTER_MAPS } from "../../../nodes/meter-sim/register-maps";
import { fridgeMessage, readMessage, requestMessage } from "../../../nodes/meter-sim/messages";
import { parseMeterSimConfig } from "../../../nodes/meter-sim/config";
import { createNormalizer, parseMeterNormalizeConfig } from "../../../nodes/meter-normalize/normalizer";
import { compileRegisterMap } from "../../../nodes/meter-normalize/register-map";
import { assertCanonical } from "../../helpers/fixtures";

const DAY = Date.parse("2026-02-08T00:00:00Z");
const H = 3_600_000;
const base = (over: Partial<SimConfig> = {}): SimConfig => ({
  seed: 1, startMs: DAY, zone: "UTC", intervalMs: 15 * 60_000, jitterS: 60, fridgeIntervalMs: 5 * 60_000,
  meters: [
    { id: "elec-001", type: "electric", unitId: 1 },
    { id: "gas-001", type: "gas", unitId: 2 },
    { id: "water-001", type: "water", unitId: 3 },
  ],
  stores: [], ...over,
});
const meterEvents = (evs: unknown[]) => evs.filter((e) => (e as MeterReadingEvent).kind === "meter") as MeterReadingEvent[];
const total = (e: MeterReadingEvent) => e.registers[0] * 65536 + e.registers[1];
const normalizer = () => createNormalizer(parseMeterNormalizeConfig({}));

describe("meter-sim: the seeds' daily pattern", () => {
  it("has the seeds' table, every hour of the day in one period", () => {
    assert.deepEqual(DAILY_PATTERN.map((p) => [p.from, p.to, p.electric, p.gas, p.water]), [
      [0, 6, [0.3, 0.5], [0.1, 0.2], [5, 10]],
      [6, 9, [1.5, 3.0], [0.8, 1.5], [40, 80]],
      [9, 17, [0.8, 1.2], [0.2, 0.4], [15, 25]],
      [17, 22, [2.0, 4.0], [1.0, 2.0], [50, 100]],
      [22, 24, [0.5, 0.8], [0.3, 0.5], [10, 20]],
    ]);
    for (let h = 0; h < 24; h++) assert.ok(periodOf(h));
  });

  it("reads every meter 96 times a day, each at its own fixed offset of 0..60 s, consumption within each period's range", () => {
    const sim = new Simulator(base());
    const evs = meterEvents(sim.step(DAY + 24 * H - 1));
    const scale = { electric: 1000, gas: 1000, water: 10 };
    for (const id of ["elec-001", "gas-001", "water-001"]) {
      const mine = evs.filter((e) => e.meterId === id);
      assert.equal(mine.length, 96, id);
      const offset = mine[0].timeMs - DAY;
      assert.ok(offset >= 0 && offset <= 60_000 && offset % 1000 === 0, `${id}: jitter ${offset} ms`);
      for (let k = 1; k < mine.length; k++) {
        assert.equal(mine[k].timeMs - mine[k - 1].timeMs, 15 * 60_000);
        // The interval lies in one period unless it crosses the hour the period changes at.
        const p0 = periodOf(new Date(mine[k - 1].timeMs).getUTCHours());
        const p1 = periodOf(new Date(mine[k].timeMs).getUTCHours());
        if (p0 !== p1) continue;
        const perHour = ((total(mine[k]) - total(mine[k - 1])) / scale[mine[k].type]) * 4;
        const [lo, hi] = p0[mine[k].type];
        // Registers are whole raw units, so an interval may read up to one raw unit less or more.
        const slack = (4 * 1) / scale[mine[k].type];
        assert.ok(perHour >= lo - slack && perHour <= hi + slack, `${id} ${new Date(mine[k].timeMs).toISOString()}: ${perHour}/h not in ${lo}..${hi}`);
      }
    }
    const offsets = new Set(["elec-001", "gas-001", "water-001"].map((id) => evs.find((e) => e.meterId === id)!.timeMs));
    assert.equal(offsets.size, 3, "the meters do not read in the same second (the thundering herd)");
  });

  it("is deterministic: the same seed gives the same registers, another seed other ones", () => {
    const run = (seed: number) => meterEvents(new Simulator(base({ seed })).step(DAY + 6 * H)).map((e) => [e.meterId, e.timeMs, ...e.registers]);
    assert.deepEqual(run(1), run(1));
    assert.notDeepEqual(run(1), run(2));
    // Stepping in small pieces gives what one big step gives.
    const sim = new Simulator(base());
    const pieces: unknown[] = [];
    for (let t = DAY; t <= DAY + 6 * H; t += 7 * 60_000 + 13) pieces.push(...sim.step(t));
    pieces.push(...sim.step(DAY + 6 * H));
    assert.deepEqual(meterEvents(pieces).map((e) => [e.meterId, e.timeMs, ...e.registers]), run(1));
  });

  it("follows local time: in America/New_York the evening peak is at 17:00-22:00 EST (22:00-03:00 UTC)", () => {
    const sim = new Simulator(base({ zone: "America/New_York", meters: [{ id: "e", type: "electric", unitId: 1 }] }));
    const evs = meterEvents(sim.step(DAY + 24 * H));
    const rateAt = (utcHour: number) => evs.find((e) => new Date(e.timeMs).getUTCHours() === utcHour && new Date(e.timeMs).getUTCMinutes() === 30)!.registers[2];
    assert.ok(rateAt(23) >= 2000 && rateAt(23) <= 4000, `18:30 EST is the evening peak: ${rateAt(23)} W`);
    assert.ok(rateAt(18) >= 800 && rateAt(18) <= 1200, `13:30 EST is daytime: ${rateAt(18)} W`);
  });
});

describe("meter-sim: faults", () => {
  it("offline: the meter does not answer, keeps counting, and its next reading after online covers the gap", () => {
    const sim = new Simulator(base({ meters: [{ id: "e", type: "electric", unitId: 1 }] }));
    const before = meterEvents(sim.step(DAY + H));
    sim.meterFault("offline", { targets: ["e"] });
    const off = meterEvents(sim.step(DAY + 2 * H));
    assert.ok(off.length === 4 && off.every((e) => !e.online));
    assert.equal(sim.registersOf(1)?.online, false);
    sim.meterFault("online");
    const back = meterEvents(sim.step(DAY + 3 * H));
    const ref = meterEvents(new Simulator(base({ meters: [{ id: "e", type: "electric", unitId: 1 }] })).step(DAY + 3 * H));
    assert.deepEqual(total(back[back.length - 1]), total(ref[ref.length - 1]), "no consumption lost");
    assert.ok(before.every((e) => e.online) && back.every((e) => e.online));
  });

  it("clock drift: +1000 ppm puts the meter's clock 0.9 s ahead after 15 minutes, receivedAt stays true time", () => {
    const sim = new Simulator(base({ jitterS: 0, meters: [{ id: "e", type: "electric", unitId: 1 }] }));
    sim.step(DAY);
    sim.meterFault("drift", { ppm: 1000 });
    const [e1, e2] = meterEvents(sim.step(DAY + 30 * 60_000));
    assert.equal(e1.clockMs - e1.timeMs, 900);
    assert.equal(e2.clockMs - e2.timeMs, 1800);
    const msg = readMessage(e2, false);
    assert.equal(msg.timestamp, new Date(e2.timeMs + 1800).toISOString());
    assert.equal(msg.receivedAt, e2.timeMs);
    sim.clear(["e"]);
    const [e3] = meterEvents(sim.step(DAY + 45 * 60_000));
    assert.equal(e3.clockMs, e3.timeMs, "clear sets the clock right");
    assert.throws(() => sim.meterFault("drift", { ppm: Number.NaN }), /msg\.ppm/);
  });

  it("spike, stuck, counter reset, not-implemented sentinels and duplicate send", () => {
    const one = [{ id: "e", type: "electric" as const, unitId: 1 }];
    const ref = meterEvents(new Simulator(base({ meters: one })).step(DAY + 3 * H));
    const sim = new Simulator(base({ meters: one }));
    const r = (until: number) => meterEvents(sim.step(until));
    r(DAY + H - 1); // 4 readings
    sim.meterFault("spike", { factor: 10 });
    const [spiked] = r(DAY + H + 60_000);
    const inc = total(ref[4]) - total(ref[3]);
    assert.ok(Math.abs(total(spiked) - (total(ref[3]) + 10 * inc)) <= 10, "the increment ×10");
    assert.ok(Math.abs(spiked.registers[2] - ref[4].registers[2] * 10) <= 10, "the rate ×10");
    const [after] = r(DAY + H + 16 * 60_000);
    assert.deepEqual(after.registers, ref[5].registers, "a spike is one reading");

    sim.meterFault("stuck");
    const stuck = r(DAY + 2 * H);
    assert.ok(stuck.length >= 2, `${stuck.length} readings`);
    assert.ok(stuck.every((e) => JSON.stringify(e.registers) === JSON.stringify(after.registers)), "stuck at the last value");
    sim.clear();

    sim.meterFault("not-implemented");
    const [ni] = r(DAY + 2 * H + 15 * 60_000);
    assert.deepEqual(ni.registers, [0xffff, 0xffff, 0xffff, 0xffff]);
    const reading = normalizer().normalize(readMessage(ni, true), 0)[0].reading;
    assert.equal(reading.quality, "BAD");
    assert.equal(reading.measurements.energy.value, null);
    sim.clear();

    sim.meterFault("counter-reset");
    const [reset] = r(DAY + 2 * H + 30 * 60_000);
    assert.ok(total(reset) < 1000, `the new meter counts from 0: ${total(reset)} Wh`);
    assert.equal(reset.registers[3], 1, "status bit 0: counter reset");

    sim.meterFault("duplicate", { count: 2 });
    const dup = r(DAY + 3 * H);
    assert.deepEqual(dup.map((e) => e.copies), [2, 2]);
    assert.throws(() => sim.meterFault("offline", { targets: ["nope"] }), /msg\.meter "nope" is not a meter/);
  });
});

describe("meter-sim: refrigeration (the seeds' retail worked example)", () => {
  // Seeds, worked example "Multi-Site Retail M2M Store-and-Forward Analysis": 8 refrigeration units per store,
  // 2 sensors each (supply air and product), a reading every 5 minutes, 288 per sensor a day, 4,608 per store a day;
  // the FDA Food Code's cold-holding limit is 41 °F (5 °C).
  const store = (over: Partial<SimConfig> = {}) => new Simulator(base({ meters: [], stores: [{ id: "store-001", units: 8 }], ...over }));
  const fridge = (evs: unknown[]) => evs as FridgeReadingEvent[];
  const MIN = 60_000;
  /** One unit's readings: [time, supply air, product]. */
  const unitSeries = (evs: FridgeReadingEvent[], unit: number) =>
    evs.filter((e) => e.values[0].unit === unit).map((e) => ({ t: e.timeMs, s: e.values[0].supplyAir, p: e.values[0].product }));
  const longestRun = (xs: number[]) => {
    let run = 1;
    let best = xs.length ? 1 : 0;
    for (let i = 1; i < xs.length; i++) best = Math.max(best, (run = xs[i] === xs[i - 1] ? run + 1 : 1));
    return best;
  };

  it("reports 8 units × 2 sensors every 5 minutes (4,608 sensor readings a day), each unit at its own offset of 0-60 s", () => {
    const evs = fridge(store().step(DAY + 24 * H - 1));
    assert.equal(evs.length, 8 * 288, "one event per unit and 5 minutes");
    assert.equal(evs.reduce((n, e) => n + 2 * e.values.length, 0), 4608, "the seeds' 288 readings × 16 sensors");
    const offsets = new Set<number>();
    for (let u = 1; u <= 8; u++) {
      const series = unitSeries(evs, u);
      assert.equal(series.length, 288, `unit ${u}: 288 a day`);
      const off = series[0].t - DAY;
      assert.ok(off >= 0 && off <= 60_000 && off % 1000 === 0, `unit ${u}: offset ${off} ms is whole seconds within the jitter`);
      series.forEach((x, i) => assert.equal(x.t, DAY + off + i * 5 * MIN, `unit ${u}: reading ${i} on its 5-minute grid`));
      offsets.add(off);
    }
    assert.ok(offsets.size >= 6, `the units do not all report in the same second (the thundering herd): ${[...offsets].join(", ")}`);
    for (let i = 1; i < evs.length; i++) assert.ok(evs[i].timeMs >= evs[i - 1].timeMs, "in time order");
  });

  it("holds product at 35-38 °F with supply air about 3 °F colder, never past 41 °F without a fault", () => {
    const evs = fridge(store().step(DAY + 7 * 24 * H));
    for (let u = 1; u <= 8; u++) {
      const series = unitSeries(evs, u);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const p = series.map((x) => x.p);
      const s = series.map((x) => x.s);
      assert.ok(Math.min(...p) >= 35 && Math.max(...p) <= 38.5, `unit ${u}: product ${Math.min(...p)}..${Math.max(...p)} °F`);
      const below = mean(p) - mean(s);
      assert.ok(below > 2 && below < 4, `unit ${u}: supply air ${below.toFixed(2)} °F below the product`);
      assert.ok(Math.max(...s) < 41 && Math.max(...p) < 41, `unit ${u}: under the FDA's 41 °F`);
      // Sensor noise and the compressor's cycle: a working sensor never repeats a value for an hour (12 readings),
      // so validate's flatline rule of 12 flags only a stuck one.
      assert.ok(longestRun(p) < 12 && longestRun(s) < 12, `unit ${u}: longest runs ${longestRun(s)} (supply air), ${longestRun(p)} (product)`);
    }
  });

  it("is reproducible: the same seed gives the same readings, another seed others", () => {
    const a = store().step(DAY + 6 * H);
    assert.deepEqual(store().step(DAY + 6 * H), a);
    assert.notDeepEqual(store({ seed: 2 }).step(DAY + 6 * H), a);
  });

  it("a door left open: supply air rises within minutes, the product slowly past 41 °F; both recover once it is closed", () => {
    const sim = store();
    sim.step(DAY + H);
    sim.storeFault("door-open", { unit: 3 });
    const open = unitSeries(fridge(sim.step(DAY + 2 * H)), 3);
    assert.ok(open[2].s > 50, `supply air after 15 min: ${open[2].s} °F`);
    assert.ok(open[1].p < 41, `product after 10 min: ${open[1].p} °F, still under 41`);
    assert.ok(open[open.length - 1].p > 41, `product after an hour: ${open[open.length - 1].p} °F`);
    sim.step(DAY + 3 * H);
    assert.equal(sim.activeFaults(), 1);
    sim.storeFault("door-close", { unit: 3 });
    const closed = unitSeries(fridge(sim.step(DAY + 8 * H)), 3);
    assert.ok(closed[6].s < 38, `supply air 30 min after closing: ${closed[6].s} °F`);
    const back = closed.findIndex((x) => x.p <= 41);
    assert.ok(back > 0, "the product is back under 41 °F");
    assert.ok(closed[closed.length - 1].p < 38.5, `product 5 h after closing: ${closed[closed.length - 1].p} °F`);
    assert.equal(sim.activeFaults(), 0);
  });

  it("the other units stay cold while one door is open", () => {
    const sim = store();
    sim.storeFault("door-open", { unit: 3 });
    const evs = fridge(sim.step(DAY + 2 * H));
    for (const u of [1, 2, 4, 5, 6, 7, 8]) assert.ok(Math.max(...unitSeries(evs, u).map((x) => x.p)) < 41, `unit ${u}`);
  });

  it("a failing compressor: a slow rise over hours, past 41 °F", () => {
    const sim = store();
    sim.step(DAY + H);
    sim.storeFault("compressor-failing", { unit: 1 });
    const series = unitSeries(fridge(sim.step(DAY + 9 * H)), 1);
    const at = (h: number) => series[Math.round((h * 60) / 5) - 1];
    assert.ok(at(1).p < 41, `after an hour the product is still ${at(1).p} °F`);
    assert.ok(at(1).s - series[0].s > 0.5, "supply air is rising");
    assert.ok(at(8).p > 41 && at(8).s > 41, `after 8 hours: supply air ${at(8).s} °F, product ${at(8).p} °F`);
    const hourly = [2, 3, 4, 5, 6, 7, 8].map((h) => at(h).p);
    hourly.forEach((p, i) => i > 0 && assert.ok(p > hourly[i - 1], `the product rises hour by hour: ${hourly.join(", ")}`));
    // A dead compressor brings the unit to the store's air, 70 °F, and no further.
    const later = unitSeries(fridge(sim.step(DAY + 4 * 24 * H)), 1);
    const last = later[later.length - 1];
    assert.ok(last.s > 69 && last.s < 70.5 && last.p > 69 && last.p < 70.5, `after 3 days: supply air ${last.s} °F, product ${last.p} °F`);
  });

  it("a stuck sensor repeats one value (validate's flatline); the unit's other sensor keeps moving", () => {
    const sim = store();
    sim.step(DAY + H);
    sim.storeFault("sensor-stuck", { unit: 2, sensor: "product" });
    const series = unitSeries(fridge(sim.step(DAY + 3 * H)), 2);
    assert.equal(new Set(series.map((x) => x.p)).size, 1);
    assert.ok(new Set(series.map((x) => x.s)).size > 5);
    sim.clear(["store-001"]);
    const after = unitSeries(fridge(sim.step(DAY + 5 * H)), 2);
    assert.ok(new Set(after.map((x) => x.p)).size > 1, "clear unsticks it");
    assert.throws(() => sim.storeFault("door-open", { unit: 9 }), /msg\.unit 9 must be a unit number from 1 to 8 \(store store-001\)/);
    assert.throws(() => sim.storeFault("door-open", { targets: ["store-999"] }), /msg\.meter "store-999" is not a refrigerated store/);
  });

  it("leaves as a SenML pack (RFC 8428) in degF that meter-normalize turns into the unit's reading in Cel", () => {
    const [e] = fridge(store().step(DAY + 5 * 60_000));
    const msg = fridgeMessage(e);
    const { bn, bt, bu } = (msg.payload as Record<string, unknown>[])[0];
    assert.equal(bn, `store-001-u${e.values[0].unit}:`);
    assert.equal(bt, e.timeMs / 1000);
    assert.equal(bu, "degF");
    const out = normalizer().normalize(msg, 0);
    assert.equal(out.length, 1);
    const { reading } = out[0];
    assertCanonical(reading);
    assert.equal(reading.timestamp, new Date(e.timeMs).toISOString());
    assert.equal(reading.deviceId, `store-001-u${e.values[0].unit}`);
    assert.equal(reading.measurements.supplyAir.unit, "Cel");
    assert.equal(reading.measurements.product.unit, "Cel");
    const f = e.values[0].supplyAir;
    assert.ok(Math.abs((reading.measurements.supplyAir.value as number) - ((f - 32) * 5) / 9) < 1e-9);
    assert.equal(msg.receivedAt, e.timeMs);
  });
});

describe("meter-sim: messages and register maps for meter-normalize", () => {
  it("ships one register map per meter type that meter-normalize compiles", () => {
    for (const map of Object.values(REGISTER_MAPS)) assert.equal(compileRegisterMap(map).points.length, 3);
  });

  it("a Read-shaped message is decoded by meter-normalize into the simulated values, at the simulated time", () => {
    const sim = new Simulator(base());
    const evs = meterEvents(sim.step(DAY + 30 * 60_000));
    const n = normalizer();
    for (const e of evs) {
      const msg = readMessage(e, true);
      for (const k of ["topic", "messageId", "payload", "queueLengthByUnitId", "queueUnitId", "unitId", "modbusRequest", "responseBuffer"]) assert.ok(k in msg, k);
      const { reading } = n.normalize(msg, 0)[0];
      assertCanonical(reading);
      assert.equal(reading.deviceId, e.meterId);
      assert.equal(reading.timestamp, new Date(e.timeMs).toISOString());
      const name = e.type === "electric" ? "energy" : "volume";
      const unit = { electric: "kWh", gas: "m3", water: "l" }[e.type];
      const scale = { electric: 0.001, gas: 0.001, water: 0.1 }[e.type];
      assert.equal(reading.measurements[name].unit, unit);
      assert.ok(Math.abs((reading.measurements[name].value as number) - total(e) * scale) < 1e-9);
    }
    // Without the attached map, meter-normalize configured with the type's map decodes the same.
    const e = evs[0];
    const cfgN = createNormalizer(parseMeterNormalizeConfig({ registerMap: JSON.stringify(REGISTER_MAPS[e.type]) }));
    assert.deepEqual(cfgN.normalize(readMessage(e, false), 0)[0].reading, n.normalize(readMessage(e, true), 0)[0].reading);
  });

  it("an offline meter gives node-red-contrib-modbus's failed read, which meter-normalize refuses as a timeout", () => {
    const sim = new Simulator(base());
    sim.meterFault("offline", { targets: ["gas-001"] });
    const e = meterEvents(sim.step(DAY + 60_000)).find((x) => x.meterId === "gas-001")!;
    const msg = readMessage(e, true);
    assert.equal(msg.payload, "");
    assert.throws(() => normalizer().normalize(msg, 0), /Modbus read failed: Timed out/);
  });

  it("a poll request carries what a Flex-Getter needs, and the times", () => {
    const [e] = meterEvents(new Simulator(base()).step(DAY + 60_000));
    const msg = requestMessage(e, false);
    assert.deepEqual(msg.payload, { unitid: e.unitId, fc: 3, address: 0, quantity: 4 });
    assert.equal(msg.receivedAt, e.timeMs);
  });

  it("checks the meter list, naming the entry", () => {
    assert.throws(() => parseMeterSimConfig({ meters: '[{"id":"a","type":"steam","unitId":1}]' }), /meters \/0\/type "steam"/);
    assert.throws(() => parseMeterSimConfig({ meters: '[{"id":"a","type":"gas","unitId":1},{"id":"b","type":"gas","unitId":1}]' }), /unitId 1 is already/);
    assert.throws(() => parseMeterSimConfig({ meters: "[" }), /meters is not valid JSON/);
    assert.throws(() => parseMeterSimConfig({ jitter: "1000", interval: "15" }), /Jitter|jitter/);
    assert.equal(parseMeterSimConfig({}).sim.meters.length, 3);
  });
});
