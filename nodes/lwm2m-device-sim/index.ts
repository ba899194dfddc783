/** lwm2m-device-sim's public, Node-RED-free API: simulated LwM2M 1.1 devices and fleets. */
export { SimDevice, type DeviceOptions } from "./sim";
export { Fleet, parseFleetConfig, type FleetConfig } from "./fleet";
export { PROFILES, readings, type Profile, type Readings } from "./profiles";
