/**
 * The seeds' final validation, on `npm start`'s smart-metering lab in simulated time: "Power off internet
 * connection for 4 hours during peak data generation. Power on. Verify ALL buffered data uploads with original
 * timestamps and zero gaps."
 *
 * Two demos run side by side from the same simulated start (SIM_START, SIM_SPEED) and the same seed: one with the
 * gateway's uplink cut for 4 simulated hours from the evening peak (about 17:00 on March 31), one without. Then:
 *
 * - every 15-minute window of every meter reaches the broker, with its original timestamp and the very same values
 *   (and gateway receive time) as in the run without the outage;
 * - duplicates are under 0.1 %;
 * - the cloud's daily aggregates of March 31 are final at full completeness (96 of 96 intervals);
 * - the month's bills (March closes by itself once April's readings are an hour past its end) are equal, to the
 *   cent and line by line, to the bills of the run without the outage.
 *
 * Both start alike because the lab's clock starts a few seconds after the deploy, once the Flex-Getter's client
 * has connected (a poll queued before would be answered with later registers, and the runs would differ there).
 * The uplink is cut and restored with the lab's own buttons (their inject nodes' admin endpoint, as the editor does).
 * Each demo deploys only the lab's tab (DEMO_FLOWS=03): the other tabs' simulators would only load the machine.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "mocha";
import mqtt from "mqtt";
import { ROOT, childEnv, freePort, launchNodeRed, logProblems, makeTempDir, removeDir, saveLog, sleep, waitFor, type NodeRedInstance } from "./helpers";

/** March 30 22:00: March 31, the day of the outage, is whole; April's first hours close March's bills. */
const START = "2026-03-30T22:00:00Z";
/** A simulated day in 30 s. */
const SPEED = 2880;
const METERS = ["elec-001", "elec-002", "gas-001", "water-001"];
const QUARTER = 900_000;
const HOUR = 3_600_000;
const OUTAGE_MS = 4 * HOUR;
const DAY = Date.parse("2026-03-31T00:00:00Z");
const EVENING_PEAK = Date.parse("2026-03-31T17:00:00Z");

interface Reading {
  deviceId: string;
  timestamp: string;
  measurements: Record<string, { value: number; unit?: string }>;
  window: { completeness: number; final: boolean; expected: number; received: number };
}
interface Bill {
  deviceId: string;
  total: string;
  period: { start: string; end: string };
  final: boolean;
  intervals: number;
}
interface Arrival {
  topic: string;
  body: Record<string, unknown>;
  at: number;
}

class Run {
  nr?: NodeRedInstance;
  client?: mqtt.MqttClient;
  readonly tmp: string;
  readonly arrivals: Arrival[] = [];
  constructor(readonly name: string) {
    this.tmp = makeTempDir(`proof-${name}`);
  }

