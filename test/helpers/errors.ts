import assert from "node:assert/strict";
import { ConfigError, InputError } from "../../nodes/shared/errors";

/** Asserts that fn throws an instance of `kind` whose message matches `re`. */
function throwsKind(kind: new (...args: never[]) => Error, fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof kind, `expected a ${kind.name}, got ${err}`);
    assert.match(err.message, re);
    return true;
  });
}

export const configError = (fn: () => unknown, re: RegExp) => throwsKind(ConfigError, fn, re);
export const inputError = (fn: () => unknown, re: RegExp) => throwsKind(InputError, fn, re);
