// tariff-bill: a close of many devices is spread over event-loop turns (a setImmediate counter advances while the
// bills arrive), every bill arrives once, and a node stopped in the middle of a close loses no period: what it had
// not billed stays open in the state file and is billed after the restart, what it had sent is not billed again.
// No test asserts a duration.
import { after, afterEach, before, describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { capture, catchAndComplete, core, getNode, init, load, unload, waitFor, type Msg } from "../../helpers/node-red";
import tariffBill = require("../../../nodes/tariff-bill/tariff-bill");

const NODES = [tariffBill as never, core.catch, core.complete];
// The seeds' tier table (001: 500 kWh at $0.08, 500 at $0.12, then $0.18).
const TARIFF = { label: "seeds-tiered", timezone: "UTC", energyratestructure: [[{ max: 500, unit: "kWh", rate: "0.08" }, { max: 1000, unit: "kWh", rate: "0.12" }, { unit: "kWh", rate: "0.18" }]] };
const T0 = Date.parse("2026-01-01T00:00:00Z");
const Q = 900_000;

function readings(devices: number): Msg[] {
  const out: Msg[] = [];
  for (let d = 0; d < devices; d++)
    for (let k = 0; k < 3; k++) out.push({ deviceId: `d${d}`, timestamp: new Date(T0 + k * Q).toISOString(), measurements: { energy: { value: 1.5, unit: "kWh" } }, quality: "GOOD" });
  return out;
}

/** Count event-loop turns (one setImmediate a turn) and note, each turn, how many bills have arrived. */
function turnCounter(bills: Msg[]) {
  const seen: number[] = [];
  let turns = 0;
  let stop = false;
  const tick = () => {
    if (stop) return;
    turns++;
    seen.push(bills.length);
    setImmediate(tick);
  };
  setImmediate(tick);
  return { seen, turns: () => turns, stop: () => void (stop = true) };
}

describe("tariff-bill: a large close over event-loop turns", () => {
  let dir = "";
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-tariff-bill-turns-"));
    init({ userDir: dir });
  });
  after(() => {
    init();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => unload());

  const flow = (stateDir: string): Msg[] => [
    { id: "tab", type: "tab" },
    { id: "tb", z: "tab", type: "tariff-bill", tariff: JSON.stringify(TARIFF), period: "month", closeBy: "reading", latenessSeconds: "0", intervalSeconds: "900", dir: stateDir, wires: [["bills"], ["rejects"]] },
    { id: "bills", z: "tab", type: "helper", wires: [] },
    { id: "rejects", z: "tab", type: "helper", wires: [] },
    ...catchAndComplete("tb"),
  ];
  const ids = ["bills", "rejects", "tb-caught", "tb-done"];

  it("closing 300 devices lets the event loop turn while the bills go out, and sends each bill once", async () => {
    const N = 300;
    const seen = capture(ids);
    try {
      await load(NODES, flow(fs.mkdtempSync(path.join(dir, "s-"))));
      getNode("tb").receive({ payload: readings(N) });
      await waitFor(() => seen["tb-done"].length === 1, "the readings taken");
      const counter = turnCounter(seen.bills);
      getNode("tb").receive({ command: "close" });
      await waitFor(() => seen["tb-done"].length === 2, "the close done");
      await waitFor(() => seen.bills.length >= N, "every bill");
      const turnsAtEnd = counter.turns();
      await waitFor(() => counter.turns() > turnsAtEnd + 20, "a few more turns");
      counter.stop();
      // Some turn saw part of the bills: the close did not hold the event loop from its first bill to its last.
      assert.ok(
        counter.seen.some((n) => n > 0 && n < N),
        `bills seen per turn: ${[...new Set(counter.seen)].join(",")}`,
      );
      const devices = seen.bills.map((m) => m.payload.deviceId as string);
      assert.equal(devices.length, N, "no bill twice");
      assert.equal(new Set(devices).size, N, "every device billed once");
      assert.ok(seen.bills.every((m) => m.payload.total === "0.36" && m.payload.final === true && m.topic === "bill"));
      assert.equal(seen["tb-caught"].length, 0);
    } finally {
      seen.dispose();
    }
  });

  it("a node stopped in the middle of a close loses no period and bills none twice: the rest is billed after the restart", async () => {
    const N = 1000;
    const stateDir = fs.mkdtempSync(path.join(dir, "stop-"));
    const seen = capture(ids);
    try {
      await load(NODES, flow(stateDir));
      getNode("tb").receive({ payload: readings(N) });
      await waitFor(() => seen["tb-done"].length === 1, "the readings taken");
      // Stop the node in the turn after its first bills arrive.
      const stopped = new Promise<void>((resolve) => {
        const watch = () => {
          if (seen.bills.length > 0) resolve(unload());
          else setImmediate(watch);
        };
        setImmediate(watch);
      });
      getNode("tb").receive({ command: "close" });
      await stopped;
      const first = seen.bills.map((m) => m.payload.deviceId as string);
      assert.ok(first.length > 0 && first.length < N, `stopped in the middle (${first.length} of ${N} billed)`);

      await load(NODES, flow(stateDir));
      const before = seen["tb-done"].length;
      getNode("tb").receive({ command: "close" });
      await waitFor(() => seen["tb-done"].length === before + 1, "the second close done");
      const all = seen.bills.map((m) => m.payload.deviceId as string);
      assert.equal(all.length, N, "every period billed once, across the restart");
      assert.equal(new Set(all).size, N);
      assert.equal(seen["tb-caught"].length, 0);
    } finally {
      seen.dispose();
    }
  });
});
