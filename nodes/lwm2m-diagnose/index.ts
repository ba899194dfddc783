/**
 * lwm2m-diagnose's public API, free of Node-RED: `@m2mflow/node-red-m2m/lwm2m-diagnose`.
 * The remote-diagnostics decision tree over LwM2M objects 3, 4 and 5, with its evidence, and the per-endpoint
 * history it needs (reboots, Memory Free and battery samples, firmware versions).
 */
export { Diagnoser, parseAt, EVENTS } from "./diagnoser";
export { diagnose, trend, trendTimes, segments, slope, DEFAULT_RULES, CAUSES, STEADY_SHARE, MEMORY_RESET_SHARE, BATTERY_RESET_POINTS, type Rules, type Cause, type Severity, type Evidence, type Check, type Diagnosis, type Trend } from "./tree";
export { emptyHistory, applyEvent, applyValues, flattenSnapshot, flattenPath, errorCodes, instances, WATCHED, MAX_SAMPLES, type EndpointHistory, type HistoryState, type Sample } from "./history";
export { ERROR_CODES, BATTERY_STATUS, POWER_SOURCES, NETWORK_BEARERS, bearerName, errorCodeText, signalClass } from "./registry";
export { parseDiagnoseConfig, type DiagnoseConfig } from "./config";
