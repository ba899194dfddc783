/**
 * One ajv instance for the package, and error text that names the bad field.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";

export const ajv = new Ajv({ allErrors: true, strict: false });

/**
 * The user's name for the place of an error: an array element with an `id` (or `name`) is named by it, so
 * `/points/0/type` reads `point "v1" at /points/0/type` (the array's name made singular).
 */
function named(data: unknown, instancePath: string): string {
  const parts = instancePath.split("/").slice(1);
  let o: unknown = data;
  let label = "";
  for (let i = 0; i < parts.length; i++) {
    if (typeof o !== "object" || o === null) break;
    o = (o as Record<string, unknown>)[parts[i]];
    const key = parts[i - 1];
    if (key !== undefined && /^\d+$/.test(parts[i]) && typeof o === "object" && o !== null) {
      const id = (o as Record<string, unknown>).id ?? (o as Record<string, unknown>).name;
      if (typeof id === "string" || typeof id === "number") label = `${key.replace(/ies$/, "y").replace(/s$/, "")} ${JSON.stringify(id)} at `;
    }
  }
  return label;
}

/** The value at an ajv instance path, for the message (`type "floatt" must be one of ...`). */
function valueAt(data: unknown, instancePath: string): unknown {
  let o: unknown = data;
  for (const p of instancePath.split("/").slice(1)) o = typeof o === "object" && o !== null ? (o as Record<string, unknown>)[p] : undefined;
  return o;
}

/**
 * "point \"v1\" at /points/3/type \"floatt\" must be one of ..." for each ajv error. Pass the validated `data` so that
 * errors name the user's own ids and show the value that was refused.
 */
export function describeAjvErrors(errors: ErrorObject[] | null | undefined, root = "", data?: unknown): string[] {
  if (!errors) return [];
  const out: string[] = [];
  for (const e of errors) {
    // oneOf/anyOf repeat the branches' errors; the branch errors say more.
    if (e.keyword === "oneOf" || e.keyword === "anyOf" || e.keyword === "if") continue;
    const where = (root + e.instancePath) || "/";
    let text: string;
    switch (e.keyword) {
      case "enum":
        text = `${data === undefined ? "" : `${JSON.stringify(valueAt(data, e.instancePath))} `}must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
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
    const line = `${data === undefined ? "" : named(data, e.instancePath)}${where} ${text}`;
    if (!out.includes(line)) out.push(line);
  }
  return out;
}

export function compileSchema<T>(schema: object): ValidateFunction<T> {
  return ajv.compile<T>(schema);
}
