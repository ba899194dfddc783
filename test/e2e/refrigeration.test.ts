/**
 * The seeds' retail refrigeration worked example, on `npm start`'s tab 04 in simulated time: "Rural store offline
 * for 24 hours, then reconnects. [...] During 24-hour outage, gateway buffers 288 readings × 16 sensors = 4,608
 * readings. When connectivity resumes, all readings upload with original timestamps. Auditor sees continuous log
 * with zero gaps." and "FDA Food Code requires temperature logs with ≤15-minute gaps".
 *
 * npm start runs on free ports in a temporary user directory, its simulated clock from SIM_START at SIM_SPEED (a day
 * in 15 s), deploying only this tab (DEMO_FLOWS=04: the other tabs' simulators would only load the machine). The test presses the tab's own buttons (their inject nodes' admin endpoint, as the editor does): it cuts
 * the store's uplink for 24 simulated hours, leaves unit 3's door open for an hour and sticks unit 5's product sensor
 * during the outage, then pauses the clock and restores the uplink. Then, at the cloud side of the broker:
 *
 * - every 15-minute window of each of the 8 units (16 sensors) is there, complete (3 readings of 5 minutes), with its
 *   original timestamp and its readings' original times: no gap longer than 15 minutes in any sensor's log;
 * - the door-open excursion arrives as a P0 alarm ahead of the buffered windows, above 41 °F;
 * - the stuck sensor is flagged (a sensor-stuck alarm, and in the compliance view);
 * - the cloud's FDA compliance view (fridge-cloud/compliance/store-042) counts every window, has no gap, and lists the
 *   excursions.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "mocha";
import mqtt from "mqtt";
import { ROOT, childEnv, freePort, launchNodeRed, logProblems, makeTempDir, removeDir, saveLog, sleep, waitFor, type NodeRedInstance } from "./helpers";

const START = "2026-02-08T06:00:00Z";
/** A simulated day in 15 s of real time (the replay itself is paced in real time: 100 kbps). */
const SPEED = 5760;
const MIN = 60_000;
const QUARTER = 15 * MIN;
const HOUR = 3_600_000;
const OUTAGE_MS = 24 * HOUR;
const STORE = "store-042";
const UNITS = [1, 2, 3, 4, 5, 6, 7, 8].map((u) => `${STORE}-u${u}`);
const SENSORS = ["supplyAir", "product"];

interface Stats { count: number; max: number; firstAt: string; lastAt: string }
interface Window {
  deviceId: string;
  timestamp: string;
  measurements: Record<string, { value: number; unit: string; stats: Stats }>;
  window: { start: string; end: string; expected: number; received: number; completeness: number };
}
interface Alarm { alarm: string; store: string; deviceId: string; sensor: string; at: string; valueF: number; limitF?: number }
interface Summary {
  store: string; from: string; to: string; windows: number; sensors: number; incomplete: number;
  gaps: { deviceId: string; sensor: string; from: string; to: string }[];
  excursions: { deviceId: string; sensor: string; at: string; valueF: number }[];
  stuck: { deviceId: string; sensor: string }[];
  compliant: boolean;
}
interface Arrival { topic: string; body: Record<string, unknown>; at: number }

/** The log lines of this tab's nodes ("[type:name]"), so the other tabs' troubles are their own tests' business. */
const TAB = JSON.parse(fs.readFileSync(path.join(ROOT, "examples", "deployments", "04-retail-refrigeration.json"), "utf8")) as { type: string; name?: string }[];
const ours = (line: string) => TAB.some((n) => n.name && line.includes(`[${n.type}:${n.name}]`));

