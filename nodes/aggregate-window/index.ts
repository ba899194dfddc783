/**
 * aggregate-window's public API, free of Node-RED: `@m2mflow/node-red-m2m/aggregate-window`.
 * Calendar windows in an IANA zone, and the aggregator (event time, corrections, gaps, rollups).
 */
export { createCalendar, expectedCount, slotOf, WINDOW_SIZES, type Window, type WindowSize, type WindowCalendar } from "./windows";
export { Aggregator, type Aggregate, type AggregateMeasurement, type WindowInfo, type AddResult, type Rejected, type RejectReason, type AggregatorStats, type AggregatorState } from "./aggregator";
export { parseAggregates, parseAggregateWindowConfig, previewOf, FUNCTIONS, type AggFn, type AggregateRule, type AggregatorConfig } from "./config";
export type { Stats } from "./accumulate";
