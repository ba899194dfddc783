/**
 * tariff-bill's Ledger closes a month by the data without scanning every device at every reading: it keeps a lower
 * bound of the open months' ends. These cases fail if that bound misses a month opened late by another device, or
 * one restored from the state file.
 */
import assert from "node:assert/strict";
import { describe, it } from "mocha";
import { Ledger, type LedgerOptions } from "../../../nodes/tariff-bill/ledger";
import { parseTariff } from "../../../nodes/tariff-bill/tariff";

const opts = (): LedgerOptions => ({
  tariff: parseTariff(JSON.stringify({ label: "flat", timezone: "UTC", energyratestructure: [[{ rate: "0.1" }]] })),
  measurement: "energy",
  demandMeasurement: "power",
  intervalSeconds: 900,
  period: "month",
  latenessSeconds: 0,
});
const reading = (deviceId: string, iso: string) => ({ deviceId, timestamp: iso, measurements: { energy: { value: 1, unit: "kWh" } }, quality: "GOOD" });

describe("tariff-bill Ledger: months due by the data", () => {
  it("a month opened late by another device is closed by the data already past it", () => {
    const l = new Ledger(opts());
    assert.ok(l.accept(reading("a", "2026-03-10T00:00:00Z")).ok);
    assert.deepEqual(l.closeDue(0, false), []);
    // device b's February opens after March's data: the watermark (10 March) is past its end
    assert.ok(l.accept(reading("b", "2026-02-10T00:00:00Z")).ok);
    const bills = l.closeDue(0, false);
    assert.deepEqual(bills.map((b) => [b.deviceId, b.period.start]), [["b", "2026-02-01T00:00:00.000Z"]]);
    assert.deepEqual(l.closeDue(0, false), [], "nothing due twice");
  });

  it("a month restored from the state file closes when the next month's data arrives", () => {
    const l = new Ledger(opts());
    l.accept(reading("a", "2026-03-10T00:00:00Z"));
    const restored = new Ledger(opts());
    restored.load(JSON.parse(JSON.stringify(l.toJSON())));
    restored.accept(reading("c", "2026-04-02T00:00:00Z"));
    assert.deepEqual(restored.closeDue(0, false).map((b) => [b.deviceId, b.period.start]), [["a", "2026-03-01T00:00:00.000Z"]]);
  });

  it("by the wall clock, every device's month is due", () => {
    const l = new Ledger(opts());
    for (const d of ["a", "b", "c"]) l.accept(reading(d, "2026-03-10T00:00:00Z"));
    assert.deepEqual(l.closeDue(Date.parse("2026-03-31T23:59:59Z"), true), []);
    assert.equal(l.closeDue(Date.parse("2026-04-01T00:00:00Z"), true).length, 3);
  });
});

describe("tariff-bill Ledger: a bill that throws loses no period", () => {
  /** Make the ledger's `n`-th bill throw (the first ones succeed), as a broken msg.tariff could. */
  function failNth(l: Ledger, n: number): () => void {
    const inner = l as unknown as { bill: (...a: unknown[]) => unknown };
    const orig = inner.bill;
    let calls = 0;
    inner.bill = function (this: unknown, ...a: unknown[]) {
      if (++calls === n) throw new Error("bill failed");
      return orig.apply(this, a);
    };
    return () => void (inner.bill = orig);
  }

  for (const [name, close] of [
    ["closeAll", (l: Ledger) => l.closeAll(Date.parse("2026-05-01T00:00:00Z"))],
    ["closeDue", (l: Ledger) => l.closeDue(Date.parse("2026-05-01T00:00:00Z"), true)],
  ] as const)
    it(`${name}: a device whose second month fails to bill keeps both months open, billed by the next close`, () => {
      const l = new Ledger(opts());
      l.accept(reading("a", "2026-02-10T00:00:00Z"));
      l.accept(reading("a", "2026-03-10T00:00:00Z"));
      const restore = failNth(l, 2);
      assert.throws(() => close(l), /bill failed/);
      restore();
      assert.equal(l.held, 2);
      assert.equal(l.toJSON().devices.a.open.length, 2, "February's period was not dropped with its bill unsent");
      assert.deepEqual(
        close(l).map((b) => b.period.start),
        ["2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"],
      );
    });
});
