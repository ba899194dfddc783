import fs from "node:fs";
import path from "node:path";
import Ajv from "ajv";
import { canonicalReadingSchema } from "../../nodes/shared/canonical-reading";

export const FIXTURES = path.join(__dirname, "..", "fixtures");

/** A fixture file, parsed fresh each time so tests cannot change each other's copy. */
export function fixture<T = Record<string, unknown>>(rel: string): T {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, rel), "utf8")) as T;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(canonicalReadingSchema);

/** Throws with ajv's errors unless `reading` satisfies the canonical reading schema. */
export function assertCanonical(reading: unknown): void {
  if (!validate(reading)) throw new Error(`not a canonical reading: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(reading)}`);
}
