/**
 * Hardware revisions in the simulated fleet: /3/0/18 Hardware Version given to the devices in turn, and one revision
 * (`bugHardware`) that reboot-loops once it runs the bug version while the other revisions run it fine. The update
 * goes through the device's own CoAP interface, as lwm2m-request's firmware-update does it (LwM2M 1.1 Core E.6: write
 * the Package URI /5/0/1, wait for State Downloaded, execute Update /5/0/2).
 */
import { afterEach, describe, it } from "mocha";
import assert from "node:assert/strict";
import { Agent, type IncomingMessage } from "coap";
import { parseFleetConfig, Fleet } from "../../../nodes/lwm2m-device-sim/fleet";
import { MIGRATIONS } from "../../../nodes/lwm2m-device-sim/migrations";
import { SimDevice, type DeviceOptions } from "../../../nodes/lwm2m-device-sim/sim";
import { migrate } from "../../../nodes/shared/migrations";
import { freePort } from "../../helpers/ports";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** One CoAP request to a device's own port (text/plain payload when given). */
function request(port: number, method: "GET" | "PUT" | "POST", pathname: string, payload?: string): Promise<IncomingMessage> {
  const agent = new Agent({ type: "udp4" });
  return new Promise((resolve, reject) => {
    const req = agent.request({ hostname: "127.0.0.1", port, method, pathname, confirmable: true, ...(payload !== undefined ? { options: { "Content-Format": 0 } } : {}) } as never);
    req.on("response", (res: IncomingMessage) => {
      setImmediate(() => agent.close());
      resolve(res);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

describe("lwm2m-device-sim hardware revisions", function () {
  this.timeout(20_000);
  const open: SimDevice[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((d) => d.close(false)));
  });

  it("the config: hardware revisions in turn, a crashing revision, and their checks", () => {
    const cfg = parseFleetConfig({ count: "5", profiles: "healthy,poor-signal", hardware: "rev-A, rev-A,rev-B", bugHardware: "rev-B" });
    assert.deepEqual(cfg.hardware, ["rev-A", "rev-A", "rev-B"]);
    assert.equal(cfg.bugHardware, "rev-B");
    const fleet = new Fleet(cfg);
    assert.deepEqual(
      fleet.devices.map((d) => [d.endpoint, d.profile, d.hardwareVersion, d.bugHits]),
      [
        ["sim-1", "healthy", "rev-A", false],
        ["sim-2", "poor-signal", "rev-A", false],
        ["sim-3", "healthy", "rev-B", true],
        ["sim-4", "poor-signal", "rev-A", false],
        ["sim-5", "healthy", "rev-A", false],
      ],
    );
    assert.equal(fleet.devices[2].objects()["3"]["0"]["18"], "rev-B", "/3/0/18 Hardware Version");
    // the defaults: one revision, none crashing by itself; the firmware-bug profile still crashes on any revision
    const plain = new Fleet(parseFleetConfig({ count: "2", profiles: "healthy,firmware-bug" }));
    assert.deepEqual(plain.devices.map((d) => [d.hardwareVersion, d.bugHits]), [["rev-A", false], ["rev-A", true]]);
    assert.throws(() => parseFleetConfig({ hardware: "rev-A,,rev-B" }), /hardware revisions such as rev-A,rev-B/);
    assert.throws(() => parseFleetConfig({ bugHardware: "rev-A,rev-B" }), /one hardware revision such as rev-B/);
  });

  it("migration 2: a version-1 config (no hardware fields) keeps behaving as before: all rev-A, none crashing by itself", () => {
    // a config as the editor saved it at version 1 (frozen)
    const v1 = { id: "n1", type: "lwm2m-device-sim", version: 1, serverHost: "127.0.0.1", serverPort: "5683", count: "4", prefix: "sim-", profiles: "healthy,firmware-bug", speed: "60", binding: "U", lifetime: "60", firmwareVersion: "1.0.0", bugVersion: "2.0.0-rc1", rebootEveryMinutes: "60", downloadSeconds: "2", updateSeconds: "1" };
    const { def, from, to } = migrate(v1, MIGRATIONS);
    assert.equal(from, 1);
    assert.equal(to, 2);
    assert.equal(def.hardware, "rev-A");
    assert.equal(def.bugHardware, "");
    const fleet = new Fleet(parseFleetConfig(def));
    assert.deepEqual(fleet.devices.map((d) => d.bugHits), [false, true, false, true]);
    // a version-2 config is left as it is
    assert.equal(migrate({ ...v1, version: 2, hardware: "rev-C", bugHardware: "rev-C" }, MIGRATIONS).def.hardware, "rev-C");
  });

  it("the crashing revision reboots in a loop on the bug version; another revision runs it fine; a rollback stops the loop", async () => {
    const deadPort = await freePort(); // no server there: the devices keep trying to register, which does not matter here
    const base: DeviceOptions = { endpoint: "", profile: "healthy", serverHost: "127.0.0.1", serverPort: deadPort, lifetime: 60, speed: 3600, firmwareVersion: "1.0.0", bugVersion: "2.0.0", rebootEveryMinutes: 6, downloadMs: 0, updateMs: 0, seed: 1, bugHardware: "rev-B" };
    const a = new SimDevice({ ...base, endpoint: "hw-a", hardwareVersion: "rev-A" });
    const b = new SimDevice({ ...base, endpoint: "hw-b", hardwareVersion: "rev-B" });
    open.push(a, b);
    await Promise.all([a.start(), b.start()]);

    const update = async (d: SimDevice, version: string) => {
      assert.equal((await request(d.port, "PUT", "/5/0/1", `coap://fw.example/pkg?version=${version}`)).code, "2.04");
      await waitFor(() => d.summary().fwState === 2, `${d.endpoint}: State Downloaded`);
      assert.equal((await request(d.port, "POST", "/5/0/2")).code, "2.04");
      await waitFor(() => d.firmwareVersion === version, `${d.endpoint}: version ${version} installed`);
    };
    await update(a, "2.0.0");
    await update(b, "2.0.0");
    const [ra, rb] = [a.reboots, b.reboots]; // the update's own reboot
    // 6 simulated minutes at 3600x is 0.1 s: rev-B reboots again and again, rev-A does not
    await waitFor(() => b.reboots >= rb + 3, "rev-B's reboot loop");
    assert.equal(a.reboots, ra, "rev-A runs the bug version without a reboot");
    assert.equal((await request(b.port, "GET", "/3/0/18")).payload.toString(), "rev-B");

    await update(b, "1.0.0"); // the rollback
    const after = b.reboots;
    await sleep(500); // five loop periods
    assert.equal(b.reboots, after, "no reboot on the old version");
  });
});
