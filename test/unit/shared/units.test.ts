import { it } from "mocha";
import assert from "node:assert/strict";
import { ConfigError } from "../../../nodes/shared/errors";
import { compileUnitSpec } from "../../../nodes/shared/units";
import { tidy } from "../../../nodes/shared/number";
import { configError } from "../../helpers/errors";

it("compileUnitSpec: a SenML unit alone, a SenML source unit alone, nothing at all", () => {
  assert.deepEqual(compileUnitSpec({ unit: "kWh" }, "here"), { unit: "kWh" });
  assert.deepEqual(compileUnitSpec({ sourceUnit: "Cel" }, "here"), { unit: "Cel" });
  assert.deepEqual(compileUnitSpec({}, "here"), { unit: undefined });
  assert.deepEqual(compileUnitSpec({ unit: "W", sourceUnit: "W" }, "here"), { unit: "W" }, "no conversion to itself");
});

it("compileUnitSpec: a source unit converts into the unit, non-SenML source units included", () => {
  const f = compileUnitSpec({ unit: "Cel", sourceUnit: "degF" }, "here");
  assert.equal(f.unit, "Cel");
  assert.equal(tidy(f.convert?.(212) ?? NaN), 100);
  assert.equal(compileUnitSpec({ unit: "kWh", sourceUnit: "MWh" }, "here").convert?.(1.5), 1500);
});

it("compileUnitSpec: errors name the field under `where`, and carry its pointer", () => {
  configError(() => compileUnitSpec({ unit: "celsius" }, "register map: /points/0"), /^register map: \/points\/0\/unit "celsius" is not a SenML unit symbol/);
  configError(() => compileUnitSpec({ sourceUnit: "degF" }, "JSON mapping: /measurements/t"), /\/measurements\/t\/unit is needed: sourceUnit "degF" is not a SenML unit/);
  configError(() => compileUnitSpec({ unit: "V", sourceUnit: "kWh" }, "w"), /^w\/sourceUnit "kWh" cannot be converted to "V"/);
  configError(() => compileUnitSpec({ unit: "V", sourceUnit: "furlong" }, "w"), /^w\/sourceUnit "furlong" cannot be converted/);
  assert.throws(() => compileUnitSpec({ unit: "V", sourceUnit: "kWh" }, "w", "/points/3"), (e: unknown) => e instanceof ConfigError && e.field === "/points/3/sourceUnit");
});
