/**
 * rollout-stage's public API, free of Node-RED: `@m2mflow/node-red-m2m/rollout-stage`.
 * Plan staged firmware waves and run a campaign's gates with your own clock.
 */
export {
  RolloutEngine,
  KEEP_FINISHED,
  type CampaignEvent,
  type CampaignRecord,
  type DeviceCommand,
  type DeviceRecord,
  type DeviceStatus,
  type EngineState,
  type EventName,
  type Output,
  type Phase,
  type RollbackStats,
  type Stats,
} from "./engine";
export { plan, rankOf, waveSizes, cumulativeCounts, type PlanDevice } from "./plan";
export { parseOptions, parseWaves, DEFAULT_OPTIONS, OPTION_FIELDS, type CampaignOptions } from "./options";
export { parseRolloutConfig, type RolloutConfig } from "./config";
