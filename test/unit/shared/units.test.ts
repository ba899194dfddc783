import { it } from "mocha";
import assert from "node:assert/strict";
import { ConfigError } from "../../../nodes/shared/errors";
import { compileUnitSpec, converter } from "../../../nodes/shared/units";
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

it("temperature conversions are exact where the scales meet: 41 °F is 5 °C, the FDA Food Code's cold-holding limit (FDA Food Code 2022, 3-501.16)", () => {
  const f = converter;
  const c = compileUnitSpec({ unit: "Cel", sourceUnit: "degF" }, "here").convert ?? ((v: number) => v);
  for (const [v, want] of [[41, 5], [32, 0], [212, 100], [-40, -40], [50, 10], [98.6, 37]] as const) assert.equal(tidy(c(v)), want, `${v} °F`);
  assert.equal(c(41), 5, "41 °F is 5 °C without rounding");
  assert.equal(c(32), 0, "32 °F is 0 °C without rounding");
  assert.equal(f("Cel", "degF")(5), 41);
  assert.equal(tidy(f("K", "degF")(0)), -459.67);
  assert.equal(tidy(f("degF", "K")(32)), 273.15);
  assert.equal(f("Cel", "K")(0), 273.15);
  assert.ok(c(41.1) > 5 && c(40.9) < 5, "either side of the limit stays on its side");
});

it("compileUnitSpec: errors name the field under `where`, and carry its pointer", () => {
  configError(() => compileUnitSpec({ unit: "celsius" }, "register map: /points/0"), /^register map: \/points\/0\/unit "celsius" is not a SenML unit symbol/);
  configError(() => compileUnitSpec({ sourceUnit: "degF" }, "JSON mapping: /measurements/t"), /\/measurements\/t\/unit is needed: sourceUnit "degF" is not a SenML unit/);
  configError(() => compileUnitSpec({ unit: "V", sourceUnit: "kWh" }, "w"), /^w\/sourceUnit "kWh" cannot be converted to "V"/);
  configError(() => compileUnitSpec({ unit: "V", sourceUnit: "furlong" }, "w"), /^w\/sourceUnit "furlong" cannot be converted/);
  assert.throws(() => compileUnitSpec({ unit: "V", sourceUnit: "kWh" }, "w", "/points/3"), (e: unknown) => e instanceof ConfigError && e.field === "/points/3/sourceUnit");
});
