/**
 * The package's root export, `@m2mflow/node-red-m2m`: the contract every node shares (the canonical reading's
 * types, JSON Schema and helpers, errors, time and units). Each node's own logic is a subpath:
 * `@m2mflow/node-red-m2m/meter-normalize`, `@m2mflow/node-red-m2m/store-forward`, ...
 */
export * from "./canonical-reading";
export { ConfigError, InputError } from "./errors";
export { parseTimestamp, isoUtc, type TimeOptions } from "./time";
export { SENML_UNITS, isSenmlUnit, converter, toSenml, compileUnitSpec, type UnitSpec } from "./units";
