/**
 * The demo's dashboard (flows/09-dashboard.json, FlowFuse Dashboard 2) as a trainer sees it: `npm start`'s flows run
 * (free ports, a temporary user directory, simulated time at 1440x from March 31 18:00, so that within seconds a day
 * and a month close), and Debian's headless Chromium (driven by playwright-core) opens every page at /dashboard/...
 *
 * - every page's widgets show data, not just a frame: a chart's canvas holds its series' colour (the line, the
 *   bars), a table has rows with the right words, a text has its value;
 * - the trainer's "Cut metering uplink" reaches the lab through ctl-metering (the link goes down and the buffer
 *   holds readings, as the Metering page shows), and "Restore" brings it back;
 * - no console error, no page error, no failed request, no HTTP error, and no error in Node-RED's log;
 * - one screenshot per page in test-results/dashboard-<page>.png (the README's come from here: docs/img/).
 *
 * The Refrigeration and Fleet pages are fed by examples/deployments/04 and 05 through the same link contract.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "mocha";
import { chromium, type Browser, type Page } from "playwright-core";
import { RESULTS_DIR, ROOT, childEnv, freePort, launchNodeRed, logProblems, makeTempDir, removeDir, saveLog, type NodeRedInstance } from "./helpers";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];
/** 18:00 on the last day of March: the day closes after 6 simulated hours, the month an hour later (15 s, 17.5 s at 1440x). */
const SIM_START = "2026-03-31T18:00:00Z";
// Not 2880x: the lab sends 16 windows of about 1.3 kB each simulated hour, and its uplink replays at most 12,500 B/s
// (the seeds' 100 kbit/s), about 17 kB/s at 2880x: a backlog would build even while the link is up.
const SIM_SPEED = "1440";

const flowIds = new Set(
  ["flows", path.join("examples", "deployments")].flatMap((d) =>
    fs
      .readdirSync(path.join(ROOT, d))
      .filter((f) => f.endsWith(".json"))
      .flatMap((f) => (JSON.parse(fs.readFileSync(path.join(ROOT, d, f), "utf8")) as { id: string }[]).map((n) => n.id)),
  ),
);

/** The series colours of flows/09's charts (the first series of each). */
const BLUE = "#0d74ce";
const ORANGE = "#e8710a";
const TEAL = "#17becf";
const RED = "#d62728";
const GREEN = "#2ca02c";

