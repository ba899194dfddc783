/**
 * meter-normalize's public API, free of Node-RED: `@m2mflow/node-red-m2m/meter-normalize`.
 * Compile a register map, and turn Modbus, BACnet, SenML and JSON messages into canonical readings.
 */
export { compileRegisterMap, registerMapSchema, type RegisterMap, type CompiledMap } from "./register-map";
export { createNormalizer, parseMeterNormalizeConfig, detectInput, type Normalizer, type NormalizerConfig, type NormalizedReading, type MeterNormalizeDef, type InputKind } from "./normalizer";
export { toOutput, type NormalizedOutput } from "./normalizer";
