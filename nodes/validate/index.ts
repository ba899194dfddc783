/**
 * validate's public API, free of Node-RED: `@m2mflow/node-red-m2m/validate`. VEE for canonical readings: schema,
 * clock drift, duplicates, range, counters, rate, spikes, flatlines and silence, with quality flags.
 */
export { Validator, FLAG_QUALITY, type ValidatorOptions, type ValidatorState, type Outcome, type Rejection, type Alert } from "./validator";
export { checkDrift, referenceTime, DEFAULT_DRIFT, type DriftPolicy, type DriftAction, type DriftVerdict } from "./drift";
export { parseRules, globToRegExp, rulesFor, DEFAULT_SIGMA_WARMUP, type Rule, type CompiledRule, type RuleAction } from "./rules";
export { DedupStore, fingerprint, type DedupVerdict, type DedupState } from "./dedup";
export { addValue, newBaseline, stdDev, spike, type Baseline } from "./welford";
export { parseValidateConfig, type ValidateConfig, type ValidateDef } from "./config";
