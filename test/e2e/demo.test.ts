/**
 * The README's first command, `npm start`, as a newcomer runs it: scripts/start.js starts the demo's MQTT
 * broker and Node-RED with every flow in flows/ deployed (here on free ports and in a temporary user
 * directory, through the variables README names). Then, from the outside:
 *
 * - the simulated Modbus meters' registers come out as canonical readings at the cloud side of the broker;
 * - "cut the link" stops the uplink: nothing reaches the broker while store-forward keeps the readings;
 * - "restore the link" drains the backlog: every reading arrives, with its original timestamp, and none is
 *   missing (meter-003 counts up by exactly 0.01 kWh a reading, so a gap would show).
 *
 * - the smart-metering lab: meter-sim's Modbus TCP server is polled by a real Flex-Getter, and the gateway's
 *   15-minute windows of all four meters reach the cloud side over MQTT, in simulated time (SIM_START, SIM_SPEED);
 *   the cloud bills the electric meters with the seeds' tiered TOU tariff on "close the bills now".
 *
 * The inject buttons are pressed through the inject node's admin endpoint, as the editor does.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "mocha";
import mqtt from "mqtt";
import { ROOT, childEnv, freePort, launchNodeRed, logProblems, makeTempDir, removeDir, saveLog, sleep, waitFor, type NodeRedInstance } from "./helpers";


interface Reading {
  deviceId: string;
  timestamp: string;
  measurements: Record<string, { value: unknown; unit?: string }>;
  quality: string;
}

/** The lab's simulated start: a month's first day at midnight, so its first hours are billed in that month. */
const LAB_START = "2026-03-01T00:00:00Z";
const LAB_METERS = ["elec-001", "elec-002", "gas-001", "water-001"];

