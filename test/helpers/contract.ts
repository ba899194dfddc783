/**
 * The node contract (issue 6 §7), as checks that return a verdict instead of asserting, so that the package's
 * nodes and the deliberately broken fixture nodes (test/fixtures/nodes/) go through the very same code:
 *
 * - `checkBadConfig`: a bad config gives a red status, and every input errors to a Catch node (done(err)) with an
 *   error that names the bad field; nothing is sent and Complete never fires.
 * - `checkCompleteOnce`: with a good config, every input ends exactly once: Complete for each good input, Catch
 *   for each input the node refuses, never both, never twice.
 * - `checkRedeploys`: 100 full redeploys, each closing within the runtime's close timeout (15 s), each new
 *   instance handling an input; the timers, sockets, other handles and file descriptors counted after 10 and after
 *   100 redeploys must not grow (a small fixed tolerance), so the bound does not depend on few redeploys.
 *
 * What a node type needs is read from `test/fixtures/configs/contract/<type>.json` (see the README there); a
 * missing file is an error telling the author to add it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { capture, catchAndComplete, core, events, getNode, helper, load, redeploy, sleep, unload, waitFor, type Msg } from "./node-red";

type NodeModule = (red: object) => unknown;

export const ROOT = path.resolve(__dirname, "../..");
export const CONTRACT_FIXTURES = path.join(ROOT, "test/fixtures/configs/contract");

/** What the contract needs to know about a node type. */
export interface ContractSpec {
  type: string;
  module: NodeModule;
  /** A minimal valid config (the node's def as the editor stores it). */
  good: Msg;
  /** Fields laid over `good` that make the config invalid (one overlay, or several, each deployed on its own);
   *  the error must name one of the overlay's fields. */
  bad: Msg | Msg[];
  /** A message the good config accepts (done() without error). */
  input: Msg;
  /** Optional: a message the good config refuses (done(err)). */
  badInput?: Msg;
  /**
   * Optional: further flow nodes the node needs (a config node it names, e.g. an lwm2m-server); their types are
   * loaded from package.json (or nodes/<type>/<type>.ts). "{{tmpdir}}" works in them as in `good`.
   */
  flow?: Msg[];
  /**
   * Optional, for a CONFIG node under test (no input, no status of its own): a node that uses it. The config node
   * gets `good` (and the `bad` overlays); the user node (its type and config, with "{{config}}" for the config
   * node's id) receives the inputs and shows the status, so every check goes through it: a bad config makes the
   * user refuse every input naming the field, and the redeploys start and close the config node each time.
   */
  user?: Msg;
  /** The modules of the types in `flow` and `user` (filled by loadSpec). */
  extraModules?: NodeModule[];
}

export interface Verdict {
  ok: boolean;
  /** What broke the contract, one line each, naming the check and the numbers. */
  problems: string[];
  /** What was measured, for the report. */
  facts: Record<string, unknown>;
}

const verdict = (problems: string[], facts: Record<string, unknown>): Verdict => ({ ok: problems.length === 0, problems, facts });

/** The node types package.json registers, with the TypeScript source of each wrapper. */
export function nodeTypes(): { type: string; source: string }[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { "node-red"?: { nodes?: Record<string, string> } };
  const nodes = pkg["node-red"]?.nodes ?? {};
  return Object.entries(nodes).map(([type, file]) => {
    // "dist/nodes/<type>/<type>.js" is built from "nodes/<type>/<type>.ts".
    const m = /^(?:\.\/)?dist\/(.+)\.js$/.exec(file);
    if (!m) throw new Error(`package.json node-red.nodes["${type}"] is "${file}": expected dist/<path>.js, built from <path>.ts`);
    return { type, source: path.join(ROOT, m[1]) };
  });
}

/** The node's module (its TypeScript wrapper, through tsx), speaking its English catalog (see `withCatalog`). */
export function nodeModule(source: string): NodeModule {
  const mod = require(source) as NodeModule | { default?: NodeModule }; // eslint-disable-line @typescript-eslint/no-require-imports
  const fn = typeof mod === "function" ? mod : mod.default;
  if (typeof fn !== "function") throw new Error(`${source} does not export a Node-RED node module (a function of RED)`);
  return withCatalog(fn, source);
}

