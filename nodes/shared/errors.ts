/**
 * Errors with a message that names what was wrong, so that the status badge and a Catch node tell
 * the integrator which field or property to fix.
 */

/** A node's configuration (or a register map) is invalid. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    message: string,
    /** JSON-pointer-like path of the bad field, e.g. "/points/3/type". */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** A message could not be turned into a result. Carries a short status text for the badge. */
export class InputError extends Error {
  override readonly name = "InputError";
  constructor(
    message: string,
    /** Short reason for the status badge (under 20 characters), e.g. "modbus read failed". */
    readonly short = "bad input",
  ) {
    super(message);
  }
}

/** The message of any thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