describe("the demo (npm start)", () => {
  let tmp: string | undefined;
  let nr: NodeRedInstance | undefined;
  let client: mqtt.MqttClient | undefined;
  let labClient: mqtt.MqttClient | undefined;
  let mqttPort: number;
  let modbusPort: number;
  let mqttsPort: number;
  const received: { topic: string; reading: Reading }[] = [];
  const lab: { topic: string; body: Record<string, unknown> }[] = [];

  before(async () => {
    tmp = makeTempDir("demo");
    mqttPort = await freePort();
    modbusPort = await freePort();
    mqttsPort = await freePort();
    const port = await freePort();
    const env = childEnv(process.execPath, {
      PORT: String(port), MQTT_PORT: String(mqttPort), MODBUS_PORT: String(modbusPort), MQTTS_PORT: String(mqttsPort), LWM2M_PORT: String(await freePort()), DEMO_USER_DIR: path.join(tmp, "userDir"), HOST: "",
      SIM_START: LAB_START, SIM_SPEED: "2880",
    });
    nr = await launchNodeRed("npm start", process.execPath, [path.join(ROOT, "scripts", "start.js")], { cwd: ROOT, env, port });
  });

  after(async () => {
    try {
      await client?.endAsync(true);
      await labClient?.endAsync(true);
      await nr?.stop();
      if (nr) saveLog("demo.log", nr.log());
    } finally {
      removeDir(tmp);
    }
  });

  async function press(injectId: string): Promise<void> {
    const res = await fetch(`${nr!.url}/inject/${injectId}`, { method: "POST" });
    assert.equal(res.status, 200, `pressing inject ${injectId}`);
  }

  it("deploys every flow of flows/ and starts its MQTT broker", async () => {
    const res = await fetch(`${nr!.url}/flows`, { headers: { Accept: "application/json" } });
    assert.equal(res.status, 200);
    const flows = (await res.json()) as { id: string; type: string }[];
    const types = new Set(flows.map((n) => n.type));
    for (const t of ["meter-normalize", "store-forward", "mqtt out", "mqtt in", "meter-sim", "modbus-flex-getter", "m2m-validate", "aggregate-window", "tariff-bill"])
      assert.ok(types.has(t), `no ${t} node deployed`);
    assert.match(nr!.log(), new RegExp(`MQTT broker \\(aedes\\) on 127\\.0\\.0\\.1:${mqttPort}`));
    // The editor's address is printed, and by default it listens on this machine only (HOST opens it).
    const url = nr!.url.replace(/\/$/, "");
    assert.ok(nr!.log().includes(`Node-RED at ${url}/`), `npm start prints the editor's address ${url}/`);
    assert.doesNotMatch(nr!.log(), /WARNING: HOST=/);
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: "demo-test-cloud", reconnectPeriod: 100 });
    client.on("message", (topic, payload) => received.push({ topic, reading: JSON.parse(payload.toString("utf8")) as Reading }));
    await client.subscribeAsync("eu-central/#", { qos: 1 });
    // The lab: what the gateway sends (m2m-lab/...) and what the cloud side publishes (m2m-cloud/...).
    labClient = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: "demo-test-lab", reconnectPeriod: 100 });
    labClient.on("message", (topic, payload) => lab.push({ topic, body: JSON.parse(payload.toString("utf8")) as Record<string, unknown> }));
    await labClient.subscribeAsync(["m2m-lab/#", "m2m-cloud/#"], { qos: 1 });
    assert.match(nr!.log(), new RegExp(`Modbus TCP server on 127\\.0\\.0\\.1:${modbusPort}`), "meter-sim's Modbus server listens on MODBUS_PORT");

  });

  it("lab: the uplink is MQTT over TLS with certificates made at the first start, its secrets in credentials only", async () => {
    const userDir = path.join(tmp!, "userDir");
    assert.match(nr!.log(), new RegExp(`MQTT over TLS \\(aedes\\) on 127\\.0\\.0\\.1:${mqttsPort}`));
    await waitFor(() => ["m2m-lab-gateway", "m2m-lab-cloud"].every((c) => nr!.log().includes(`Connected to broker: ${c}@mqtts://127.0.0.1:${mqttsPort}`)), "the lab's connections over TLS");
    const ca = fs.readFileSync(path.join(userDir, "tls", "ca.crt"), "utf8");
    const password = fs.readFileSync(path.join(userDir, "tls", "uplink-password"), "utf8").trim();
    const flowsJson = fs.readFileSync(path.join(userDir, "flows.json"), "utf8");
    assert.ok(!flowsJson.includes(password) && !flowsJson.includes("BEGIN CERTIFICATE"), "no secret in the flow JSON");
    const creds = JSON.parse(fs.readFileSync(path.join(userDir, "flows_cred.json"), "utf8")) as Record<string, Record<string, string>>;
    assert.equal(creds["m2m-lab-gw-broker"].password, password);
    assert.equal(creds["m2m-lab-tls"].cadata, ca);
    // The TLS listener checks the login: a wrong password is refused, the right one (with the demo CA) connects.
    const tlsUrl = `mqtts://127.0.0.1:${mqttsPort}`;
    await assert.rejects(mqtt.connectAsync(tlsUrl, { ca, username: "m2m-lab", password: "wrong", reconnectPeriod: 0, connectTimeout: 5000 }), /Bad username or password|Not authorized|bad user/i);
    const ok = await mqtt.connectAsync(tlsUrl, { ca, username: "m2m-lab", password, reconnectPeriod: 0, connectTimeout: 5000 });
    await ok.endAsync(true);
  });

  it("lab: the simulated Modbus meters' 15-minute windows reach the cloud side in simulated time, and a bill comes out on close", async () => {
    // A message holds a window, or several when one reading closes more than one (aggregate-window sends them as a batch).
    const windows = () =>
      lab
        .filter((m) => m.topic.startsWith("m2m-lab/"))
        .flatMap((m) => {
          const { reading, receivedAt } = m.body as { reading: Reading | Reading[]; receivedAt: number };
          return (Array.isArray(reading) ? reading : [reading]).map((r) => ({ reading: r, receivedAt }));
        });
    // Three simulated hours of every meter (a day runs in 30 s at SIM_SPEED 2880): the cloud has closed an hour by then.
    const threeHours = Date.parse(LAB_START) + 3 * 3600_000;
    await waitFor(() => LAB_METERS.every((d) => windows().some((w) => w.reading.deviceId === d && Date.parse(w.reading.timestamp) >= threeHours)), "three simulated hours of each lab meter", 60_000);
    for (const w of windows()) {
      assert.equal(Date.parse(w.reading.timestamp) % 900_000, 0, "a 15-minute window starts on the quarter hour");
      assert.ok(Date.parse(w.reading.timestamp) >= Date.parse(LAB_START), `${w.reading.timestamp}: simulated time, from SIM_START`);
      assert.ok(w.receivedAt > Date.parse(w.reading.timestamp), `the gateway's (simulated) receive time crosses MQTT in the envelope: ${w.reading.deviceId} ${w.reading.timestamp} receivedAt ${JSON.stringify(w.receivedAt)}`);
      assert.equal(w.reading.quality, "GOOD", JSON.stringify(w.reading));
    }
    const e = windows().find((w) => w.reading.deviceId === "elec-001")!.reading;
    assert.equal(e.measurements.energy.unit, "kWh");
    assert.ok((e.measurements.energy.value as number) > 0 && (e.measurements.energy.value as number) < 2, `a quarter hour's kWh: ${String(e.measurements.energy.value)}`);
    assert.equal(windows().find((w) => w.reading.deviceId === "gas-001")!.reading.measurements.volume.unit, "m3");

    await press("m2m-lab-close-bills");
    const bills = () => lab.filter((m) => m.topic === "m2m-cloud/bills").map((m) => m.body as { deviceId: string; total: string; currency: string; intervals: number; period: { start: string }; lines: { description: string; amount: string }[] });
    await waitFor(() => bills().length >= 2, "the electric meters' bills on m2m-cloud/bills");
    assert.deepEqual(bills().map((b) => b.deviceId).sort(), ["elec-001", "elec-002"], "only the electric meters are billed");
    for (const b of bills()) {
      assert.equal(b.currency, "USD");
      assert.equal(b.period.start, "2026-03-01T00:00:00.000Z");
      assert.ok(b.intervals >= 1, `${b.deviceId}: hours billed`);
      assert.match(b.total, /^\d+\.\d\d$/, "money to the cent");
      assert.ok(Number(b.total) > 0);
      assert.ok(b.lines.some((l) => /tier 1/.test(l.description)), JSON.stringify(b.lines));
    }
    assert.deepEqual(logProblems(nr!.log()), [], nr!.log());
  });

  it("turns the simulated Modbus registers into canonical readings that reach the cloud side", async () => {
    await press("m2m-demo-poll1");
    await press("m2m-demo-poll2");
    await waitFor(() => ["meter-001", "meter-002"].every((d) => received.some((r) => r.reading.deviceId === d)), "readings of meter-001 and meter-002");
    const r = received.find((x) => x.reading.deviceId === "meter-001")!;
    assert.equal(r.topic, "eu-central/substation-7/electric/meter-001");
    assert.match(r.reading.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(r.reading.quality, "GOOD");
    assert.equal(r.reading.measurements.voltageL1.unit, "V");
    assert.equal(r.reading.measurements.energyImport.unit, "kWh");
    assert.equal(Object.keys(r.reading.measurements).length, 10);
  });

  it("keeps every reading while the link is cut and delivers them all, with their timestamps, once it is restored", async () => {
    await waitFor(() => received.some((r) => r.reading.deviceId === "meter-003"), "meter-003's readings");
    await press("m2m-sf-cut");
    const cutAt = Date.now();
    await sleep(500); // what was already on its way lands
    const before = received.length;
    await press("m2m-demo-poll1");
    await press("m2m-demo-poll2");
    await sleep(3_000); // three of meter-003's readings, and the two polls, go to the buffer
    assert.equal(received.length, before, "nothing reaches the broker while the link is cut");
    const restoredAt = Date.now();
    await press("m2m-sf-restore");

    const after = (d: string) => received.some((r) => r.reading.deviceId === d && Date.parse(r.reading.timestamp) > cutAt);
    await waitFor(() => after("meter-001") && after("meter-002"), "the polls made during the cut");
    await waitFor(
      () => received.some((r) => r.reading.deviceId === "meter-003" && Date.parse(r.reading.timestamp) > restoredAt),
      "meter-003's readings after the restore",
    );
    const m3 = received
      .filter((r) => r.reading.deviceId === "meter-003")
      .map((r) => ({ t: Date.parse(r.reading.timestamp), kwh: r.reading.measurements.energyImport.value as number }))
      .sort((a, b) => a.t - b.t);
    const duringCut = m3.filter((x) => x.t > cutAt + 500 && x.t < restoredAt);
    assert.ok(duringCut.length >= 2, `readings stamped during the cut arrive with their original timestamps (${duringCut.length})`);
    for (let i = 1; i < m3.length; i++) {
      const step = Math.round((m3[i].kwh - m3[i - 1].kwh) * 1000);
      assert.ok(step === 10 || step === 0, `meter-003: ${m3[i - 1].kwh} then ${m3[i].kwh} kWh at ${new Date(m3[i].t).toISOString()}: a reading is missing`);
    }
    assert.deepEqual(logProblems(nr!.log()), [], nr!.log());
  });
});