/**
 * The test helper's `RED._` gives the key back and drops its parameters, so a node's translated error ("could not
 * start: maxBytes ...") would reach Catch as a bare key. Node-RED translates from the catalog beside the node's file
 * (locales/en-US/<file>.json, which the build merges with nodes/shared/locales/en-US/m2m.json under "m2m"); this
 * gives the module a RED whose `_` does the same, so the contract sees the words a user sees. A key missing from
 * the catalog stays a bare key, as it would in Node-RED.
 */
export function withCatalog(fn: NodeModule, source: string): NodeModule {
  const read = (file: string): Record<string, unknown> => (fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>) : {});
  const catalog = {
    m2m: read(path.join(ROOT, "nodes/shared/locales/en-US/m2m.json")),
    ...read(path.join(path.dirname(source), "locales/en-US", `${path.basename(source)}.json`)),
  };
  const translate = (key: string, params?: Record<string, unknown>): string => {
    let o: unknown = catalog;
    for (const k of key.split(".")) o = o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined;
    if (typeof o !== "string") return key;
    return o.replace(/__(\w+)__/g, (m, p: string) => (params && params[p] !== undefined ? String(params[p]) : m));
  };
  return (red) => fn(Object.create(red, { _: { value: translate } }));
}

/** The contract fixture of `type`; an error telling the author what to add when there is none. */
export function contractFixture(type: string, dir = CONTRACT_FIXTURES): Pick<ContractSpec, "good" | "bad" | "input" | "badInput" | "flow" | "user"> {
  const file = path.join(dir, `${type}.json`);
  if (!fs.existsSync(file)) {
    throw new Error(
      `node type "${type}" has no contract fixture: add ${path.relative(ROOT, file)} with ` +
        `{ "good": <a minimal valid config>, "bad": <fields that make it invalid>, "input": <a message it accepts>, ` +
        `"badInput"?: <a message it refuses> } (see ${path.relative(ROOT, path.join(dir, "README.md"))})`,
    );
  }
  const f = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  const isObj = (v: unknown): v is Msg => typeof v === "object" && v !== null && !Array.isArray(v);
  for (const key of ["good", "input"]) {
    if (!isObj(f[key])) throw new Error(`${path.relative(ROOT, file)}: "${key}" must be an object`);
  }
  const bads = Array.isArray(f.bad) ? (f.bad as unknown[]) : [f.bad];
  if (bads.length === 0 || !bads.every((b) => isObj(b) && Object.keys(b).length > 0)) {
    throw new Error(`${path.relative(ROOT, file)}: "bad" must be an object setting at least one field, or a list of them`);
  }
  if (f.badInput !== undefined && !isObj(f.badInput)) throw new Error(`${path.relative(ROOT, file)}: "badInput" must be an object`);
  if (f.flow !== undefined && !(Array.isArray(f.flow) && f.flow.every((n) => isObj(n) && typeof n.id === "string" && typeof n.type === "string"))) {
    throw new Error(`${path.relative(ROOT, file)}: "flow" must be a list of flow nodes, each with an id and a type`);
  }
  if (f.user !== undefined && !(isObj(f.user) && typeof f.user.type === "string")) throw new Error(`${path.relative(ROOT, file)}: "user" must be a node config with a type`);
  return {
    good: f.good as Msg,
    bad: f.bad as Msg | Msg[],
    input: f.input as Msg,
    badInput: f.badInput as Msg | undefined,
    ...(f.flow ? { flow: f.flow as Msg[] } : {}),
    ...(f.user ? { user: f.user as Msg } : {}),
  };
}

