// tariff-bill on the Node-RED runtime, with Catch and Complete: bills equal the engine's on the same intervals;
// duplicates and revised windows count once; open periods survive a restart; what cannot be billed leaves on
// output 2 with its reason. No test asserts a duration.
import { after, afterEach, before, describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { capture, catchAndComplete, core, getNode, helper, init, load, unload, waitFor, type Msg } from "../../helpers/node-red";
import { computeBill } from "../../../nodes/tariff-bill/engine";
import { dec } from "../../../nodes/tariff-bill/money";
import { parseTariff } from "../../../nodes/tariff-bill/tariff";
import tariffBill = require("../../../nodes/tariff-bill/tariff-bill");

const NODES = [tariffBill as never, core.catch, core.complete];
// The seeds' TOU table (002: off-peak 10 PM–6 AM 0.8×, mid 1.0×, on-peak 2–7 PM 1.5×) over its four tiers, with a
// $/day fixed charge and a tax, in America/New_York.
const TARIFF = {
  label: "seeds-tou",
  timezone: "America/New_York",
  tiers: [{ upTo: 100, rate: "0.08" }, { upTo: 300, rate: "0.10" }, { upTo: 500, rate: "0.12" }, { rate: "0.15" }],
  periods: [
    { name: "off-peak", hours: "22-6", multiplier: "0.8" },
    { name: "mid-peak", hours: "6-14,19-22", multiplier: "1.0" },
    { name: "on-peak", hours: "14-19", multiplier: "1.5" },
  ],
  fixedchargefirstmeter: "0.35",
  fixedchargeunits: "$/day",
  taxes: [{ code: "tax", description: "Sales tax", rate: "0.07", on: "subtotal" }],
};
const T0 = Date.parse("2026-01-01T05:00:00Z"); // midnight EST, 1 January 2026
const Q = 900_000;
const JAN = { start: T0, end: Date.parse("2026-02-01T05:00:00Z") };

function reading(deviceId: string, ms: number, kwh: number, extra: Msg = {}): Msg {
  return { deviceId, timestamp: new Date(ms).toISOString(), measurements: { energy: { value: kwh, unit: "kWh" } }, quality: "GOOD", meta: { customerId: `c-${deviceId}` }, ...extra };
}
/** 15-minute readings of a varying load over `days` days from `fromDay`. */
function month(deviceId: string, fromDay: number, days: number): Msg[] {
  const out: Msg[] = [];
  for (let k = fromDay * 96; k < (fromDay + days) * 96; k++) out.push(reading(deviceId, T0 + k * Q, Number((0.1 + ((k * 7) % 13) / 20).toFixed(2))));
  return out;
}
function engineBill(readings: Msg[], deviceId: string) {
  const t = parseTariff(TARIFF);
  const ivs = readings.map((r) => ({ start: Date.parse(r.timestamp), end: Date.parse(r.timestamp) + Q, kwh: dec(r.measurements.energy.value), quality: "GOOD" as const }));
  return computeBill(t, JAN, ivs, { deviceId, customerId: `c-${deviceId}`, final: true });
}

describe("tariff-bill on the runtime", () => {
  let dir = "";
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-tariff-bill-"));
    init({ userDir: dir });
  });
  after(() => {
    init();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => unload());

  const flow = (cfg: Msg = {}, stateDir = fs.mkdtempSync(path.join(dir, "s-"))): Msg[] => [
    { id: "tab", type: "tab" },
    { id: "tb", z: "tab", type: "tariff-bill", tariff: JSON.stringify(TARIFF), period: "month", closeBy: "reading", latenessSeconds: "0", intervalSeconds: "900", dir: stateDir, ...cfg, wires: [["bills"], ["rejects"]] },
    { id: "bills", z: "tab", type: "helper", wires: [] },
    { id: "rejects", z: "tab", type: "helper", wires: [] },
    ...catchAndComplete("tb"),
  ];
  const ids = ["bills", "rejects", "tb-caught", "tb-done"];
  async function send(msgs: Msg[], seen: Record<string, Msg[]>): Promise<void> {
    const before = seen["tb-done"].length + seen["tb-caught"].length;
    for (const m of msgs) getNode("tb").receive(m);
    await waitFor(() => seen["tb-done"].length + seen["tb-caught"].length >= before + msgs.length, "every message done");
  }

  it("a month of 15-minute readings, with a duplicate and a replay, bills exactly as the engine does on the raw intervals", async () => {
    const seen = capture(ids);
    try {
      await load(NODES, flow());
      const raw = month("m1", 0, 31);
      // as single messages and as a store-forward batch (array), a duplicate, and a replay of a whole day
      await send([{ payload: raw.slice(0, 500) }, ...raw.slice(500).map((r) => ({ payload: r }))], seen);
      await send([{ payload: raw[42] }, { payload: raw.slice(96, 192) }], seen);
      assert.equal(seen.bills.length, 0, "January stays open until February's data arrives");
      await send([{ command: "close" }], seen);
      await waitFor(() => seen.bills.length === 1, "the bill");
      const bill = seen.bills[0].payload;
      const expected = engineBill(raw, "m1");
      assert.deepEqual(bill, expected);
      assert.equal(bill.final, true);
      assert.equal(bill.customerId, "c-m1");
      assert.equal(bill.completeness, 1);
      assert.equal(bill.period.days, "31");
      assert.equal(seen["tb-caught"].length, 0);
      assert.equal(seen["tb-done"].length, raw.length - 500 + 1 + 2 + 1, "Complete once per input message");
    } finally {
      seen.dispose();
    }
  });

  it("hourly aggregate-window output: a later window.revision replaces, an older one is refused, a repeat counts once", async () => {
    const seen = capture(ids);
    // aggregate-window's output: a canonical reading at the window start, with window {start, end, zone, size, revision} and stats
    const agg = (h: number, kwh: number, revision: number): Msg => ({
      deviceId: "m2",
      timestamp: new Date(T0 + h * 3_600_000).toISOString(),
      measurements: { energy: { value: kwh, unit: "kWh", stats: { count: 4, sum: kwh } } },
      quality: "GOOD",
      window: { start: new Date(T0 + h * 3_600_000).toISOString(), end: new Date(T0 + (h + 1) * 3_600_000).toISOString(), zone: "America/New_York", size: "1h", revision },
    });
    try {
      await load(NODES, flow());
      await send([{ payload: agg(15, 10, 1) }, { payload: agg(16, 20, 1) }, { payload: agg(15, 12, 2) }, { payload: agg(15, 10, 1) }, { payload: agg(16, 20, 1) }], seen);
      assert.equal(seen.rejects.length, 1);
      assert.match(seen.rejects[0].reason, /revision 1 is older than revision 2/);
      await send([{ command: "estimate" }], seen);
      await waitFor(() => seen.bills.length === 1, "the estimate");
      const est = seen.bills[0].payload;
      assert.equal(est.final, false);
      assert.equal(est.energy.total, "32");
      const hourly = (h: number, kwh: number) => ({ start: T0 + h * 3_600_000, end: T0 + (h + 1) * 3_600_000, kwh: dec(kwh), quality: "GOOD" as const });
      // 15:00 and 16:00 EST on Thursday 1 January are on-peak: 32 kWh × 0.08 × 1.5 = 3.84 + 31 days × 0.35 = 10.85; tax 7%
      const expected = computeBill(parseTariff(TARIFF), JAN, [hourly(15, 12), hourly(16, 20)], { deviceId: "m2", final: false, asOf: T0 + 17 * 3_600_000 });
      assert.equal(est.total, expected.total);
      assert.equal(est.total, "15.72"); // (3.84 + 10.85) × 1.07 = 14.69 + 1.03
    } finally {
      seen.dispose();
    }
  });

  it("a restart in mid-month loses nothing: the open period comes back from the state file", async () => {
    const seen = capture(ids);
    const stateDir = fs.mkdtempSync(path.join(dir, "restart-"));
    try {
      const raw = month("m3", 0, 31);
      await load(NODES, flow({}, stateDir));
      await send(raw.slice(0, 1500).map((r) => ({ payload: r })), seen);
      await unload(); // the runtime stops: close writes the open periods
      assert.ok(fs.existsSync(path.join(stateDir, "periods.json")));
      await load(NODES, flow({}, stateDir));
      await send(raw.slice(1500).map((r) => ({ payload: r })), seen);
      // a reading of 1 February closes January (lateness 0, by the data)
      await send([{ payload: reading("m3", JAN.end, 0.5) }], seen);
      await waitFor(() => seen.bills.length === 1, "January's bill");
      assert.deepEqual(seen.bills[0].payload, engineBill(raw, "m3"));
      // a late January reading is outside any open period now
      await send([{ payload: reading("m3", T0, 1) }], seen);
      assert.match(seen.rejects[seen.rejects.length - 1].reason, /outside any open period: .* already billed/);
    } finally {
      seen.dispose();
    }
  });

  it("the editor's validate endpoint returns the friendly form as the URDB model it bills with, and names an uncovered hour", async () => {
    await load(NODES, flow());
    const ok = await helper.request().post("/m2m/tariff-bill/validate").send({ field: "tariff", value: JSON.stringify(TARIFF) }).expect(200);
    assert.equal(ok.body.ok, true, JSON.stringify(ok.body));
    assert.deepEqual([ok.body.periods, ok.body.tiers, ok.body.zone], [3, 4, "America/New_York"]);
    const urdb = ok.body.urdb;
    assert.equal(urdb.tiers, undefined);
    assert.equal(urdb.energyweekdayschedule.length, 12);
    assert.ok(urdb.energyweekdayschedule.every((m: number[]) => m.length === 24));
    // the seeds' 002 table: 15:00 local is on-peak (period 2), 23:00 off-peak (0), 10:00 mid-peak (1)
    assert.deepEqual([urdb.energyweekdayschedule[0][15], urdb.energyweekdayschedule[0][23], urdb.energyweekdayschedule[0][10]], [2, 0, 1]);
    assert.equal(urdb.fixedchargefirstmeter, "0.35", "the other keys pass through");
    // The JSON the dialog shows bills as the form does.
    const raw = month("m9", 0, 31);
    const ivs = raw.map((r) => ({ start: Date.parse(r.timestamp), end: Date.parse(r.timestamp) + Q, kwh: dec(r.measurements.energy.value), quality: "GOOD" as const }));
    assert.deepEqual(computeBill(parseTariff(urdb), JAN, ivs, { deviceId: "m9", final: true }), computeBill(parseTariff(TARIFF), JAN, ivs, { deviceId: "m9", final: true }));
    const gap = await helper.request().post("/m2m/tariff-bill/validate").send({ field: "tariff", value: JSON.stringify({ ...TARIFF, periods: [{ name: "day", hours: "6-22" }] }) }).expect(200);
    assert.equal(gap.body.ok, false);
    assert.match(gap.body.error, /hour 0:00 on weekdays in month 1 is in no period/);
  });

  it("what cannot be billed leaves on output 2 with a reason; a bad command goes to Catch", async () => {
    const seen = capture(ids);
    try {
      await load(NODES, flow());
      await send(
        [
          { payload: reading("m4", T0, -1) },
          { payload: { deviceId: "m4", timestamp: new Date(T0).toISOString(), measurements: { power: { value: 3 } }, quality: "GOOD" } },
          { payload: reading("m4", T0, 1, { measurements: { energy: { value: 1, unit: "L" } } }) },
          { command: "bill-now" },
        ],
        seen,
      );
      assert.deepEqual(
        seen.rejects.map((m) => m.reason),
        ["negative consumption (-1 kWh)", 'no measurement "energy"', 'measurement "energy" is in L, not kWh, Wh or MWh'],
      );
      assert.equal(seen["tb-caught"].length, 1);
      assert.match(seen["tb-caught"][0].error.message, /Unknown msg.command "bill-now"/);
    } finally {
      seen.dispose();
    }
  });

  it("period command: close at msg.periodEnd (a meter read date); later intervals open the next period", async () => {
    const seen = capture(ids);
    try {
      await load(NODES, flow({ period: "command" }));
      const raw = month("m5", 0, 3);
      await send(raw.map((r) => ({ payload: r })), seen);
      await send([{ command: "close", periodEnd: new Date(T0 + 2 * 86_400_000).toISOString() }], seen);
      await waitFor(() => seen.bills.length === 1, "the bill");
      const b = seen.bills[0].payload;
      assert.equal(b.period.days, "2");
      const t = parseTariff(TARIFF);
      const ivs = raw.slice(0, 192).map((r) => ({ start: Date.parse(r.timestamp), end: Date.parse(r.timestamp) + Q, kwh: dec(r.measurements.energy.value), quality: "GOOD" as const }));
      assert.deepEqual(b, computeBill(t, { start: T0, end: T0 + 2 * 86_400_000 }, ivs, { deviceId: "m5", customerId: "c-m5", final: true }));
      await send([{ command: "estimate" }], seen);
      await waitFor(() => seen.bills.length === 2, "the estimate of the next period");
      assert.equal(seen.bills[1].payload.period.start, new Date(T0 + 2 * 86_400_000).toISOString());
    } finally {
      seen.dispose();
    }
  });
});
