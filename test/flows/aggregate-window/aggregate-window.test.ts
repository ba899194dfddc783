/**
 * aggregate-window in a flow: the example's 23-hour day (America/New_York 2026-03-08, tzdata Rule US), a restart
 * in the middle of a day that loses nothing, a replay through store-forward after an outage that corrects the
 * windows closed incomplete, commands, and Catch/Complete behaviour.
 */
import { after, afterEach, before, describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import awModule = require("../../../nodes/aggregate-window/aggregate-window");
import sfModule = require("../../../nodes/store-forward/store-forward");
import { Aggregator, type Aggregate } from "../../../nodes/aggregate-window/aggregator";
import { parseAggregateWindowConfig } from "../../../nodes/aggregate-window/config";
import { validateReading } from "../../../nodes/shared/canonical-reading";
import { capture, catchAndComplete, core, getNode, helper, init, load, redeploy, unload, waitFor, type Msg } from "../../helpers/node-red";

/* eslint-disable @typescript-eslint/no-require-imports */
const [inject, debug, comment] = ["common/20-inject.js", "common/21-debug.js", "common/90-comment.js"].map((f) => require(`@node-red/nodes/core/${f}`));
/* eslint-enable @typescript-eslint/no-require-imports */
type NodeModule = (red: object) => unknown;
const aggregateWindow = awModule as unknown as NodeModule;
const storeForward = sfModule as unknown as NodeModule;
const EXAMPLE = path.join(__dirname, "..", "..", "..", "examples", "aggregate-window.json");
const Q = 15 * 60_000;
const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "aw-flow-"));
  dirs.push(d);
  return d;
};

function reading(deviceId: string, t: number, k: number): Msg {
  return {
    deviceId,
    timestamp: new Date(t).toISOString(),
    measurements: { energyImport: { value: 1000 + k * 0.25, unit: "kWh" }, activePower: { value: 1 + (k % 4) * 0.5, unit: "kW" } },
    quality: "GOOD",
    source: { protocol: "json" },
  };
}

/** Every aggregate in the captured messages (payloads may be arrays). */
const aggregatesOf = (msgs: Msg[]): Aggregate[] => msgs.flatMap((m) => (Array.isArray(m.payload) ? m.payload : [m.payload]));

function awFlow(config: Record<string, unknown>): Msg[] {
  return [
    { id: "tab", type: "tab" },
    { id: "aw", z: "tab", type: "aggregate-window", wires: [["out"], ["side"]], ...config },
    { id: "out", z: "tab", type: "helper", wires: [] },
    { id: "side", z: "tab", type: "helper", wires: [] },
    ...catchAndComplete("aw"),
  ];
}
const NODES = [aggregateWindow, core.catch, core.complete];

