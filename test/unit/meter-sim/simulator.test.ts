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
  const store = (over: Partial<SimConfig> = {}) => new Simulator(base({ meters: [], stores: [{ id: "store-001", units: 8 }], ...over }));
  const fridge = (evs: unknown[]) => evs as FridgeReadingEvent[];

  it("reports 8 units × 2 sensors every 5 minutes (288 a day), in °F held at 34-38 °F", () => {
    const evs = fridge(store().step(DAY + 24 * H - 1));
    assert.equal(evs.length, 288);
    for (const e of evs) {
      assert.equal(e.values.length, 8);
      for (const v of e.values) {
        assert.ok(v.supplyAir > 31 && v.supplyAir < 39, `supply ${v.supplyAir}`);
        assert.ok(v.product > 33 && v.product < 41, `product ${v.product} stays under the FDA's 41 °F`);
      }
    }
  });

  it("a door left open warms the unit's product past 41 °F; a failing compressor rises slowly; a stuck sensor repeats", () => {
    const sim = store();
    sim.step(DAY + H);
    sim.storeFault("door-open", { unit: 3 });
    const open = fridge(sim.step(DAY + 2 * H));
    assert.ok(open[open.length - 1].values[2].product > 41, `product ${open[open.length - 1].values[2].product}`);
    assert.ok(open[open.length - 1].values[0].product < 41, "the other units stay cold");
    sim.clear();
    sim.step(DAY + 5 * H);
    sim.storeFault("compressor-failing", { unit: 1 });
    const slow = fridge(sim.step(DAY + 6 * H));
    assert.ok(slow[slow.length - 1].values[0].supplyAir - slow[0].values[0].supplyAir > 0.8, "supply air rises ~1.5 °F an hour");
    assert.ok(slow[slow.length - 1].values[0].product < 41, "slowly: the product is not yet past 41 °F after an hour");
    sim.storeFault("sensor-stuck", { unit: 2, sensor: "product" });
    const stuck = fridge(sim.step(DAY + 7 * H));
    assert.equal(new Set(stuck.map((e) => e.values[1].product)).size, 1);
    assert.throws(() => sim.storeFault("door-open", { unit: 9 }), /msg\.unit 9/);
  });

  it("leaves as a SenML pack that meter-normalize turns into 8 readings in Cel", () => {
    const [e] = fridge(store().step(DAY + 5 * 60_000));
    const msg = fridgeMessage(e);
    const out = normalizer().normalize(msg, 0);
    assert.equal(out.length, 8);
    for (const { reading } of out) {
      assertCanonical(reading);
      assert.equal(reading.timestamp, new Date(e.timeMs).toISOString());
      assert.equal(reading.measurements.supplyAir.unit, "Cel");
    }
    assert.equal(out[0].reading.deviceId, "store-001-u1");
    const f = e.values[0].supplyAir;
    assert.ok(Math.abs((out[0].reading.measurements.supplyAir.value as number) - ((f - 32) * 5) / 9) < 1e-9);
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
