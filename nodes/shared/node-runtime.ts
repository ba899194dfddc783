/**
 * The node runtime: what every node of this package does the same way, written once.
 *
 * - migrate and parse the config (field specs + the node's own parser), with a ConfigError naming the field;
 * - a bad config: a red status, one logged error, and every message refused with done(err) so a Catch node sees it;
 * - the input path: the node's handler returns (done()) or throws/rejects (status + done(err)); InputError and
 *   ConfigError map onto i18n status keys;
 * - the throttled status (StatusReporter);
 * - closing: the node's close, then the status cleared, within Node-RED's 15 s;
 * - the editor's `/m2m/<type>/validate` endpoint, which migrates and checks a config exactly as the runtime does.
 *
 * A node's wrapper is then its definition: fields, migrations, parse, and create (its behaviour).
 */
import path from "node:path";
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from "node-red";
import type { Request, Response } from "express";
import { ConfigError, InputError, errorMessage } from "./errors";
import { FieldErrors, checkField, type FieldSpecs } from "./fields";
import { migrate, type Def, type Migration } from "./migrations";
import { StatusReporter } from "./status";
import sharedCatalog from "./locales/en-US/m2m.json";

export type Msg = Record<string, unknown>;
export type Send = (msg: NodeMessageInFlow | (NodeMessageInFlow | NodeMessageInFlow[] | null)[] | null) => void;

/** What a node's parser gets besides the config. */
export interface ParseEnv {
  /** The node's id (absent when the editor validates a node not yet deployed). */
  nodeId?: string;
  /** Node-RED's user directory (where a node keeps its state by default). */
  userDir: string;
}

/** What a node's behaviour gets. */
export interface NodeContext<Cfg> {
  RED: NodeAPI;
  node: Node;
  config: Cfg;
  status: StatusReporter;
  /** Translate a key of this node's catalog (`<type>.x`, or the shared `m2m.x`). */
  t(key: string, params?: Record<string, string | number>): string;
  /** Log an error at most once a minute per `key`, with how many were held back. */
  logThrottled(key: string, text: string, level?: "error" | "warn"): void;
}

export interface NodeBehaviour {
  /** Handle one message. Return (or resolve) when done; throw (or reject) for done(err). */
  input(msg: Msg, send: Send): void | Promise<void>;
  /** Release every timer, socket and file. Node-RED waits at most 15 s. */
  close?(removed: boolean): void | Promise<void>;
}

export interface NodeDefinition<Cfg> {
  type: string;
  /**
   * The node's English catalog (its locales/en-US/<file>.json, imported): where the runtime has no catalog loaded
   * (a test harness, a node used outside Node-RED), keys fall back to it, so an error never reads as its bare key.
   */
  catalog?: object;
  fields: FieldSpecs;
  migrations: readonly Migration[];
  /** From the migrated config to the node's options. Throws a ConfigError naming the field. */
  parse(def: Def, env: ParseEnv): Cfg;
  /** What the validate endpoint adds to a good answer (e.g. how many points a register map has). */
  summary?(cfg: Cfg): Record<string, unknown>;
  /**
   * Checks of single structured fields, for the editor as the user types (`{ field, value }` to the endpoint):
   * the same code the parser runs on that field. Returns what the dialog may show (e.g. a point count).
   */
  checkers?: Record<string, (value: string) => Record<string, unknown> | void>;
  /** The node's behaviour, once its config is good. May throw (a start error: the node refuses every message). */
  create(ctx: NodeContext<Cfg>): NodeBehaviour;
}

/** "bad timestamp" → "badTimestamp": the key of an InputError's status under `m2m.input`. */
export function statusKey(short: string): string {
  return short.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ""));
}

/**
 * What the validate endpoint answers. A body `{ field, value }` checks one field (a structured field through the
 * node's checker, any other through its field spec); any other body is a whole config, migrated and parsed.
 */
export function checkConfig<Cfg>(def: NodeDefinition<Cfg>, raw: Def, env: ParseEnv): Record<string, unknown> {
  if (typeof raw.field === "string" && Object.keys(raw).every((k) => k === "field" || k === "value")) {
    const name = raw.field;
    const value = raw.value === undefined || raw.value === null ? "" : String(raw.value);
    const spec = def.fields[name];
    if (!spec) return { ok: false, error: `${def.type} has no field "${name}"`, field: name };
    const r = checkField(spec, value);
    if (!r.ok) return { ok: false, error: r.error, field: name };
    const checker = def.checkers?.[name];
    if (!checker || value.trim() === "") return { ok: true };
    try {
      return { ok: true, ...(checker(value.trim()) ?? {}) };
    } catch (err) {
      return { ok: false, error: `${spec.label}: ${errorMessage(err)}`, field: name, at: err instanceof ConfigError ? err.field : undefined };
    }
  }
  const m = migrate(raw, def.migrations);
  try {
    const cfg = def.parse(m.def, env);
    return { ok: true, version: m.to, ...(m.from < m.to ? { migrated: m.def } : {}), ...(def.summary ? def.summary(cfg) : {}) };
  } catch (err) {
    const errors = err instanceof FieldErrors ? err.errors : [{ field: err instanceof ConfigError ? err.field : undefined, message: errorMessage(err) }];
    return { ok: false, error: errorMessage(err), field: err instanceof ConfigError ? err.field : undefined, errors, version: m.to };
  }
}