describe("aggregate-window in a flow", () => {
  before(() => init());
  before(() => new Promise<void>((r) => helper.startServer(r)));
  after(() => new Promise<void>((r) => helper.stopServer(r)));
  afterEach(async () => {
    await unload();
  });
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it("the example: a simulated 2026-03-08 in New York gives one 23-hour day, 92 of 92 readings, GOOD", async () => {
    const flow = (JSON.parse(fs.readFileSync(EXAMPLE, "utf8")) as Msg[]).map((n) => (n.type === "aggregate-window" ? { ...n, stateDir: tmp() } : n));
    const seen = capture(["aw-ex-debug"]);
    await load([aggregateWindow, inject, core.function, debug, comment], flow);
    getNode("aw-ex-sim").receive({});
    await waitFor(() => seen["aw-ex-debug"].length >= 1, "the daily aggregate");
    const got = seen["aw-ex-debug"];
    seen.dispose();
    const [day] = aggregatesOf(got);
    assert.ok(validateReading(day).ok);
    assert.deepEqual(
      [day.window.local, day.window.start, day.window.end, day.window.expected, day.window.received, day.window.completeness, day.quality],
      ["2026-03-08", "2026-03-08T05:00:00.000Z", "2026-03-09T04:00:00.000Z", 92, 92, 1, "GOOD"],
    );
    assert.equal(day.measurements.energyImport.value, 23);
  });

  it("Complete once per input; an unknown command errors to Catch naming the commands; stats on output 2", async () => {
    const seen = capture(["out", "side", "aw-caught", "aw-done"]);
    await load(NODES, awFlow({ window: "1h", zone: "UTC", stateDir: tmp() }));
    const aw = getNode("aw");
    const t0 = Date.parse("2026-06-01T00:00:00Z");
    aw.receive({ payload: [0, 1, 2, 3, 4, 5].map((k) => reading("m1", t0 + k * Q, k)), responseBuffer: { buffer: [1, 2] }, input: { fc: 3 } });
    aw.receive({ payload: { not: "a reading" } });
    aw.receive({ command: "median" });
    aw.receive({ command: "stats" });
    await waitFor(() => seen["aw-done"].length === 3 && seen["aw-caught"].length === 1 && seen.side.length === 2, "three completes, one catch");
    assert.match(String(seen["aw-caught"][0].error.message), /unknown msg.command "median": use flush, stats/);
    assert.equal(aggregatesOf(seen.out).length, 1, "the 00:00 hour closed by event time");
    // An aggregate is a message of its own: the properties of the reading that closed the window do not ride along.
    assert.equal(seen.out[0].responseBuffer, undefined);
    assert.equal(seen.out[0].input, undefined);
    assert.deepEqual([seen.side[0].reason, seen.side[1].topic, seen.side[1].payload.openWindows], ["invalid", "stats", 1]);
    seen.dispose();
  });

  it("a batch of 5,000 readings (a store-forward replay) is aggregated in turns: the event loop runs between them, nothing is lost", async () => {
    const seen = capture(["out", "aw-done", "aw-caught"]);
    await load(NODES, awFlow({ window: "1h", zone: "UTC", stateDir: tmp() }));
    const t0 = Date.parse("2026-06-01T00:00:00Z");
    const batch = Array.from({ length: 5000 }, (_, k) => reading(`m${k % 50}`, t0 + Math.floor(k / 50) * Q, Math.floor(k / 50)));
    // Count event-loop turns from the receive to the moment the node sends its result.
    let turns = 0;
    let sentAt = -1;
    const spin = () => {
      turns++;
      if (sentAt < 0) setImmediate(spin);
    };
    const aw = getNode("aw");
    const send = aw.send.bind(aw);
    aw.send = (m: unknown) => {
      if (sentAt < 0) sentAt = turns;
      send(m);
    };
    setImmediate(spin);
    aw.receive({ payload: batch });
    await waitFor(() => seen["aw-done"].length === 1, "the batch done");
    assert.ok(sentAt >= 3, `the event loop turned ${sentAt} times while the batch was aggregated`);
    const aggs = aggregatesOf(seen.out);
    // 100 quarter hours = 25 hours of 50 devices: the first 24 hours closed, 4 readings each
    assert.equal(aggs.length, 50 * 24);
    assert.ok(aggs.every((a) => a.window.received === 4 && a.quality === "GOOD"));
    assert.equal(seen["aw-caught"].length, 0);
    seen.dispose();
  });

  it("the editor's validate endpoint: the preview of the next window, field checks with the runtime's words", async () => {
    await load(NODES, awFlow({ window: "1h", zone: "UTC", stateDir: tmp() }));
    const ok = await helper.request().post("/m2m/aggregate-window/validate").send({ window: "1d", zone: "America/New_York", version: 1 }).expect(200);
    assert.equal(ok.body.ok, true);
    assert.match(ok.body.preview, /^next window: \d{4}-\d{2}-\d{2} 00:00 → \d{4}-\d{2}-\d{2} 00:00 America\/New_York \((23|24|25) h, (92|96|100) readings expected\)$/);
    const bad = await helper.request().post("/m2m/aggregate-window/validate").send({ field: "aggregates", value: '{"energy*":"median"}' }).expect(200);
    assert.deepEqual([bad.body.ok, bad.body.field], [false, "aggregates"]);
    assert.match(bad.body.error, /"median" is not a function; use one of sum, mean/);
    const rules = await helper.request().post("/m2m/aggregate-window/validate").send({ field: "aggregates", value: '{"energy*":"delta","*":"mean"}' }).expect(200);
    assert.deepEqual([rules.body.ok, rules.body.rules], [true, 2]);
    const noZone = await helper.request().post("/m2m/aggregate-window/validate").send({ window: "1d", zone: "", version: 1 }).expect(200);
    assert.deepEqual([noZone.body.ok, noZone.body.field], [false, "zone"]);
  });

  it("a restart in the middle of a day loses nothing: the day after the restart equals the day without one", async () => {
    const dir = tmp();
    const cfg = { window: "1d", zone: "Europe/Berlin", aggregates: '{"energy*":"delta","*":"mean"}', stateDir: dir };
    const day0 = Date.parse("2026-03-28T23:00:00Z"); // Berlin 2026-03-29, 23 hours (Rule EU)
    const items = Array.from({ length: 94 }, (_, k) => reading("m1", day0 + k * Q, k));
    const expected = new Aggregator(parseAggregateWindowConfig(cfg)).add(items, Date.now()).aggregates;
    assert.equal(expected.length, 1);
    const seen = capture(["out"]);
    const flow = awFlow(cfg);
    await load(NODES, flow);
    getNode("aw").receive({ payload: items.slice(0, 50) });
    await redeploy(flow, "full"); // close writes the state; the new node restores it
    getNode("aw").receive({ payload: items.slice(50) });
    await waitFor(() => aggregatesOf(seen.out).length >= 1, "the day's aggregate");
    const [day] = aggregatesOf(seen.out);
    seen.dispose();
    assert.deepEqual(day, expected[0]);
    assert.deepEqual([day.window.expected, day.window.received, day.window.completeness], [92, 92, 1]);
  });

  it("a window closed by the idle timer carries msg.receivedAt: the newest receivedAt of its readings, not the close time", async () => {
    const seen = capture(["out"]);
    await load(NODES, awFlow({ window: "15m", zone: "UTC", aggregates: '{"energy*":"delta","*":"mean"}', latenessSeconds: "0", idleCloseSeconds: "0.5", stateDir: tmp() }));
    const aw = getNode("aw");
    const t0 = Date.parse("2026-06-01T08:00:00Z");
    // received by the gateway a few seconds after each reading; the last to arrive here was received first (a replay)
    const rcv = [5, 65, 125, 185].map((s) => t0 + s * 1000);
    for (const k of [1, 2, 3, 0]) aw.receive({ payload: reading("m1", t0 + k * 60_000, k), receivedAt: rcv[k] });
    // 08:03 is the watermark: nothing closes by event time; the device is quiet, so the wall clock closes 08:00-08:15
    await waitFor(() => seen.out.length >= 1, "the window closed by the idle timer");
    const [m] = seen.out;
    seen.dispose();
    assert.equal(aggregatesOf([m])[0].window.start, "2026-06-01T08:00:00.000Z");
    assert.equal(m.receivedAt, rcv[3], "the newest receivedAt of the window's readings");
  });

  it("a window closed by event time carries msg.receivedAt too, and a message without one counts when it arrived", async () => {
    const seen = capture(["out"]);
    await load(NODES, awFlow({ window: "15m", zone: "UTC", latenessSeconds: "0", idleCloseSeconds: "0", stateDir: tmp() }));
    const aw = getNode("aw");
    const t0 = Date.parse("2026-06-01T08:00:00Z");
    aw.receive({ payload: reading("m1", t0, 0), receivedAt: new Date(t0 + 4000).toISOString() }); // ISO text
    aw.receive({ payload: reading("m1", t0 + 5 * 60_000, 1), receivedAt: (t0 + 300_000 + 7000) / 1000 }); // epoch seconds
    aw.receive({ payload: reading("m1", t0 + Q, 2), receivedAt: t0 + Q + 3000 }); // closes 08:00 by event time
    const before = Date.now();
    aw.receive({ payload: reading("m2", t0, 0) });
    aw.receive({ payload: reading("m2", t0 + Q, 1) });
    await waitFor(() => seen.out.length >= 2, "both devices' 08:00 windows");
    const after = Date.now();
    const [m1, m2] = seen.out;
    seen.dispose();
    assert.deepEqual([aggregatesOf([m1])[0].deviceId, m1.receivedAt], ["m1", t0 + 300_000 + 7000]);
    assert.equal(aggregatesOf([m2])[0].deviceId, "m2");
    assert.ok(m2.receivedAt >= before && m2.receivedAt <= after, `no msg.receivedAt: the wall clock of its arrival (${String(m2.receivedAt)})`);
  });

  it("a replay through store-forward after an outage corrects the windows closed incomplete, ending at full completeness", async () => {
    const seen = capture(["out"]);
    const flow: Msg[] = [
      { id: "tab", type: "tab" },
      {
        id: "sf1", z: "tab", type: "store-forward", dir: tmp(), ackTimeout: "2", retryMax: "0.5", rateBytes: "0", rateMsgs: "0",
        inFlight: "10", batchSize: "1", durability: "batch", syncInterval: "20", metricsInterval: "3600", wires: [["aw"], []],
      },
      { id: "aw", z: "tab", type: "aggregate-window", window: "1h", zone: "UTC", aggregates: '{"energy*":"delta","*":"mean"}', latenessSeconds: "0", idleCloseSeconds: "0.5", correctionHours: "48", stateDir: tmp(), wires: [["out"], []] },
      { id: "out", z: "tab", type: "helper", wires: [] },
      // aggregate-window's done() acknowledges each record to store-forward
      { id: "ack", z: "tab", type: "complete", scope: ["aw"], uncaught: false, wires: [["sf1"]] },
    ];
    await load([storeForward, aggregateWindow, core.complete], flow);
    const sf = getNode("sf1");
    const t0 = Date.parse("2026-06-01T08:00:00Z");
    const send = (from: number, to: number) => {
      for (let k = from; k < to; k++) sf.receive({ payload: reading("m1", t0 + k * Q, k) });
    };
    send(0, 10); // 08:00 … 10:15 delivered live
    await waitFor(() => aggregatesOf(seen.out).some((a) => a.window.start === "2026-06-01T09:00:00.000Z"), "08:00 and 09:00 closed by event time");
    sf.receive({ command: "offline" });
    send(10, 16); // 10:30 … 11:45 stored during the outage
    // the device is quiet: the 10:00 window closes by the wall clock, half complete
    await waitFor(() => aggregatesOf(seen.out).some((a) => a.window.start === "2026-06-01T10:00:00.000Z"), "10:00 closed while quiet");
    const early = aggregatesOf(seen.out).find((a) => a.window.start === "2026-06-01T10:00:00.000Z")!;
    assert.deepEqual([early.window.revision, early.window.received, early.quality], [0, 2, "SUSPECT"]);
    sf.receive({ command: "online" });
    await waitFor(() => {
      const last = new Map(aggregatesOf(seen.out).map((a) => [a.window.start, a] as const));
      return ["10:00", "11:00"].every((h) => last.get(`2026-06-01T${h}:00.000Z`)?.window.completeness === 1);
    }, "the replay completes 10:00 and 11:00", 20_000, () => aggregatesOf(seen.out).map((a) => [a.window.start.slice(11, 16), a.window.revision, a.window.received]));
    const all = aggregatesOf(seen.out);
    seen.dispose();
    const ten = all.filter((a) => a.window.start === "2026-06-01T10:00:00.000Z");
    const fixed = ten[ten.length - 1];
    assert.ok(fixed.window.revision >= 1, "a corrected revision");
    assert.deepEqual([fixed.window.received, fixed.window.completeness, fixed.quality, fixed.measurements.energyImport.value], [4, 1, "GOOD", 1]);
    const last = new Map(all.map((a) => [a.window.start, a] as const));
    for (const a of last.values()) assert.equal(a.window.completeness, 1, `${a.window.start} ends complete`);
  });
});
