/**
 * The one flow-test harness: node-red-node-test-helper, initialised once, through its public API.
 *
 * - `init(settings)`: (re)initialise the helper with runtime settings, once per test file (`before`).
 * - `load(nodes, flow)`: start a flow; `unload()` after each test.
 * - `capture(ids)`: every message that reaches the listed nodes, from now on.
 * - `waitFor(cond, what)`: poll until a condition holds (never asserts a duration).
 * - `redeploy(flow, type)`: deploy again and wait until the flows have started.
 * - `logged(level)`: what nodes logged (node.error, node.warn) since the last load.
 *
 * Catch, Complete and Status are loaded by the test helper once per node of that type in the flow, so a flow
 * with two Catch nodes would register "catch" twice and fail. The helper takes those three from Node's module
 * cache; before the helper is initialised, their cached exports are made idempotent per runtime API object.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, afterEach, before } from "mocha";
import helper from "node-red-node-test-helper";

export type Msg = Record<string, any>;
type NodeModule = (red: any) => unknown; // a node module takes the runtime API, typed or not

/* eslint-disable @typescript-eslint/no-require-imports */
const { events, hooks } = require("@node-red/util");
/* eslint-enable @typescript-eslint/no-require-imports */

const CORE = path.dirname(require.resolve("@node-red/nodes/package.json"));
for (const file of ["core/common/25-catch.js", "core/common/25-status.js", "core/common/24-complete.js"]) {
  const abs = path.join(CORE, file);
  const register = require(abs) as NodeModule; // eslint-disable-line @typescript-eslint/no-require-imports
  const loaded = new WeakSet<object>();
  const once: NodeModule = (red) => {
    if (loaded.has(red)) return undefined;
    loaded.add(red);
    return register(red);
  };
  (require.cache[abs] as NodeJS.Module).exports = once;
}

/** The core node modules a flow test may load beside the package's nodes. */
export const core = {
  /* eslint-disable @typescript-eslint/no-require-imports */
  catch: require(path.join(CORE, "core/common/25-catch.js")) as NodeModule,
  complete: require(path.join(CORE, "core/common/24-complete.js")) as NodeModule,
  status: require(path.join(CORE, "core/common/25-status.js")) as NodeModule,
  mqtt: require(path.join(CORE, "core/network/10-mqtt.js")) as NodeModule,
  function: require(path.join(CORE, "core/function/10-function.js")) as NodeModule,
  change: require(path.join(CORE, "core/function/15-change.js")) as NodeModule,
  /* eslint-enable @typescript-eslint/no-require-imports */
};

/** (Re)initialise the helper with these runtime settings. */
export function init(settings: Record<string, unknown> = {}): void {
  helper.init(require.resolve("node-red"), settings);
}
init();

let seq = 0;

/** Start a flow made of `nodes` (node modules) and core nodes. */
export async function load(nodes: NodeModule | NodeModule[], flow: Msg[], credentials: Msg = {}): Promise<void> {
  await helper.load(nodes as never, flow, credentials);
}

/** What nodes logged since the last load, at `level` ("error", "warn", "info"). */
export function logged(level: "error" | "warn" | "info"): string[] {
  const spy = helper.log() as unknown as { args: [{ level: number; msg: unknown }][] } | undefined;
  if (!spy?.args) return [];
  const want = { error: 20, warn: 30, info: 40 }[level];
  return spy.args.filter(([e]) => e && e.level === want).map(([e]) => String(e.msg));
}

export function unload(): Promise<void> {
  return helper.unload() as Promise<void>;
}

/**
 * The hooks of a suite whose nodes keep state under Node-RED's user directory: a fresh temporary one for the suite
 * (`init({ userDir })`), Node-RED's HTTP server when `server` is set, every flow unloaded after each test, and at the
 * end the default settings back and the directory removed. Call it in the `describe` body; `dir` is set once the
 * suite's `before` hooks have run.
 */
export function useTempUserDir(prefix: string, opts: { server?: boolean } = {}): { readonly dir: string } {
  const ud = { dir: "" };
  before(() => {
    ud.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    init({ userDir: ud.dir });
  });
  if (opts.server) {
    before(() => new Promise<void>((r) => helper.startServer(r)));
    after(() => new Promise<void>((r) => helper.stopServer(r)));
  }
  after(() => {
    init();
    fs.rmSync(ud.dir, { recursive: true, force: true });
  });
  afterEach(() => unload());
  return ud;
}

export function getNode(id: string): any {
  return helper.getNode(id);
}

/**
 * Every message that reaches the listed nodes from now on (a messaging hook, so it misses nothing a node sends
 * while it starts, and it outlives redeploys). dispose() when done.
 */
export function capture(ids: readonly string[]): { [id: string]: Msg[] } & { dispose(): void } {
  const seen: Record<string, Msg[]> = {};
  for (const id of ids) seen[id] = [];
  const name = `onReceive.m2mcapture${++seq}`;
  hooks.add(name, (evt: { msg: Msg; destination: { id: string } }) => {
    const list = seen[evt.destination.id];
    if (list) list.push(evt.msg);
  });
  return Object.assign(seen, { dispose: () => hooks.remove(name) });
}

/** Poll until `cond` holds; fail with `what` (and the state) after `limitMs`. Never asserts a duration. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, limitMs = 20_000, describeState?: () => unknown): Promise<void> {
  const end = Date.now() + limitMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${describeState ? `: ${JSON.stringify(describeState())}` : ""}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Redeploy (type "full", "flows" or "nodes") and wait until the flows have started again. */
export async function redeploy(flow: Msg[], type: "full" | "flows" | "nodes" = "full"): Promise<void> {
  const started = new Promise<void>((r) => events.once("flows:started", () => r()));
  // The helper's setFlows gives up waiting for the restart after 300 ms, which a node closing its files under
  // load can exceed: its "timeout waiting event" is ignored, and the restart awaited here.
  await (helper.setFlows as (f: Msg[], t: string) => Promise<unknown>)(flow, type).catch((err: Error) => {
    if (!/timeout waiting event/.test(err.message)) throw err;
  });
  await started;
}

/** The runtime's event emitter (flows:started, ...). */
export { events, hooks, helper };

/** A Catch and a Complete node scoped to `id`, wired to helper nodes `<id>-caught` and `<id>-done`. */
export function catchAndComplete(id: string, z = "tab"): Msg[] {
  return [
    { id: `${id}-catch`, z, type: "catch", scope: [id], uncaught: false, wires: [[`${id}-caught`]] },
    { id: `${id}-caught`, z, type: "helper", wires: [] },
    { id: `${id}-complete`, z, type: "complete", scope: [id], uncaught: false, wires: [[`${id}-done`]] },
    { id: `${id}-done`, z, type: "helper", wires: [] },
  ];
}
