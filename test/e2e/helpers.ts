/**
 * Shared helpers for the end-to-end tests: pack the package, install the tarball into a fresh Node-RED
 * user directory the way the palette manager does, provide Node-RED 4.1 (the devDependency, on the Node.js
 * running the tests) and Node-RED 5 on Node.js 22 (both installed once from the npm registry into
 * .cache/), start Node-RED on a free 127.0.0.1 port, and stop it again.
 *
 * Every process started here is remembered and killed when the test process exits, even after a failure,
 * and every temporary directory is made under os.tmpdir() and removed by its test's `after` hook.
 */
import { freePort } from "../helpers/ports";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");
export const CACHE_DIR = path.join(ROOT, ".cache");
export const RESULTS_DIR = path.join(ROOT, "test-results");

interface PackageJson {
  name: string;
  version: string;
  "node-red": { nodes: Record<string, string> };
}

export const PKG: PackageJson = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
export const MODULE = PKG.name;

/** The node types this package registers, from package.json's "node-red".nodes (never hard-coded). */
export function nodeTypes(): string[] {
  const types = Object.keys(PKG["node-red"]?.nodes ?? {});
  if (types.length === 0) throw new Error('package.json has no "node-red".nodes');
  return types;
}

/** The icon file of a node type: icons/<type>.svg, which must exist in the repo's icons/ folder. */
export function iconFile(type: string): string {
  const file = `${type}.svg`;
  if (!fs.existsSync(path.join(ROOT, "icons", file))) {
    throw new Error(`icons/${file} is missing: every node type needs an icon named <type>.svg`);
  }
  return file;
}

// ---------------------------------------------------------------------------------------------------
// Processes and directories

const children = new Set<ChildProcess>();
function killChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill("SIGKILL");
      } catch {
        /* already gone */
      }
    }
  }
}
process.on("exit", killChildren);
// A test process that is terminated takes its Node-RED and npm processes with it (playwright closes
// Chromium on exit by itself).
for (const [signal, code] of [
  ["SIGTERM", 143],
  ["SIGHUP", 129],
] as const) {
  process.once(signal, () => {
    killChildren();
    process.exit(code);
  });
}

/** A new empty directory under os.tmpdir(). */
export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `m2m-e2e-${prefix}-`));
}

