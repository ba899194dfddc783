/**
 * One ajv instance for the package, and error text that names the bad field.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";

export const ajv = new Ajv({ allErrors: true, strict: false });

/** "/points/3/type must be one of holding, input, coil, discrete" for each ajv error. */
export function describeAjvErrors(errors: ErrorObject[] | null | undefined, root = ""): string[] {
  if (!errors) return [];
  const out: string[] = [];
  for (const e of errors) {
    // oneOf/anyOf repeat the branches' errors; the branch errors say more.
    if (e.keyword === "oneOf" || e.keyword === "anyOf" || e.keyword === "if") continue;
    const where = (root + e.instancePath) || "/";
    let text: string;
    switch (e.keyword) {
      case "enum":
        text = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
        break;
      case "additionalProperties":
        text = `has unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
        break;
      case "required":
        text = `is missing required field "${(e.params as { missingProperty: string }).missingProperty}"`;
        break;
      case "pattern":
        text = where.endsWith("/mapVersion") ? "must be a semantic version such as 1.0.0" : `must match ${(e.params as { pattern: string }).pattern}`;
        break;
      default:
        text = e.message ?? e.keyword;
    }
    const line = `${where} ${text}`;
    if (!out.includes(line)) out.push(line);
  }
  return out;
}

export function compileSchema<T>(schema: object): ValidateFunction<T> {
  return ajv.compile<T>(schema);
}
