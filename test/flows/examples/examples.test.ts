// The example flows of examples/ (Import > Examples in the editor), loaded as they ship and run by pressing
// their inject buttons: every example uses only core nodes and this package's, and does what its comment
// says. The store-forward example talks to a real broker (aedes on 127.0.0.1); its broker address is the
// only thing changed, and its storage goes to a temporary directory.
import { after, afterEach, before, describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import meterNormalize = require("../../../nodes/meter-normalize/meter-normalize");
import { assertCanonical } from "../../helpers/fixtures";
import { TestBroker } from "../../helpers/broker";
import { NODES, helper, initSf, removeTmpDirs, sleep, tmpDir, waitFor, type Msg
} from "../../helpers/sf-flow";

/* eslint-disable @typescript-eslint/no-require-imports */
const { hooks } = require("@node-red/util");
const CORE = ["common/20-inject.js", "common/21-debug.js", "common/60-link.js", "common/90-comment.js", "function/10-function.js"].map((f) =>
  require(`@node-red/nodes/core/${f}`),
);
/* eslint-enable @typescript-eslint/no-require-imports */

const EXAMPLES = path.join(__dirname, "..", "..", "..", "examples");
const PKG = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "..", "package.json"), "utf8"));
const OURS = Object.keys(PKG["node-red"].nodes);
const CORE_TYPES = ["tab", "comment", "inject", "function", "debug", "catch", "complete", "status", "link in", "link out", "mqtt in", "mqtt out", "mqtt-broker"];

const load = (file: string): Msg[] => JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), "utf8"));

/** Messages arriving at the given nodes, by node id, from the moment of the call (a messaging hook). */
function watch(ids: string[]): { seen: Record<string, Msg[]>; dispose(): void } {
  const seen: Record<string, Msg[]> = Object.fromEntries(ids.map((id) => [id, []]));
  const name = `onReceive.examples${Math.random().toString(36).slice(2)}`;
  hooks.add(name, (evt: { msg: Msg; destination: { id: string } }) => seen[evt.destination.id]?.push(evt.msg));
  return { seen, dispose: () => hooks.remove(name) };
}

/** What the flow logged at error level (an uncaught done(err) included). */
function loggedErrors(): string[] {
  const spy = (helper as unknown as { log(): { args: [{ level: number; msg: unknown; type?: string }][] } }).log();
  return spy.args.filter(([e]) => e.level <= 20).map(([e]) => `${e.type ?? ""}: ${String(e.msg)}`);
}

/** Press an inject node's button, as the editor does. */
const press = (id: string) => helper.getNode(id).receive({});

describe("the example flows", () => {
  before(initSf);
  let broker: TestBroker;
  let watcher: { dispose(): void } | undefined;
  before(async () => {
    broker = await TestBroker.start();
    await new Promise<void>((r) => helper.startServer(r));
  });
  after(async () => {
    await new Promise<void>((r) => helper.stopServer(r));
    await broker.close();
  });
  afterEach(async () => {
    watcher?.dispose();
    await helper.unload();
    removeTmpDirs();
  });

  it("use only core nodes and this package's nodes", () => {
    const files = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith(".json"));
    assert.ok(files.length >= OURS.length, `an example per node (${files.join(", ")})`);
    for (const type of OURS) assert.ok(files.some((f) => load(f).some((n) => n.type === type)), `no example uses ${type}`);
    for (const f of files) {
      for (const n of load(f)) assert.ok(CORE_TYPES.includes(n.type) || OURS.includes(n.type), `${f}: node ${n.id} is a ${n.type}`);
    }
  });

  it("deployments/: the deployments npm start runs, importable with only core nodes and this package's, and no dashboard node", () => {
    const dir = path.join(EXAMPLES, "deployments");
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
    assert.deepEqual(files, ["04-retail-refrigeration.json", "05-fleet-operations.json"]);
    const core = [...CORE_TYPES, "change", "switch", "delay"];
    for (const f of files) {
      const flow = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as Msg[];
      for (const n of flow) assert.ok(core.includes(n.type) || OURS.includes(n.type), `deployments/${f}: node ${n.id} is a ${n.type}`);
      // One tab per file, so an import brings it whole, and every node is on it or a config node of it.
      const tabs = flow.filter((n) => n.type === "tab");
      assert.equal(tabs.length, 1, `deployments/${f}: one tab`);
      for (const n of flow) assert.ok(n.type === "tab" || n.z === tabs[0].id || n.z === undefined, `deployments/${f}: node ${n.id} is on another tab`);
    }
  });

  it("meter-normalize: each producer's button gives a canonical reading, and the bad input reaches the Catch node", async () => {
    const flow = load("meter-normalize.json");
    const w = watch(["mn-ex-debug", "mn-ex-errors"]);
    watcher = w;
    await helper.load([meterNormalize, ...CORE], flow);
    const producers = flow.filter((n) => n.type === "inject" && n.id !== "mn-ex-i-bad").map((n) => n.id as string);
    assert.equal(producers.length, 4, "Modbus, BACnet, SenML and plain JSON");
    for (const id of producers) press(id);
    await waitFor(() => w.seen["mn-ex-debug"].length >= producers.length, "a reading per producer");
    for (const m of w.seen["mn-ex-debug"]) assertCanonical(m.payload);
    const protocols = new Set(w.seen["mn-ex-debug"].map((m) => m.payload.source?.protocol));
    assert.ok(protocols.size >= 4, `readings from four kinds of input: ${[...protocols].join(", ")}`);
    assert.equal(w.seen["mn-ex-errors"].length, 0);
    press("mn-ex-i-bad");
    await waitFor(() => w.seen["mn-ex-errors"].length === 1, "the bad input at the Catch node");
    assert.ok(w.seen["mn-ex-errors"][0].error?.message, "the error names what was wrong");
    assert.deepEqual(loggedErrors(), [], "the Catch node has the error: nothing else is logged");
  });

  it("store-forward: readings go through the broker; cut the link, restore it, and every reading arrives with its timestamp", async () => {
    const flow = load("store-forward.json").map((n) => {
      if (n.type === "mqtt-broker") return { ...n, port: String(broker.port) };
      if (n.type === "store-forward") return { ...n, dir: tmpDir() };
      return n;
    });
    const w = watch(["sf-ex-received"]);
    watcher = w;
    await helper.load([...NODES, ...CORE], flow);
    const received = w.seen["sf-ex-received"];
    await waitFor(() => received.length >= 1, "the first reading at the cloud side");
    press("sf-ex-cut");
    const cutAt = Date.now();
    await sleep(500);
    const before = received.length;
    await sleep(2_500);
    assert.equal(received.length, before, "nothing arrives while the link is cut");
    const restoredAt = Date.now();
    press("sf-ex-restore");
    await waitFor(() => received.some((m) => Date.parse(m.payload.timestamp) > restoredAt), "readings after the restore");
    const readings = received.map((m) => m.payload).sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
    assert.ok(readings.filter((r) => Date.parse(r.timestamp) > cutAt + 500 && Date.parse(r.timestamp) < restoredAt).length >= 2, "readings of the outage");
    for (let i = 1; i < readings.length; i++) {
      const step = Math.round((readings[i].measurements.energyImport.value - readings[i - 1].measurements.energyImport.value) * 1000);
      assert.ok(step === 10 || step === 0, `reading ${i}: a gap before ${readings[i].timestamp}`);
    }
    assert.deepEqual(loggedErrors(), []);
  });
});