describe("the demo's dashboard (npm start, /dashboard, headless Chromium)", function () {
  let tmp: string | undefined;
  let nr: NodeRedInstance | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const problems: string[] = [];

  before(async function () {
    this.timeout(180_000);
    assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} does not exist: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
    tmp = makeTempDir("dashboard");
    const [port, mqttPort, mqttsPort, modbusPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const env = childEnv(process.execPath, {
      PORT: String(port), MQTT_PORT: String(mqttPort), MQTTS_PORT: String(mqttsPort), MODBUS_PORT: String(modbusPort), HOST: "",
      DEMO_USER_DIR: path.join(tmp, "userDir"), SIM_START, SIM_SPEED,
    });
    nr = await launchNodeRed("npm start", process.execPath, [path.join(ROOT, "scripts", "start.js")], { cwd: ROOT, env, port });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 120_000 });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on("console", (msg) => {
      if (msg.type() === "error") problems.push(`console error: ${msg.text()} (${msg.location().url})`);
    });
    page.on("pageerror", (err) => problems.push(`page error: ${err.stack ?? err.message}`));
    page.on("response", (res) => {
      if (res.status() >= 400) problems.push(`HTTP ${res.status()} for ${res.request().method()} ${res.url()}`);
    });
    page.on("requestfailed", (req) => {
      // Leaving a page aborts its socket.io long-poll: that is the navigation, not a failure.
      if (req.failure()?.errorText === "net::ERR_ABORTED" && req.url().includes("/socket.io/")) return;
      problems.push(`request failed: ${req.method()} ${req.url()}: ${req.failure()?.errorText}`);
    });
  });

  after(async function () {
    this.timeout(60_000);
    try {
      await browser?.close();
      await nr?.stop();
      if (nr) saveLog("dashboard.log", nr.log());
    } finally {
      removeDir(tmp);
    }
  });

  async function open(pagePath: string): Promise<void> {
    await page.goto(`${nr!.url}/dashboard/${pagePath}`, { waitUntil: "load" });
    await page.waitForSelector("[id^=nrdb-ui-widget-]", { timeout: 30_000 });
  }

  /** Waits until a widget's text matches. */
  async function text(id: string, re: RegExp, what: string, timeoutMs = 45_000): Promise<string> {
    const sel = `#nrdb-ui-widget-${id}`;
    try {
      await page.waitForFunction(
        ([s, src, flags]) => new RegExp(src, flags).test((document.querySelector(s) as HTMLElement | null)?.innerText ?? ""),
        [sel, re.source, re.flags] as const,
        { timeout: timeoutMs, polling: 250 },
      );
    } catch {
      const now = await page.locator(sel).innerText().catch(() => "(no such widget)");
      assert.fail(`${what}: widget ${id} never matched ${re}; it shows: ${JSON.stringify(now)}`);
    }
    return page.locator(sel).innerText();
  }

  /** Waits until a table widget has at least `min` rows and its rows' text matches. */
  async function table(id: string, min: number, re: RegExp, what: string, timeoutMs = 45_000): Promise<void> {
    const rows = () => page.locator(`#nrdb-ui-widget-${id} tbody tr`).allInnerTexts();
    const ok = (r: string[]) => r.length >= min && !/no data/i.test(r[0] ?? "") && re.test(r.join("\n"));
    const deadline = Date.now() + timeoutMs;
    let now = await rows();
    while (!ok(now) && Date.now() < deadline) {
      await page.waitForTimeout(500);
      now = await rows();
    }
    assert.ok(ok(now), `${what}: table ${id} never had ${min} rows matching ${re}; it shows ${JSON.stringify(now)}`);
  }

  /**
   * Waits until a chart's canvas holds at least `min` pixels of a series colour: its line or bars are drawn (the
   * axes and grid are grey, and an empty chart draws no legend).
   */
  async function chart(id: string, colour: string, what: string, min = 150): Promise<void> {
    const count = () =>
      page.evaluate(
        ([s, hex]) => {
          const c = document.querySelector(s) as HTMLCanvasElement | null;
          if (!c || !c.width) return 0;
          const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
          const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
          let n = 0;
          for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 60 && d[i + 3] > 200) n++;
          return n;
        },
        [`#nrdb-ui-widget-${id} canvas`, colour] as const,
      );
    const deadline = Date.now() + 45_000;
    let n = await count();
    while (n < min && Date.now() < deadline) {
      await page.waitForTimeout(500);
      n = await count();
    }
    assert.ok(n >= min, `${what}: chart ${id} draws ${n} pixels of its series colour ${colour} (at least ${min} expected)`);
  }

  async function screenshot(name: string): Promise<void> {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    await page.waitForTimeout(500); // the charts' last animation frame
    await page.screenshot({ path: path.join(RESULTS_DIR, `dashboard-${name}.png`), fullPage: true });
  }

  it("Metering: consumption per meter and per hour, the buffer and the link, completeness, the bill to date and the closed bills", async function () {
    this.timeout(120_000);
    const url = nr!.url.replace(/\/$/, "");
    assert.ok(nr!.log().includes(`M2M demo: dashboard at ${url}/dashboard`), "npm start prints the dashboard's address");
    // The dashboard is the root node_modules' FlowFuse Dashboard, on the editor's server: 127.0.0.1 only.
    assert.match(nr!.log(), /\[ui-base:M2M demo\] Node-RED Dashboard 2\.0 \(v1\.\d+\.\d+\) started at \/dashboard/);
    const outside = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === "IPv4" && !i.internal);
    if (outside) {
      await assert.rejects(
        fetch(`http://${outside.address}:${nr!.port}/dashboard/metering`, { signal: AbortSignal.timeout(5_000) }),
        (err: Error & { cause?: { code?: string } }) => err.cause?.code === "ECONNREFUSED",
        `the dashboard refuses connections on ${outside.address}`,
      );
    }
    await open("metering");
    await chart("dash-m-chart-elec", BLUE, "electricity per 15 min");
    await chart("dash-m-chart-hour", BLUE, "electricity per hour");
    await chart("dash-m-chart-gas", ORANGE, "gas per 15 min");
    await chart("dash-m-chart-water", TEAL, "water per 15 min");
    await text("dash-m-link", /up \(connected\)/, "the uplink's state");
    await text("dash-m-depth", /\d+ records? · \d+\.\d kB/, "the buffer's depth");
    await text("dash-m-age", /nothing waiting|\d+ (s|min|h)/, "the oldest record's age");
    await chart("dash-m-chart-depth", BLUE, "the buffer's depth over time", 20);
    await text("dash-m-complete-text", /2026-03-31: [\d.]+ % complete, \d+ of 384 intervals of 4 meters/, "the latest day's completeness");
    await table("dash-m-complete-table", 4, /2026-03-31\s+elec-001\s+\d+ of 96\s+[\d.]+ %\s+[\d.]+ kWh\s+final/, "daily completeness");
    await table("dash-m-todate", 4, /elec-001\s+2026-04\s+Energy[^]*Total[^]*\$\d+\.\d\d/, "the bill to date");
    for (const meter of ["elec-001", "elec-002"]) {
      await table("dash-m-closed", 4, new RegExp(`${meter}\\s+2026-03\\s+Energy[^]*${meter}\\s+2026-03\\s+Total[^$]*\\$\\d+\\.\\d\\d`), `${meter}'s closed bill for March`);
    }
    await screenshot("metering");
  });

  it("Trainer: cutting the metering uplink takes the link down and fills the buffer; restoring it brings the link back", async function () {
    this.timeout(120_000);
    await open("trainer");
    await page.locator("#nrdb-ui-widget-dash-t-cut-metering button").click();
    await text("dash-t-last", /metering uplink: cut/, "the trainer's last action");
    await screenshot("trainer");
    await open("metering");
    await text("dash-m-link", /DOWN/, "the uplink after the cut");
    // store-forward's metrics come every 10 s: the windows of the next simulated hours wait in the buffer.
    await text("dash-m-depth", /Buffered\s+[1-9]\d* records?/, "the buffer during the cut", 30_000);
    await open("trainer");
    await page.locator("#nrdb-ui-widget-dash-t-restore-metering button").click();
    await text("dash-t-last", /metering uplink: restore/, "the trainer's last action");
    await open("metering");
    await text("dash-m-link", /up \(connected\)/, "the uplink after the restore");
  });

  it("Refrigeration: temperatures per unit with the 41 °F line, compliance per store; the trainer's door-open makes excursions", async function () {
    this.timeout(120_000);
    assert.ok(flowIds.has("dash-fridge-readings-src"), "the refrigeration deployment feeds the page");
    await open("refrigeration");
    await chart("dash-f-chart", RED, "the 41 °F line", 40);
    await chart("dash-f-chart", BLUE, "the first unit's product temperature");
    await table("dash-f-now", 8, /-u1\s+\d+\.\d\s+\d+\.\d\s+(ok|> 41 °F|[a-z]+)/, "temperatures per unit");
    await table("dash-f-compliance-table", 1, /store-\d+\s+[^\t]+→[^\t]+\s+\d+\s+(none|\d+: )/, "compliance per store");
    await text("dash-f-windows-text", /\d+ received, the latest/, "the 15-minute compliance windows");
    // Every unit's door left open: the product warms past 41 °F, a P0 excursion.
    await open("trainer");
    await page.locator("#nrdb-ui-widget-dash-t-fridge-door-open button").click();
    await text("dash-t-last", /refrigeration fault door-open → every unit/, "the trainer's last action");
    await open("refrigeration");
    await text("dash-f-alerts-text", /^Excursions \(P0\)\s+\d+, the latest store-\d+/, "the excursions after the door was left open", 60_000);
    await table("dash-f-alerts-table", 1, /P0 excursion\s+product [\d.]+ °F/, "the excursion alarms");
    await table("dash-f-compliance-table", 1, /\bNO\b/, "a store with an excursion is not compliant");
    await screenshot("refrigeration");
  });

  it("Fleet: a diagnosis per device with cause and evidence; the rollout's waves and gates", async function () {
    this.timeout(120_000);
    assert.ok(flowIds.has("dash-fleet-diagnosis-src"), "the fleet deployment feeds the page");
    await open("fleet");
    await text("dash-l-diag-text", /\d+ devices: \d+ healthy/, "the diagnoses' summary");
    await table("dash-l-diag-table", 5, /(poor-signal|dying-battery|memory-leak|firmware-bug|hardware-fault)\s+\w+\s+\d+ %\s+\/\d+\/\d+\/\d+ = /, "diagnoses with evidence");
    await chart("dash-l-causes", GREEN, "devices per cause (healthy)");
    if (flowIds.has("ctl-fleet")) {
      await open("trainer");
      await page.locator("#nrdb-ui-widget-dash-t-campaign button").click();
      await text("dash-t-last", /firmware campaign started/, "the trainer's last action");
      await open("fleet");
    }
    await table("dash-l-waves", 1, /1 of \d+\s+(running|passed|HALTED|rolling back|rolled back)/, "the rollout's waves");
    await table("dash-l-events", 1, /wave-started/, "the campaign's events");
    // The rev-B device of wave 1 reboots in a loop on the new firmware: the gate halts the campaign and rolls back.
    await table("dash-l-events", 2, /halted\s+1\b[^]*wave-started/, "the campaign halted in wave 1", 90_000);
    await table("dash-l-waves", 1, /1 of \d+\s+(HALTED|rolling back|rolled back)\s+3\s+\d+\s+\d+\s+1\b/, "wave 1's gate after the halt");
    await screenshot("fleet");
  });

  it("shows no console error, page error or failed request, and Node-RED logs no error", () => {
    assert.deepEqual(problems, []);
    assert.deepEqual(logProblems(nr!.log()), [], nr!.log());
  });
});
