/**
 * Versioned config migrations (the Home Assistant nodes' pattern). Every node stores a `version`; a node's
 * `migrations.ts` lists the steps that upgrade an older config one version at a time. The node runtime applies
 * them on load and the validate endpoint applies them before it checks, so an old flow keeps working and the
 * editor shows the upgraded values. Core Node-RED only defaults a missing field: renames and splits need this.
 *
 * A config without `version` is version 0: written before versions existed.
 */
export type Def = Record<string, unknown>;

export interface Migration {
  /** The version this step produces (the step upgrades version - 1 to version). */
  version: number;
  /** What changed, for the help and the log. */
  describe: string;
  up(def: Def): Def;
}

export interface Migrated {
  def: Def;
  /** The version the config had. */
  from: number;
  /** The version it has now (the latest). */
  to: number;
}

/** The latest version a list of migrations reaches. */
export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.length ? migrations[migrations.length - 1].version : 0;
}

/**
 * Upgrade `def` to the latest version. The input is not changed. A config from a newer version than this code
 * knows is left as it is (and reported by `from` > `to`), never downgraded.
 */
export function migrate(def: Def, migrations: readonly Migration[]): Migrated {
  const to = latestVersion(migrations);
  const raw = def.version;
  const from = typeof raw === "number" ? raw : typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : 0;
  if (from >= to) return { def, from, to };
  let d: Def = { ...def };
  for (const m of migrations) if (m.version > from) d = { ...m.up(d), version: m.version };
  return { def: d, from, to };
}

/** Check a migration list: versions strictly ascending from 1, each step described. */
export function checkMigrations(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${i} produces version ${m.version}, expected ${i + 1}`);
    if (!m.describe) throw new Error(`migration to version ${m.version} has no description`);
  });
}