describe("the seeds' retail refrigeration: a 24-hour uplink outage of a store, in simulated time (npm start's tab 04)", () => {
  let tmp: string | undefined;
  let nr: NodeRedInstance | undefined;
  let client: mqtt.MqttClient | undefined;
  const arrivals: Arrival[] = [];
  let cutAt = 0;
  let restoredAt = 0;
  let lastBeforeCut = 0;

  const windows = () =>
    arrivals.filter((a) => a.topic.startsWith(`us-east/${STORE}/fridge/`)).flatMap((a) => {
      const r = (a.body as { reading: Window | Window[] }).reading;
      return (Array.isArray(r) ? r : [r]).map((w) => ({ w, at: a.at }));
    });
  const alarms = () => arrivals.filter((a) => a.topic.startsWith(`us-east/${STORE}/fridge-alarm/`)).map((a) => ({ a: (a.body as { alarm: Alarm }).alarm, at: a.at }));
  const summaries = () => arrivals.filter((a) => a.topic === `fridge-cloud/compliance/${STORE}`).map((a) => a.body as unknown as Summary);
  const latest = (deviceId: string) => Math.max(-Infinity, ...windows().filter((x) => x.w.deviceId === deviceId).map((x) => Date.parse(x.w.timestamp)));

  before(async () => {
    tmp = makeTempDir("fridge");
    const [port, mqttPort, mqttsPort, modbusPort, lwm2mPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const env = childEnv(process.execPath, {
      PORT: String(port), MQTT_PORT: String(mqttPort), MQTTS_PORT: String(mqttsPort), MODBUS_PORT: String(modbusPort), LWM2M_PORT: String(lwm2mPort),
      HOST: "", DEMO_USER_DIR: path.join(tmp, "userDir"), SIM_START: START, SIM_SPEED: String(SPEED), DEMO_FLOWS: "04",
    });
    nr = await launchNodeRed("npm start (refrigeration)", process.execPath, [path.join(ROOT, "scripts", "start.js")], { cwd: ROOT, env, port });
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: "fridge-e2e", reconnectPeriod: 100 });
    client.on("message", (topic, payload) => arrivals.push({ topic, body: JSON.parse(payload.toString("utf8")) as Record<string, unknown>, at: Date.now() }));
    await client.subscribeAsync(["+/+/fridge/+", "+/+/fridge-alarm/+", "fridge-cloud/compliance/#"], { qos: 1 });
  });

  after(async () => {
    try {
      await client?.endAsync(true);
      await nr?.stop();
      if (nr) saveLog("refrigeration.log", nr.log());
    } finally {
      removeDir(tmp);
    }
  });

  async function press(injectId: string): Promise<void> {
    const res = await fetch(`${nr!.url}/inject/${injectId}`, { method: "POST" });
    assert.equal(res.status, 200, `pressing inject ${injectId}`);
  }

  it("runs the store for an hour, cuts its uplink for 24 simulated hours with a door left open and a sensor stuck, then restores it", async () => {
    const start = Date.parse(START);
    await waitFor(() => UNITS.every((d) => latest(d) >= start + HOUR - QUARTER), "an hour of every unit's windows", 60_000);
    await press("fridge-cut");
    cutAt = Date.now();
    await sleep(300); // what was already on its way lands
    lastBeforeCut = Math.max(...UNITS.map(latest));
    const simulated = (ms: number) => sleep(ms / SPEED);
    await simulated(2 * HOUR);
    await press("fridge-i-door"); // unit 3's door left open for an hour
    await simulated(HOUR);
    await press("fridge-i-door-close");
    await simulated(2 * HOUR);
    await press("fridge-i-stuck"); // unit 5's product sensor freezes
    await sleep(OUTAGE_MS / SPEED - (Date.now() - cutAt));
    await press("fridge-i-pause"); // the clock stops, so the backlog drains at 100 kbps without new data behind it
    await sleep(200);
    restoredAt = Date.now();
    await press("fridge-restore");
    // The backlog is uploaded: every unit's windows reach the outage's last hours, then nothing more comes.
    await waitFor(() => UNITS.every((d) => latest(d) >= lastBeforeCut + OUTAGE_MS - 2 * HOUR), "the buffered day of every unit", 120_000);
    let n = -1;
    await waitFor(() => {
      const quiet = arrivals.length === n && Date.now() - arrivals[arrivals.length - 1].at > 2000;
      n = arrivals.length;
      return quiet;
    }, "the end of the replay", 60_000);
    assert.ok(restoredAt - cutAt >= OUTAGE_MS / SPEED);
  });

  it("nothing crossed the uplink while it was cut; the outage's windows came after the restore", () => {
    const during = windows().filter((x) => x.at > cutAt + 300 && x.at < restoredAt);
    assert.deepEqual(during.map((x) => `${x.w.deviceId} ${x.w.timestamp}`), [], "nothing reaches the broker while the uplink is cut");
    const held = windows().filter((x) => Date.parse(x.w.timestamp) > lastBeforeCut);
    assert.ok(held.length >= 8 * 90, `the outage's windows: ${held.length}`);
    for (const x of held) assert.ok(x.at >= restoredAt, `${x.w.deviceId} ${x.w.timestamp}: uploaded after the restore`);
  });

  it("every 15-minute window of all 16 sensors is present, complete, with its original timestamp and readings' times: no gap", () => {
    const got = windows();
    const unique = new Map(got.map((x) => [`${x.w.deviceId} ${x.w.timestamp}`, x.w]));
    assert.ok((got.length - unique.size) / got.length < 0.01, `duplicates: ${got.length - unique.size} of ${got.length}`);
    for (const d of UNITS) {
      const ws = [...unique.values()].filter((w) => w.deviceId === d).sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
      const first = Date.parse(ws[0].timestamp);
      assert.equal(first, Date.parse(START), `${d}: from the start`);
      assert.ok(Date.parse(ws[ws.length - 1].timestamp) >= lastBeforeCut + OUTAGE_MS - 2 * HOUR, `${d}: through the outage`);
      ws.forEach((w, i) => {
        assert.equal(Date.parse(w.timestamp), first + i * QUARTER, `${d}: window ${i} (no window missing)`);
        assert.equal(w.window.expected, 3);
        assert.equal(w.window.received, 3, `${d} ${w.timestamp}: 3 readings of 5 minutes`);
        for (const s of SENSORS) {
          const st = w.measurements[s].stats;
          assert.equal(st.count, 3, `${d} ${w.timestamp} ${s}`);
          // The original reading times: the unit's own offset within the window, the same in every window.
          const offset = Date.parse(ws[0].measurements[s].stats.firstAt) - first;
          assert.equal(Date.parse(st.firstAt), Date.parse(w.timestamp) + offset, `${d} ${w.timestamp} ${s}: first reading at its original time`);
          assert.equal(Date.parse(st.lastAt) - Date.parse(st.firstAt), 10 * MIN);
          assert.ok(offset >= 0 && offset <= MIN, `${d}: offset ${offset} ms`);
          if (i > 0) assert.ok(Date.parse(st.firstAt) - Date.parse(ws[i - 1].measurements[s].stats.lastAt) <= QUARTER, `${d} ${s}: a gap before ${w.timestamp}`);
        }
      });
    }
  });

  it("the door left open during the outage arrives as a P0 excursion alarm above 41 °F, ahead of the buffered windows", () => {
    const all = alarms();
    const door = all.filter((x) => x.a.alarm === "excursion" && x.a.deviceId === `${STORE}-u3`);
    assert.ok(door.length >= 1, `unit 3's excursion alarms: ${JSON.stringify(all.map((x) => x.a))}`);
    for (const x of door) {
      assert.ok(x.a.valueF > 41, `${x.a.sensor} at ${x.a.valueF} °F`);
      assert.equal(x.a.limitF, 41);
      // Pressed 2 simulated hours into the outage; how far the simulated clock has run when the press lands depends on
      // the machine's load, so only "during the outage" is asserted.
      assert.ok(Date.parse(x.a.at) > lastBeforeCut && Date.parse(x.a.at) < lastBeforeCut + OUTAGE_MS, `during the outage: ${x.a.at}`);
      assert.ok(x.at >= restoredAt);
    }
    assert.ok(all.some((x) => x.a.alarm === "excursion-end" && x.a.deviceId === `${STORE}-u3`), "the door closed: the excursion ended");
    assert.ok(!all.some((x) => x.a.alarm === "excursion" && x.a.deviceId !== `${STORE}-u3`), "only unit 3 left 41 °F");
    // Priority P0: the alarms held during the outage went ahead of the buffered windows. Only what store-forward had
    // already handed to mqtt out when the link went down (at most its 10 unacked messages, all older than the
    // excursion) is delivered before them, by the MQTT client on reconnect.
    const after = arrivals.filter((a) => a.at >= restoredAt);
    const lastAlarm = after.map((a) => a.topic.includes("/fridge-alarm/")).lastIndexOf(true);
    assert.ok(lastAlarm >= 1, "alarms after the restore");
    const ahead = after.slice(0, lastAlarm).filter((a) => a.topic.includes("/fridge/")).map((a) => (a.body as { reading: Window }).reading);
    const doorAt = Math.min(...door.map((x) => Date.parse(x.a.at)));
    assert.ok(ahead.length <= 10, `windows before the alarms: ${ahead.map((w) => `${w.deviceId} ${w.timestamp}`).join(", ")}`);
    for (const w of ahead) assert.ok(Date.parse(w.timestamp) < doorAt, `${w.deviceId} ${w.timestamp} was in flight at the cut, before the excursion`);
  });

  it("the stuck sensor is flagged: a sensor-stuck alarm, and the compliance view lists it", () => {
    const stuck = alarms().filter((x) => x.a.alarm === "sensor-stuck");
    assert.deepEqual(stuck.map((x) => `${x.a.deviceId}/${x.a.sensor}`), [`${STORE}-u5/product`]);
    const last = summaries()[summaries().length - 1];
    assert.deepEqual(last.stuck.map((s) => `${s.deviceId}/${s.sensor}`), [`${STORE}-u5/product`]);
  });

  it("the cloud's FDA compliance view: every window, no gap longer than 15 minutes, and the excursions", () => {
    const all = summaries();
    assert.ok(all.length > 0, "compliance summaries on fridge-cloud/compliance/store-042");
    const last = all[all.length - 1];
    const unique = new Set(windows().map((x) => `${x.w.deviceId} ${x.w.timestamp}`));
    assert.equal(last.store, STORE);
    assert.equal(last.sensors, 16);
    assert.equal(last.windows, unique.size);
    assert.deepEqual(last.gaps, [], "no gap after the outage");
    assert.equal(last.incomplete, 0);
    assert.ok(last.excursions.length >= 1 && last.excursions.every((e) => e.deviceId === `${STORE}-u3` && e.valueF > 41));
    assert.equal(last.compliant, false, "an excursion is not compliant");
    // While the uplink was cut, the view saw nothing new (its last window before the cut), never a gap once data came.
    for (const s of all) assert.deepEqual(s.gaps, [], `a gap in the summary up to ${s.to}`);
    assert.deepEqual(logProblems(nr!.log()).filter(ours), [], nr!.log());
  });
});
