import { describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { checkMigrations, latestVersion, migrate, type Migration } from "../../../nodes/shared/migrations";
import { MIGRATIONS as MN } from "../../../nodes/meter-normalize/migrations";
import { MIGRATIONS as SF } from "../../../nodes/store-forward/migrations";
import { parseMeterNormalizeConfig } from "../../../nodes/meter-normalize/normalizer";
import { parseStoreForwardConfig } from "../../../nodes/store-forward/config";
import { FIXTURES } from "../../helpers/fixtures";

const frozen = (type: string, name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, "configs", type, name), "utf8")) as Record<string, unknown>;

describe("shared/migrations", () => {
  const steps: Migration[] = [
    { version: 1, describe: "rename a to b", up: ({ a, ...d }) => ({ ...d, b: a }) },
    { version: 2, describe: "split b into c and d", up: ({ b, ...d }) => ({ ...d, c: `${b}-c`, d: `${b}-d` }) },
  ];

  it("upgrades one version at a time from the stored version; a config without one is version 0", () => {
    assert.deepEqual(migrate({ a: "x" }, steps), { def: { c: "x-c", d: "x-d", version: 2 }, from: 0, to: 2 });
    assert.deepEqual(migrate({ b: "y", version: 1 }, steps).def, { c: "y-c", d: "y-d", version: 2 });
    assert.deepEqual(migrate({ b: "y", version: "1" }, steps).from, 1, "a version saved as text by the dialog");
  });

  it("leaves a current or newer config alone, and never changes its input", () => {
    const cur = { c: 1, version: 2 };
    assert.equal(migrate(cur, steps).def, cur);
    const newer = { z: 1, version: 9 };
    assert.deepEqual(migrate(newer, steps), { def: newer, from: 9, to: 2 });
    const input = { a: "x" };
    migrate(input, steps);
    assert.deepEqual(input, { a: "x" });
  });

  it("every node's migration list is well formed", () => {
    for (const list of [MN, SF]) assert.doesNotThrow(() => checkMigrations(list));
    assert.throws(() => checkMigrations([{ version: 2, describe: "x", up: (d) => d }]), /expected 1/);
  });
});

describe("meter-normalize migrations (frozen configs)", () => {
  it("v0 → v1: a register map saved as an object (refused by 0.1.0 as missing) becomes its JSON text and is used", () => {
    const old = frozen("meter-normalize", "v0-object-map.json");
    assert.throws(() => parseMeterNormalizeConfig(old as never), /register map is required/, "0.1.0 saw no map at all");
    const m = migrate(old, MN);
    assert.equal(m.from, 0);
    assert.equal(m.def.version, latestVersion(MN));
    assert.equal(typeof m.def.registerMap, "string");
    const cfg = parseMeterNormalizeConfig(m.def as never);
    assert.equal(cfg.map?.mapId, "old-meter");
    assert.equal(cfg.map?.points.length, 1);
  });
});

describe("store-forward migrations (frozen configs)", () => {
  it("v0 → v1: the 0.1.0 dialog's config parses to the same options but two: the SD-aware sync interval, and an emptied watermark list means the default", () => {
    const old = frozen("store-forward", "v0-dialog.json");
    const m = migrate(old, SF);
    assert.equal(m.from, 0);
    assert.equal(m.def.version, latestVersion(SF));
    assert.equal(m.def.watermarks, undefined);
    const cfg = parseStoreForwardConfig(m.def as never, "/tmp/x");
    assert.deepEqual(cfg.forwarder.watermarks, [50, 75, 90]);
    assert.equal(cfg.journal.maxBytes, 67108864);
    assert.equal(cfg.forwarder.batchSize, 1);
    assert.equal(old.syncInterval, 200, "the fixture is the 0.1.0 default");
    assert.equal(cfg.journal.syncIntervalMs, 3000, "the old default becomes the SD-aware one (issue 7, item 23)");
    // a sync interval the user chose is kept
    assert.equal(parseStoreForwardConfig(migrate({ ...old, syncInterval: "50" }, SF).def as never, "/tmp/x").journal.syncIntervalMs, 50);
  });
});