  async start(): Promise<void> {
    const [port, mqttPort, mqttsPort, modbusPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const env = childEnv(process.execPath, {
      PORT: String(port), MQTT_PORT: String(mqttPort), MQTTS_PORT: String(mqttsPort), MODBUS_PORT: String(modbusPort), LWM2M_PORT: String(await freePort()), DEMO_FLOWS: "03", HOST: "",
      DEMO_USER_DIR: path.join(this.tmp, "userDir"), SIM_START: START, SIM_SPEED: String(SPEED),
    });
    this.nr = await launchNodeRed(`npm start (${this.name})`, process.execPath, [path.join(ROOT, "scripts", "start.js")], { cwd: ROOT, env, port });
    this.client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: `proof-${this.name}`, reconnectPeriod: 100 });
    this.client.on("message", (topic, payload) => this.arrivals.push({ topic, body: JSON.parse(payload.toString("utf8")) as Record<string, unknown>, at: Date.now() }));
    await this.client.subscribeAsync(["m2m-lab/#", "m2m-cloud/#"], { qos: 1 });
  }

  async stop(): Promise<void> {
    try {
      await this.client?.endAsync(true);
      await this.nr?.stop();
      if (this.nr) saveLog(`proof-${this.name}.log`, this.nr.log());
    } finally {
      removeDir(this.tmp);
    }
  }

  async press(injectId: string): Promise<void> {
    const res = await fetch(`${this.nr!.url}/inject/${injectId}`, { method: "POST" });
    assert.equal(res.status, 200, `pressing inject ${injectId}`);
  }

  /** The gateway's 15-minute windows as the broker got them, in order of arrival (a message may hold several). */
  windows(): { reading: Reading; receivedAt: number; at: number }[] {
    return this.arrivals
      .filter((a) => a.topic.startsWith("m2m-lab/"))
      .flatMap((a) => {
        const { reading, receivedAt } = a.body as { reading: Reading | Reading[]; receivedAt: number };
        return (Array.isArray(reading) ? reading : [reading]).map((r) => ({ reading: r, receivedAt, at: a.at }));
      });
  }
  latest(deviceId: string): number {
    return Math.max(-Infinity, ...this.windows().filter((w) => w.reading.deviceId === deviceId).map((w) => Date.parse(w.reading.timestamp)));
  }
  daily(deviceId: string, day: number): Reading | undefined {
    return this.arrivals.find((a) => a.topic === `m2m-cloud/daily/${deviceId}` && Date.parse((a.body as unknown as Reading).timestamp) === day)?.body as unknown as Reading | undefined;
  }
  marchBills(): Bill[] {
    return this.arrivals
      .filter((a) => a.topic === "m2m-cloud/bills")
      .map((a) => a.body as unknown as Bill)
      .filter((b) => b.period.start === "2026-03-01T00:00:00.000Z")
      .sort((a, b) => a.deviceId.localeCompare(b.deviceId));
  }
  /** Until March is billed for both electric meters and March 31 is aggregated for every meter. */
  async finished(): Promise<void> {
    await waitFor(
      () => this.marchBills().length >= 2 && METERS.every((d) => this.daily(d, DAY) !== undefined),
      `${this.name}: March's bills and March 31's daily aggregates`,
      90_000,
    );
  }
}

