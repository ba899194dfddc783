/** lwm2m-in's public, Node-RED-free API: its config and event filter. */
export { parseInConfig, wanted, type Lwm2mInConfig } from "./config";
export { EVENTS } from "./fields";
export type { Lwm2mEvent } from "../shared/lwm2m/registry";