export function removeDir(dir: string | undefined): void {
  if (dir) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * The environment for child processes: ours, less what npm put there for the script that runs the tests
 * (so a nested npm neither inherits `--silent` nor thinks it runs inside our package's lifecycle) and
 * less Node options meant for the test process itself. `nodeBin`'s folder goes first on PATH.
 */
export function childEnv(nodeBin: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const drop = new Set([
    "npm_command",
    "npm_execpath",
    "npm_node_execpath",
    "npm_config_local_prefix",
    "npm_config_global_prefix",
    "npm_config_user_agent",
    "npm_config_npm_version",
    "npm_config_node_gyp",
    "npm_config_loglevel",
    "init_cwd",
    "node_options",
    "node_test_context",
    "node_channel_fd",
    "node_unique_id",
  ]);
  for (const [key, value] of Object.entries(process.env)) {
    const k = key.toLowerCase();
    if (drop.has(k) || k.startsWith("npm_lifecycle_") || k.startsWith("npm_package_")) continue;
    env[key] = value;
  }
  env.PATH = [path.dirname(nodeBin), process.env.PATH ?? ""].join(path.delimiter);
  return { ...env, ...extra };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/**
 * Runs a command to completion and returns its exit and its combined stdout and stderr. Throws when it
 * exits non-zero or runs past `timeoutMs` (then it is killed), with the output in the message.
 */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? childEnv(cmd), stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let output = "";
    child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      children.delete(child);
      reject(new Error(`${cmd} ${args.join(" ")}: ${err.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      const what = `${path.basename(cmd)} ${args.join(" ")} (cwd ${opts.cwd})`;
      if (timedOut) reject(new Error(`${what} did not finish within ${opts.timeoutMs / 1000}s:\n${output}`));
      else if (code !== 0) reject(new Error(`${what} exited with ${code ?? signal}:\n${output}`));
      else resolve({ code, signal, output });
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// npm

/** npm's own npm-cli.js, so npm can be run under any Node.js binary. */
export function npmCli(): string {
  const candidates: string[] = [];
  const execpath = process.env.npm_execpath;
  if (execpath) candidates.push(execpath);
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const npm = path.join(dir, "npm");
    try {
      candidates.push(fs.realpathSync(npm));
    } catch {
      /* not here */
    }
  }
  candidates.push(path.join(path.dirname(process.execPath), "..", "lib", "node_modules", "npm", "bin", "npm-cli.js"));
  const found = candidates.find((c) => path.basename(c) === "npm-cli.js" && fs.existsSync(c));
  if (!found) throw new Error(`cannot find npm's npm-cli.js (looked at ${candidates.join(", ")})`);
  return found;
}

/** Runs npm with the given Node.js binary (so engine checks and scripts see that Node.js version). */
export function npm(nodeBin: string, args: string[], cwd: string, timeoutMs: number): Promise<RunResult> {
  return run(nodeBin, [npmCli(), ...args], { cwd, env: childEnv(nodeBin), timeoutMs });
}

/**
 * `npm pack` of the repo into `destDir` (prepack builds dist/ first). Returns the tarball's path.
 */
export async function packTarball(destDir: string): Promise<string> {
  await npm(process.execPath, ["pack", "--pack-destination", destDir], ROOT, 300_000);
  const tgz = fs.readdirSync(destDir).filter((f) => f.endsWith(".tgz"));
  if (tgz.length !== 1) throw new Error(`npm pack left ${tgz.length} tarballs in ${destDir}: ${tgz.join(", ")}`);
  return path.join(destDir, tgz[0]);
}

/**
 * A fresh Node-RED user directory with a minimal package.json, and the tarball installed into it as the
 * palette manager does: `npm install --omit=dev --engine-strict --no-audit --no-fund <tarball>`, run by
 * npm under `nodeBin` so --engine-strict is checked against the Node.js that will run Node-RED.
 */
export async function createUserDir(parent: string, tarball: string, nodeBin: string): Promise<string> {
  const userDir = path.join(parent, "userDir");
  fs.mkdirSync(userDir, { recursive: true });
  fs.writeFileSync(
    path.join(userDir, "package.json"),
    JSON.stringify({ name: "node-red-project", description: "A Node-RED Project", version: "0.0.1", private: true }, null, 4),
  );
  await npm(nodeBin, ["install", "--omit=dev", "--engine-strict", "--no-audit", "--no-fund", tarball], userDir, 600_000);
  const installed = path.join(userDir, "node_modules", ...MODULE.split("/"), "package.json");
  if (!fs.existsSync(installed)) throw new Error(`npm install did not put ${MODULE} in ${userDir}/node_modules`);
  return userDir;
}

// ---------------------------------------------------------------------------------------------------
// Node-RED runtimes

export interface Runtime {
  label: string;
  /** The Node.js binary that runs Node-RED and the npm that installs into its user dir. */
  nodeBin: string;
  /** Node-RED's red.js. */
  redJs: string;
}

/** Node-RED 4.1, the devDependency, on the Node.js running the tests. */
export function nodeRed4(): Runtime {
  const redJs = path.join(ROOT, "node_modules", "node-red", "red.js");
  if (!fs.existsSync(redJs)) throw new Error(`${redJs} is missing: run npm ci first`);
  return { label: "Node-RED 4.1", nodeBin: process.execPath, redJs };
}

/**
 * Installs `spec` with npm (run under `nodeBin`) into `dir` unless a previous install of the same spec
 * completed there; returns whether it installed. An interrupted install is started over.
 */
async function cachedInstall(dir: string, spec: string, nodeBin: string, check: () => boolean): Promise<boolean> {
  const marker = path.join(dir, ".installed");
  if (fs.existsSync(marker) && fs.readFileSync(marker, "utf8") === spec && check()) return false;
  removeDir(dir);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: path.basename(dir), private: true }, null, 2));
  await npm(nodeBin, ["install", "--no-audit", "--no-fund", "--omit=dev", spec], dir, 900_000);
  if (!check()) throw new Error(`installing ${spec} into ${dir} did not give what was expected`);
  fs.writeFileSync(marker, spec);
  return true;
}

/**
 * Node.js 22 from the npm registry, cached in .cache/node22. The `node` package only fetches its binary
 * in a preinstall script (which npm 11 may not run), so the platform package that ships the binary,
 * node-<platform>-<arch>@22, is installed directly.
 */
export async function ensureNode22(): Promise<string> {
  const platform = process.platform === "win32" ? "win" : process.platform;
  const pkg = `node-${platform}-${process.arch}`;
  const dir = path.join(CACHE_DIR, "node22");
  const bin = path.join(dir, "node_modules", pkg, "bin", process.platform === "win32" ? "node.exe" : "node");
  await cachedInstall(dir, `${pkg}@22`, process.execPath, () => fs.existsSync(bin));
  fs.chmodSync(bin, 0o755);
  const { output } = await run(bin, ["--version"], { cwd: dir, timeoutMs: 30_000 });
  if (!/^v22\./.test(output.trim())) throw new Error(`${bin} --version printed ${output.trim()}, not v22`);
  return bin;
}

/** Node-RED 5 on Node.js 22, both cached in .cache/ (node-red@5 installed by npm running on Node 22). */
export async function nodeRed5(): Promise<Runtime> {
  const nodeBin = await ensureNode22();
  const dir = path.join(CACHE_DIR, "nr5");
  const redJs = path.join(dir, "node_modules", "node-red", "red.js");
  await cachedInstall(dir, "node-red@5", nodeBin, () => fs.existsSync(redJs));
  return { label: "Node-RED 5", nodeBin, redJs };
}

/** The version of the Node-RED whose red.js is given. */
export function nodeRedVersion(rt: Runtime): string {
  return JSON.parse(fs.readFileSync(path.join(path.dirname(rt.redJs), "package.json"), "utf8")).version;
}

// ---------------------------------------------------------------------------------------------------
// Running Node-RED

export { freePort };

/**
 * Settings for a test instance: listen on 127.0.0.1 only; a fixed credential secret (no generated-key
 * warning); no telemetry or update notification (so no consent prompt either), no welcome tour, no projects,
 * and no palette catalogue (the editor would fetch catalogue.nodered.org, which this machine cannot reach).
 */
export function writeSettings(file: string): void {
  const settings = `module.exports = {
    uiHost: "127.0.0.1",
    flowFile: "flows.json",
    credentialSecret: "m2m-e2e-test-secret",
    telemetry: { enabled: false, updateNotification: false },
    editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
    logging: { console: { level: "info", metrics: false, audit: false } },
};
`;
  fs.writeFileSync(file, settings);
}

export interface NodeRedInstance {
  url: string;
  port: number;
  /** Everything Node-RED has printed so far (stdout and stderr). */
  log(): string;
  /** SIGINT, then SIGKILL if it has not exited after `graceMs`. Safe to call more than once. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts Node-RED with `-u userDir -p <free port> -s <settings>` and waits until its admin API answers
 * (Node-RED only listens once the palette is loaded). Fails early if Node-RED exits.
 */
export async function startNodeRed(rt: Runtime, userDir: string, timeoutMs = 120_000): Promise<NodeRedInstance> {
  const settingsFile = path.join(path.dirname(userDir), "settings.js");
  writeSettings(settingsFile);
  const port = await freePort();
  const args = [rt.redJs, "-u", userDir, "-p", String(port), "-s", settingsFile];
  return launchNodeRed(rt.label, rt.nodeBin, args, { cwd: userDir, env: childEnv(rt.nodeBin), port, timeoutMs });
}

/**
 * Runs `nodeBin args` (a process that starts Node-RED on 127.0.0.1:`port`, itself or through a script such
 * as the demo's) and waits until Node-RED's admin API answers. Fails early if the process exits.
 */
export async function launchNodeRed(
  label: string,
  nodeBin: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; port: number; timeoutMs?: number },
): Promise<NodeRedInstance> {
  const { port, timeoutMs = 120_000 } = opts;
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(nodeBin, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => {
    child.on("exit", () => {
      children.delete(child);
      resolve();
    });
    child.on("error", (err) => {
      output += `\n[spawn error] ${err.message}\n`;
      children.delete(child);
      resolve();
    });
  });
  const alive = () => child.exitCode === null && child.signalCode === null && child.pid !== undefined;

  const instance: NodeRedInstance = {
    url,
    port,
    log: () => output,
    async stop(graceMs = 10_000) {
      if (alive()) {
        child.kill("SIGINT");
        const timer = setTimeout(() => alive() && child.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      }
    },
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!alive()) {
      await exited;
      throw new Error(`${label} exited before its admin API answered:\n${output}`);
    }
    try {
      const res = await fetch(`${url}/settings`, { headers: { Accept: "application/json" } });
      if (res.ok) {
        await res.json();
        return instance;
      }
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await instance.stop();
      throw new Error(`${label} did not answer on ${url}/settings within ${timeoutMs / 1000}s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Lines of a Node-RED log that tell of a problem: every [error] line, and [warn] lines (with the lines
 * Node-RED prints under a load failure) that name this module or one of its node types, or that report
 * nodes failing to load or types missing.
 */
export function logProblems(log: string): string[] {
  const ours = [MODULE, ...nodeTypes()].map((s) => s.toLowerCase());
  return log.split(/\r?\n/).filter((line) => {
    const l = line.toLowerCase();
    if (l.includes("[error]")) return true;
    if (/failed to (load|register)|missing node modules|waiting for missing types|cannot find module/.test(l)) return true;
    return l.includes("[warn]") && ours.some((s) => l.includes(s));
  });
}

/** Writes a log to test-results/<name> (git-ignored) so CI keeps it for a failed run. */
export function saveLog(name: string, text: string): void {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  fs.writeFileSync(path.join(RESULTS_DIR, name), text);
}

/** Seconds since `start` (for progress notes only; never asserted on). */
export function since(start: number): string {
  return `${((Date.now() - start) / 1000).toFixed(1)}s`;
}

/** Poll `cond` every 50 ms until it holds; past `timeoutMs`, throw naming `what` (and `show()`, when given). */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 30_000, show?: () => unknown): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${show ? `: ${JSON.stringify(show())}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