describe("the seeds' final validation: a 4-hour uplink outage at the evening peak, in simulated time (npm start's lab)", () => {
  const outage = new Run("outage");
  const reference = new Run("reference");
  let cutAt = 0;
  let restoredAt = 0;
  let lastBeforeCut = 0;

  before(async () => {
    await Promise.all([outage.start(), reference.start()]);
  });
  after(async () => {
    await Promise.all([outage.stop(), reference.stop()]);
  });

  it("runs both labs through March 31 and into April, cutting one's uplink for 4 simulated hours from about 17:00", async () => {
    // The 16:30 window leaves the gateway once its 16:45 boundary is read, at about 17:00 simulated.
    await waitFor(() => METERS.every((d) => outage.latest(d) >= EVENING_PEAK - 2 * QUARTER), "the outage run's 16:30 windows", 90_000);
    await outage.press("m2m-lab-cut");
    cutAt = Date.now();
    await sleep(300); // what was already on its way lands
    lastBeforeCut = Math.max(...METERS.map((d) => outage.latest(d)));
    await sleep((OUTAGE_MS / SPEED) - 300);
    restoredAt = Date.now();
    await outage.press("m2m-lab-restore");
    await Promise.all([outage.finished(), reference.finished()]);
    assert.ok(cutAt > 0 && restoredAt - cutAt >= OUTAGE_MS / SPEED);
  });

  it("buffered 4 simulated hours of the evening peak and uploaded them after the restore", () => {
    const during = outage.windows().filter((w) => w.at > cutAt + 300 && w.at < restoredAt);
    assert.deepEqual(during.map((w) => `${w.reading.deviceId} ${w.reading.timestamp}`), [], "nothing reaches the broker while the uplink is cut");
    // Every window of the 3.5 simulated hours after the last one sent before the cut was held and sent after the restore.
    for (const d of METERS) {
      const held = outage.windows().filter((w) => w.reading.deviceId === d && Date.parse(w.reading.timestamp) > lastBeforeCut && Date.parse(w.reading.timestamp) <= lastBeforeCut + 3.5 * HOUR);
      assert.equal(held.length, 14, `${d}: 14 windows of the outage's first 3.5 simulated hours`);
      for (const w of held) assert.ok(w.at >= restoredAt, `${d} ${w.reading.timestamp}: uploaded after the restore`);
      assert.ok(Date.parse(held[0].reading.timestamp) >= EVENING_PEAK - QUARTER && Date.parse(held[0].reading.timestamp) <= EVENING_PEAK + HOUR, "at the evening peak");
    }
  });

  it("every 15-minute interval of every meter is present, with its original timestamp and values; duplicates under 0.1 %", () => {
    const key = (w: { reading: Reading }) => `${w.reading.deviceId} ${w.reading.timestamp}`;
    const got = outage.windows();
    const unique = new Map(got.map((w) => [key(w), w]));
    assert.ok((got.length - unique.size) / got.length < 0.001, `duplicates: ${got.length - unique.size} of ${got.length}`);
    const ref = new Map(reference.windows().map((w) => [key(w), w]));
    for (const d of METERS) {
      const times = [...unique.values()].filter((w) => w.reading.deviceId === d).map((w) => Date.parse(w.reading.timestamp)).sort((a, b) => a - b);
      // Zero gaps: a window every 15 minutes from the first to the last, across the whole of March 31.
      assert.ok(times[0] < DAY && times[times.length - 1] >= DAY + 24 * HOUR, `${d}: windows from ${new Date(times[0]).toISOString()} past March 31`);
      for (let i = 1; i < times.length; i++) {
        assert.equal(times[i] - times[i - 1], QUARTER, `${d}: a gap after ${new Date(times[i - 1]).toISOString()}`);
      }
    }
    // The same windows as without the outage: timestamps, values, stats; and the gateway's receive time with each.
    let compared = 0;
    for (const [k, w] of unique) {
      assert.ok(Number.isFinite(w.receivedAt) && w.receivedAt > Date.parse(w.reading.timestamp), `${k}: receivedAt ${String(w.receivedAt)}`);
      const r = ref.get(k);
      if (!r) continue;
      assert.deepEqual(w.reading, r.reading, k);
      compared++;
    }
    const outageKeys = [...unique.keys()].filter((k) => {
      const t = Date.parse(k.split(" ")[1]);
      return t > lastBeforeCut && t <= lastBeforeCut + OUTAGE_MS - HOUR;
    });
    assert.ok(outageKeys.every((k) => ref.has(k)), "the reference run has the outage's windows too");
    assert.ok(compared >= METERS.length * 96, `windows compared with the reference run: ${compared}`);
  });

  it("the day's aggregates are final at full completeness and equal to the run without the outage", () => {
    for (const d of METERS) {
      const day = outage.daily(d, DAY)!;
      assert.equal(day.window.final, true, `${d}: March 31 final`);
      assert.equal(day.window.expected, 96);
      assert.equal(day.window.received, 96, `${d}: March 31 has every interval`);
      assert.equal(day.window.completeness, 1);
      assert.deepEqual(day, reference.daily(d, DAY), `${d}: March 31 as without the outage`);
    }
  });

  it("March's bills are equal, to the cent and line by line, to the bills of the run without the outage", () => {
    const bills = outage.marchBills();
    assert.deepEqual(bills.map((b) => b.deviceId), ["elec-001", "elec-002"]);
    for (const b of bills) {
      assert.equal(b.final, true);
      assert.match(b.total, /^\d+\.\d\d$/);
      assert.ok(b.intervals >= 24, `${b.deviceId}: ${b.intervals} hours billed`);
    }
    assert.deepEqual(bills, reference.marchBills());
    for (const run of [outage, reference]) assert.deepEqual(logProblems(run.nr!.log()), [], run.nr!.log());
  });
});