function userDirOf(RED: NodeAPI): string {
  return (RED.settings as unknown as { userDir?: string }).userDir ?? process.cwd();
}

/** Register a node type defined by `def`, and its validate endpoint. */
export function registerNode<Cfg>(RED: NodeAPI, def: NodeDefinition<Cfg>): void {
  const { type } = def;

  function M2MNode(this: Node, nodeDef: NodeDef & Def) {
    RED.nodes.createNode(this, nodeDef);
    const node = this; // eslint-disable-line @typescript-eslint/no-this-alias -- the node is captured by the handlers below
    const status = new StatusReporter(node);
    const t = (key: string, params?: Record<string, string | number>) => translate(RED, key, params, def.catalog);
    const logged = new Map<string, { at: number; held: number }>();
    const logThrottled = (key: string, text: string, level: "error" | "warn" = "error") => {
      const now = Date.now();
      const l = logged.get(key);
      if (l && now - l.at < 60_000) {
        l.held++;
        return;
      }
      const suffix = l && l.held > 0 ? ` ${t("m2m.log.held", { count: l.held })}` : "";
      logged.set(key, { at: now, held: 0 });
      if (level === "error") node.error(text + suffix);
      else node.warn(text + suffix);
    };

    let behaviour: NodeBehaviour | undefined;
    let refusal: Error | undefined;
    try {
      const m = migrate(nodeDef, def.migrations);
      const config = def.parse(m.def, { nodeId: node.id, userDir: userDirOf(RED) });
      status.clear();
      behaviour = def.create({ RED, node, config, status, t, logThrottled });
    } catch (err) {
      const isConfig = err instanceof ConfigError;
      const text = errorMessage(err);
      refusal = new Error(t(isConfig ? "m2m.errors.config" : "m2m.errors.start", { type, error: text }));
      if (isConfig) Object.assign(refusal, { field: err.field });
      node.error(refusal.message);
      status.error(t(isConfig ? "m2m.status.configError" : "m2m.status.startError"));
    }

    node.on("input", (msg: NodeMessageInFlow, send, done) => {
      if (!behaviour) {
        done(refusal);
        return;
      }
      const fail = (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        if (e instanceof InputError) status.error(() => translateOr(t, `m2m.input.${statusKey(e.short)}`, e.short));
        else if (e instanceof ConfigError) status.error(() => t("m2m.status.configError"));
        else status.error(() => t("m2m.status.error"));
        done(e);
      };
      let r: void | Promise<void>;
      try {
        r = behaviour.input(msg as unknown as Msg, send as Send);
      } catch (err) {
        fail(err);
        return;
      }
      if (r && typeof (r as Promise<void>).then === "function") (r as Promise<void>).then(() => done(), fail);
      else done();
    });

    node.on("close", (removed: boolean, done: () => void) => {
      const b = behaviour;
      behaviour = undefined;
      refusal = new Error(t("m2m.errors.closed", { type }));
      const finish = () => {
        status.clear();
        status.close();
        done();
      };
      if (!b?.close) return finish();
      let r: void | Promise<void>;
      try {
        r = b.close(removed);
      } catch (err) {
        node.error(t("m2m.errors.close", { type, error: errorMessage(err) }));
        return finish();
      }
      if (r && typeof (r as Promise<void>).then === "function")
        (r as Promise<void>).then(finish, (err) => {
          node.error(t("m2m.errors.close", { type, error: errorMessage(err) }));
          finish();
        });
      else finish();
    });
  }

  RED.nodes.registerType(type, M2MNode);

  // The editor checks a config exactly as the runtime does: the same migrations, fields and parser.
  RED.httpAdmin.post(`/m2m/${type}/validate`, RED.auth.needsPermission(`${type}.read`), (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Def;
    const nodeId = typeof body.id === "string" ? body.id : undefined;
    res.json(checkConfig(def, body, { nodeId, userDir: userDirOf(RED) }));
  });
}

/**
 * A key of the node's catalog translated. Where the runtime has no catalog loaded (a test harness, a node used
 * outside Node-RED: i18n gives the key back), the shared keys (`m2m.*`) fall back to the shared English catalog and
 * the node's own keys to `catalog` (its English one), so an error never loses its detail.
 */
export function translate(RED: Pick<NodeAPI, "_">, key: string, params?: Record<string, string | number>, catalog?: object): string {
  const s = RED._(key, params as Record<string, string>);
  if (s !== key && !s.endsWith(key)) return s;
  const lookup = (root: unknown, path: string[]): unknown => {
    let o = root;
    for (const k of path) o = o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined;
    return o;
  };
  const found = key.startsWith("m2m.") ? lookup(sharedCatalog, key.slice(4).split(".")) : lookup(catalog, key.split("."));
  if (typeof found !== "string") return s;
  return found.replace(/__(\w+)__/g, (m, p: string) => (params && params[p] !== undefined ? String(params[p]) : m));
}

/** A translation, or `fallback` when the catalog has no such key (i18next gives the key back). */
function translateOr(t: (k: string) => string, key: string, fallback: string): string {
  const s = t(key);
  return s === key || s.endsWith(key) ? fallback : s;
}

/** The per-node default folder for state under the user directory: `<userDir>/<folder>/<node id>`. */
export function nodeStateDir(env: ParseEnv, folder: string): string {
  return path.join(env.userDir, folder, (env.nodeId ?? "new").replace(/[^A-Za-z0-9_.-]/g, "_"));
}
