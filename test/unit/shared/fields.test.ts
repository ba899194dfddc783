import { describe, it } from "mocha";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { checkField, parseFields, FieldErrors, type FieldSpec } from "../../../nodes/shared/fields";
import { FIELDS as SF } from "../../../nodes/store-forward/fields";
import { FIELDS as MN } from "../../../nodes/meter-normalize/fields";

const err = (spec: FieldSpec, v: unknown) => {
  const r = checkField(spec, v);
  assert.equal(r.ok, false, `${JSON.stringify(v)} should be refused`);
  return (r as { error: string }).error;
};
const val = (spec: FieldSpec, v: unknown) => {
  const r = checkField(spec, v);
  assert.ok(r.ok, (r as { error?: string }).error);
  return (r as { value: unknown }).value;
};

describe("shared/fields", () => {
  it("numbers: empty means the default; limits, whole numbers and the unit are said in the message", () => {
    assert.equal(val(SF.batchSize, ""), 1);
    assert.equal(val(SF.batchSize, "25"), 25);
    assert.equal(val(SF.batchSize, 25), 25);
    assert.match(err(SF.batchSize, "10001"), /^Records per message: "10001" must be from 1 to 10000$/);
    assert.match(err(SF.batchSize, "2.5"), /whole number/);
    assert.match(err(SF.ackTimeout, "abc"), /^Ack timeout: "abc" is not a number; use a number from 0.05 s to 86400 s \(in s\)$/);
    assert.match(err(SF.ackTimeout, "1e400"), /is not a number/);
    assert.match(err(SF.ackTimeout, "12abc"), /is not a number/, "Number.parseFloat would take 12");
  });

  it("byte sizes: Max bytes takes 64 MB, 1 GiB or a plain number, and says its unit", () => {
    assert.equal(val(SF.maxBytes, "64 MB"), 64e6);
    assert.equal(val(SF.maxBytes, "64MiB"), 64 * 1024 * 1024);
    assert.equal(val(SF.maxBytes, "1.5 GB"), 1.5e9);
    assert.equal(val(SF.maxBytes, "2048"), 2048);
    assert.equal(val(SF.maxBytes, ""), 64 * 1024 * 1024);
    assert.match(err(SF.maxBytes, "64 XB"), /a size such as 64 MB/);
    assert.match(err(SF.maxBytes, "100"), /must be from 1 KiB to 1024 GiB/);
  });

  it("watermarks: the case a new user typed, 50,75,abc, is refused with the item named (issue 6)", () => {
    assert.deepEqual(val(SF.watermarks, "50,75,90"), [50, 75, 90]);
    assert.deepEqual(val(SF.watermarks, ""), [50, 75, 90]);
    assert.match(err(SF.watermarks, "50,75,abc"), /^Alert at: "abc" \(item 3 of "50,75,abc"\) must be a number between 0 and 100 %/);
    assert.match(err(SF.watermarks, "90,50"), /ascending/);
    assert.match(err(SF.watermarks, "0,50"), /item 1/);
  });

  it("enums, text patterns and time zones", () => {
    assert.match(err(SF.overflow, "drop-all"), /^When full: "drop-all" must be one of drop-oldest, drop-newest, reject$/);
    assert.equal(val(SF.keyProperty, "msg.payload.id"), "msg.payload.id");
    assert.match(err(SF.keyProperty, "payload..id"), /a message property such as msg.payload.id/);
    assert.equal(val(MN.timeZone, "America/New_York"), "America/New_York");
    assert.match(err(MN.timeZone, "Mars/Base"), /not an IANA time zone/);
    assert.equal(val(MN.timeZone, ""), "UTC");
  });

  it("parseFields lists every bad field and names the first", () => {
    assert.throws(
      () => parseFields(SF, { batchSize: "0", watermarks: "50,75,abc" }),
      (e: unknown) => e instanceof FieldErrors && e.field === "batchSize" && e.errors.length === 2 && e.errors[1].field === "watermarks",
    );
    const ok = parseFields<Record<string, unknown>>(SF, {});
    assert.equal(ok.maxBytes, 64 * 1024 * 1024);
  });

  it("checkField is self-contained, so the build can emit its source into the editor", () => {
    // The editor gets checkField.toString() of the build's (tsc's) output: it must run with no outer names.
    const src = fs.readFileSync(path.join(__dirname, "../../../nodes/shared/fields.ts"), "utf8");
    const js = ts.transpileModule(src, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS } }).outputText;
    const mod: { exports: Record<string, unknown> } = { exports: {} };
    new Function("module", "exports", "require", js)(mod, mod.exports, () => ({ ConfigError: Error }));
    const emitted = (mod.exports.checkField as (...a: unknown[]) => unknown).toString();
    const standalone = new Function(`return (${emitted});`)() as typeof checkField;
    assert.deepEqual(standalone(SF.maxBytes, "64 MB"), checkField(SF.maxBytes, "64 MB"));
    assert.deepEqual(standalone(SF.watermarks, "50,75,abc"), checkField(SF.watermarks, "50,75,abc"));
    assert.deepEqual(standalone(MN.timeZone, "Mars/Base"), checkField(MN.timeZone, "Mars/Base"));
  });
});