/** The spec of a package node type, from package.json and its contract fixture. */
export function loadSpec(type: string): ContractSpec {
  const entry = nodeTypes().find((n) => n.type === type);
  if (!entry) throw new Error(`node type "${type}" is not in package.json node-red.nodes`);
  const fixture = contractFixture(type);
  const extraTypes = [...new Set([...(fixture.flow ?? []).map((n) => String(n.type)), ...(fixture.user ? [String(fixture.user.type)] : [])])].filter((t) => t !== type);
  const extraModules = extraTypes.map((t) => {
    const known = nodeTypes().find((n) => n.type === t);
    const source = known ? known.source : path.join(ROOT, "nodes", t, t);
    if (!fs.existsSync(`${source}.ts`)) throw new Error(`contract fixture of "${type}": no node type "${t}" in package.json nor nodes/${t}/${t}.ts`);
    return nodeModule(source);
  });
  return { type, ...fixture, module: nodeModule(entry.source), ...(extraModules.length ? { extraModules } : {}) };
}

// ---------------------------------------------------------------------------------------------------------------
// The flow: the node under test ("nut") wired to a helper, with a Catch and a Complete scoped to it.

const NUT = "nut";

/** Replace every "{{tmpdir}}" string with `dir`. */
function withTmp(config: Msg, dir: string): Msg {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, v === "{{tmpdir}}" ? dir : v]));
}

/** The id of a config node under test (its user node is then NUT). */
const CONFIG_NUT = "nut-config";

function contractFlow(type: string, config: Msg, spec?: Pick<ContractSpec, "flow" | "user">, dir = ""): Msg[] {
  const extra = (spec?.flow ?? []).map((n) => ({ z: "tab", ...withTmp(n, dir) }));
  if (spec?.user) {
    const user = Object.fromEntries(Object.entries(spec.user).map(([k, v]) => [k, v === "{{config}}" ? CONFIG_NUT : v]));
    return [
      { id: "tab", type: "tab", label: "contract" },
      { name: "under test", ...config, id: CONFIG_NUT, type },
      ...extra,
      { name: "user of the node under test", ...withTmp(user, dir), id: NUT, z: "tab", wires: [["out"]] },
      { id: "out", z: "tab", type: "helper", wires: [] },
      ...catchAndComplete(NUT),
    ];
  }
  return [
    { id: "tab", type: "tab", label: "contract" },
    ...extra,
    { name: "under test", ...config, id: NUT, z: "tab", type, wires: [["out"]] },
    { id: "out", z: "tab", type: "helper", wires: [] },
    ...catchAndComplete(NUT),
  ];
}

