/**
 * What other code may import from this package: the canonical reading contract (types, JSON Schema,
 * helpers) and the logic behind the nodes, free of Node-RED.
 */
export * from "./canonical-reading";
export { ConfigError, InputError } from "./errors";
export { parseTimestamp, isoUtc, type TimeOptions } from "./time";
export { SENML_UNITS, isSenmlUnit, converter, toSenml } from "./units";
export { compileRegisterMap, registerMapSchema, type RegisterMap } from "../meter-normalize/register-map";
export { createNormalizer, parseMeterNormalizeConfig } from "../meter-normalize/normalizer";