/** A temporary directory for the check, removed afterwards. */
async function inTmp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "m2m-contract-"));
  try {
    return await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Every status the node under test reports (the runtime's node-status event: constructor statuses included). */
function watchStatus(): { list: Msg[]; dispose(): void } {
  const list: Msg[] = [];
  const on = (e: { id: string; status: Msg }) => {
    if (e.id === NUT) list.push(e.status);
  };
  events.on("node-status", on);
  return { list, dispose: () => events.off("node-status", on) };
}

/** Error-level log entries of the node under test since the last load. */
function nodeErrors(): string[] {
  const spy = helper.log() as { args?: [{ level: number; id?: string; msg: unknown }][] } | undefined;
  return (spy?.args ?? []).filter(([e]) => e && e.level === 20 && e.id === NUT).map(([e]) => String(e.msg instanceof Error ? e.msg.message : e.msg));
}

const errorText = (m: Msg): string => String((m.error as { message?: unknown } | undefined)?.message ?? "");

/** Does `text` name `field`: its key, or the key's words ("maxBytes" → "max bytes"), case-insensitively? */
export function namesField(text: string, field: string): boolean {
  const t = text.toLowerCase();
  const words = field.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ").toLowerCase();
  return t.includes(field.toLowerCase()) || t.includes(words);
}

/**
 * The runtime's own messages ("Error stopping node: Close timed out") come from its catalog, which Node-RED loads
 * at start and the test helper never does (its log then says ""). Loaded once, as the runtime would.
 */
let runtimeCatalog: Promise<void> | undefined;
function loadRuntimeCatalog(): Promise<void> {
  if (!runtimeCatalog) {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { i18n } = require("@node-red/util") as { i18n: { init(s: object): void; registerMessageCatalog(ns: string, dir: string, file: string): Promise<void> } };
    const dir = path.join(path.dirname(require.resolve("@node-red/runtime/package.json")), "locales");
    /* eslint-enable @typescript-eslint/no-require-imports */
    i18n.init({}); // idempotent: the catalog waits for it
    runtimeCatalog = i18n.registerMessageCatalog("runtime", dir, "runtime.json");
  }
  return runtimeCatalog;
}

async function run(nodes: NodeModule[], flow: Msg[], body: () => Promise<void>): Promise<void> {
  await loadRuntimeCatalog();
  await load([...nodes, core.catch, core.complete], flow);
  try {
    await body();
  } finally {
    await unload();
  }
}

/** Wait until no more messages arrive for `quietMs`. */
async function quiet(counts: () => number, quietMs: number): Promise<void> {
  let last = counts();
  for (;;) {
    await sleep(quietMs);
    const now = counts();
    if (now === last) return;
    last = now;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// 1. A bad config: red status, every input to Catch with an error naming the field.

export async function checkBadConfig(spec: ContractSpec, inputs = 5): Promise<Verdict> {
  const problems: string[] = [];
  const facts: Record<string, unknown>[] = [];
  for (const bad of Array.isArray(spec.bad) ? spec.bad : [spec.bad]) {
    const v = await checkOneBadConfig(spec, bad, inputs);
    problems.push(...v.problems.map((p) => `bad config ${JSON.stringify(bad)}: ${p}`));
    facts.push(v.facts);
  }
  return verdict(problems, { configs: facts });
}

async function checkOneBadConfig(spec: ContractSpec, bad: Msg, inputs: number): Promise<Verdict> {
  const problems: string[] = [];
  const facts: Record<string, unknown> = {};
  const fields = Object.keys(bad);
  await inTmp(async (dir) => {
    const status = watchStatus();
    const seen = capture(["out", `${NUT}-caught`, `${NUT}-done`]);
    try {
      await run([spec.module, ...(spec.extraModules ?? [])], contractFlow(spec.type, withTmp({ ...spec.good, ...bad }, dir), spec, dir), async () => {
        for (let i = 0; i < inputs; i++) getNode(NUT).receive({ ...structuredClone(spec.input), _msgid: `bad-config-${i}` });
        const caught = seen[`${NUT}-caught`];
        const completed = seen[`${NUT}-done`];
        await waitFor(() => caught.length + completed.length >= inputs, "every input to end", 10_000).catch(() => undefined);
        await quiet(() => caught.length + completed.length + seen.out.length, 200);
        facts.statuses = status.list.map((s) => `${s.fill ?? ""}/${s.shape ?? ""} ${s.text ?? ""}`);
        facts.errors = caught.map(errorText);
        const red = status.list.filter((s) => s.fill === "red");
        const lastStatus = status.list[status.list.length - 1];
        if (red.length === 0) problems.push(`no red status (statuses: ${JSON.stringify(facts.statuses)})`);
        else if (lastStatus?.fill !== "red") problems.push(`the status ends ${JSON.stringify(lastStatus)}, not red`);
        if (caught.length !== inputs) problems.push(`${caught.length} of ${inputs} inputs reached the Catch node`);
        if (completed.length > 0) problems.push(`Complete fired ${completed.length} times (an input that fails must call done(err))`);
        if (seen.out.length > 0) problems.push(`the node sent ${seen.out.length} messages`);
        const ids = caught.map((m) => m._msgid);
        if (new Set(ids).size !== ids.length) problems.push(`an input reached Catch twice (${JSON.stringify(ids)})`);
        const foreign = caught.filter((m) => (m.error as { source?: { id?: string } } | undefined)?.source?.id !== NUT);
        if (foreign.length > 0) problems.push(`${foreign.length} errors came from another node`);
        const unnamed = caught.map(errorText).filter((t) => !fields.some((f) => namesField(t, f)));
        if (unnamed.length > 0) problems.push(`the error does not name the field ${fields.join(" or ")}: "${unnamed[0]}"`);
      });
    } finally {
      status.dispose();
      seen.dispose();
    }
  });
  return verdict(problems, facts);
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Complete exactly once per input; errors to Catch exactly once; never both.

export async function checkCompleteOnce(spec: ContractSpec, goods = 50, bads = 10): Promise<Verdict> {
  const problems: string[] = [];
  const facts: Record<string, unknown> = {};
  const want = new Map<string, "good" | "bad">();
  for (let i = 0; i < goods; i++) want.set(`good-${i}`, "good");
  if (spec.badInput) for (let i = 0; i < bads; i++) want.set(`bad-${i}`, "bad");
  await inTmp(async (dir) => {
    const seen = capture([`${NUT}-caught`, `${NUT}-done`]);
    try {
      await run([spec.module, ...(spec.extraModules ?? [])], contractFlow(spec.type, withTmp(spec.good, dir), spec, dir), async () => {
        const order = [...want.keys()].sort((a, b) => Number(a.split("-")[1]) - Number(b.split("-")[1]));
        for (const id of order) {
          const msg = want.get(id) === "good" ? spec.input : (spec.badInput as Msg);
          getNode(NUT).receive({ ...structuredClone(msg), _msgid: id });
        }
        const caught = seen[`${NUT}-caught`];
        const completed = seen[`${NUT}-done`];
        const ended = () => caught.length + completed.length;
        await waitFor(() => ended() >= want.size, `${want.size} inputs to end`, 20_000).catch(() => undefined);
        await quiet(ended, 300);
        const tally = (list: Msg[]) => {
          const n = new Map<string, number>();
          for (const m of list) n.set(String(m._msgid), (n.get(String(m._msgid)) ?? 0) + 1);
          return n;
        };
        const c = tally(completed);
        const e = tally(caught);
        facts.completes = completed.length;
        facts.catches = caught.length;
        const twice = (n: Map<string, number>) => [...n].filter(([, k]) => k > 1).map(([id, k]) => `${id}×${k}`);
        if (twice(c).length) problems.push(`Complete fired more than once for ${twice(c).slice(0, 5).join(", ")}`);
        if (twice(e).length) problems.push(`Catch got the same input more than once: ${twice(e).slice(0, 5).join(", ")}`);
        const both = [...c.keys()].filter((id) => e.has(id));
        if (both.length) problems.push(`inputs both completed and caught: ${both.slice(0, 5).join(", ")}`);
        const never = [...want.keys()].filter((id) => !c.has(id) && !e.has(id));
        if (never.length) problems.push(`${never.length} inputs never ended (no done()): ${never.slice(0, 5).join(", ")}`);
        const goodCaught = [...e.keys()].filter((id) => want.get(id) === "good");
        if (goodCaught.length) {
          const first = caught.find((m) => m._msgid === goodCaught[0]) as Msg;
          problems.push(`${goodCaught.length} good inputs were refused, e.g. "${errorText(first)}"`);
        }
        const badCompleted = [...c.keys()].filter((id) => want.get(id) === "bad");
        if (badCompleted.length) problems.push(`${badCompleted.length} bad inputs completed without error (badInput must be refused with done(err))`);
        const strangers = [...c.keys(), ...e.keys()].filter((id) => !want.has(id));
        if (strangers.length) problems.push(`Complete or Catch fired for messages that were not inputs: ${strangers.slice(0, 5).join(", ")}`);
      });
    } finally {
      seen.dispose();
    }
  });
  return verdict(problems, facts);
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Redeploys: each close within the runtime's close timeout, nothing leaks.

/** Open file descriptors and active resources by kind (Timeout, TCPSocketWrap, FSReqCallback, ...). */
export function resources(): Record<string, number> {
  const out: Record<string, number> = { fd: fs.readdirSync("/proc/self/fd").length };
  for (const kind of process.getActiveResourcesInfo()) out[kind] = (out[kind] ?? 0) + 1;
  return out;
}

/** Sample `resources()` until two samples in a row agree (or `limitMs`), so transient requests have finished. */
async function settled(stepMs = 150, limitMs = 3000): Promise<Record<string, number>> {
  const end = Date.now() + limitMs;
  let last = resources();
  for (;;) {
    await sleep(stepMs);
    const now = resources();
    if (JSON.stringify(now) === JSON.stringify(last) || Date.now() > end) return now;
    last = now;
  }
}

export interface RedeployOptions {
  /** Full redeploys in all (100). */
  redeploys?: number;
  /** Redeploys before the first count (10): the runtime's own one-off allocations are behind us by then. */
  warmup?: number;
  /** How much any one kind may grow between the two counts, whatever the number of redeploys (3). */
  tolerance?: number;
  /** How long one redeploy may take before the check gives up: the runtime's 15 s close timeout, plus margin. */
  hungAfterMs?: number;
}

export async function checkRedeploys(spec: ContractSpec, opts: RedeployOptions = {}): Promise<Verdict> {
  const { redeploys = 100, warmup = 10, tolerance = 3, hungAfterMs = 20_000 } = opts;
  const problems: string[] = [];
  const facts: Record<string, unknown> = {};
  await inTmp(async (dir) => {
    const flow = contractFlow(spec.type, withTmp(spec.good, dir), spec, dir);
    const seen = capture([`${NUT}-caught`, `${NUT}-done`]);
    try {
      await run([spec.module, ...(spec.extraModules ?? [])], flow, async () => {
        let before: Record<string, number> | undefined;
        let previous = getNode(NUT);
        let previousConfig = spec.user ? getNode(CONFIG_NUT) : undefined;
        let slowest = 0;
        for (let i = 1; i <= redeploys; i++) {
          const t0 = Date.now();
          let timer: NodeJS.Timeout | undefined;
          const hung = new Promise<"hung">((r) => (timer = setTimeout(() => r("hung"), hungAfterMs)));
          const outcome = await Promise.race([redeploy(flow, "full").then(() => "ok" as const), hung]);
          clearTimeout(timer);
          slowest = Math.max(slowest, Date.now() - t0);
          if (outcome === "hung") {
            problems.push(`redeploy ${i} did not finish within ${hungAfterMs} ms (a close that never calls done?)`);
            return;
          }
          const node = getNode(NUT);
          if (!node || node === previous) {
            problems.push(`redeploy ${i}: the node was not restarted`);
            return;
          }
          previous = node;
          if (spec.user) {
            const config = getNode(CONFIG_NUT);
            if (!config || config === previousConfig) {
              problems.push(`redeploy ${i}: the config node under test was not restarted`);
              return;
            }
            previousConfig = config;
          }
          // Each new instance handles an input, so that what it opens for work is opened, and must be closed.
          const id = `redeploy-${i}`;
          node.receive({ ...structuredClone(spec.input), _msgid: id });
          const ended = () => seen[`${NUT}-caught`].some((m) => m._msgid === id) || seen[`${NUT}-done`].some((m) => m._msgid === id);
          const ok = await waitFor(ended, `input after redeploy ${i}`, 10_000).then(() => true, () => false);
          if (!ok) {
            problems.push(`redeploy ${i}: the input was never done`);
            return;
          }
          if (i === warmup) before = await settled();
        }
        const after = await settled();
        facts.redeploys = redeploys;
        facts.slowestRedeployMs = slowest;
        facts[`after${warmup}`] = before;
        facts[`after${redeploys}`] = after;
        if (before) {
          for (const kind of new Set([...Object.keys(before), ...Object.keys(after)])) {
            const grew = (after[kind] ?? 0) - (before[kind] ?? 0);
            if (grew > tolerance) {
              problems.push(`leak: ${kind} ${before[kind] ?? 0} after ${warmup} redeploys, ${after[kind] ?? 0} after ${redeploys} (+${grew}, tolerance ${tolerance})`);
            }
          }
        }
        const caught = seen[`${NUT}-caught`];
        if (caught.length) problems.push(`${caught.length} inputs after a redeploy were refused, e.g. "${errorText(caught[0])}"`);
        const errs = nodeErrors();
        const closing = errs.filter((e) => /close timed out|stopping/i.test(e));
        if (closing.length) problems.push(`${closing.length} closes failed or took longer than the runtime's close timeout (15 s): "${closing[0]}"`);
        const other = errs.filter((e) => !closing.includes(e));
        if (other.length) problems.push(`the node logged ${other.length} errors while redeployed, e.g. "${other[0]}"`);
      });
    } finally {
      seen.dispose();
    }
  });
  return verdict(problems, facts);
}
