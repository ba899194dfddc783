/**
 * meter-sim's public API, free of Node-RED: `@m2mflow/node-red-m2m/meter-sim`. The simulator (seeded, driven by
 * simulated time), the register maps of its meter types (for meter-normalize), the seeds' daily pattern, the
 * message shapes, and the Modbus TCP server.
 */
export { Simulator, SLOT_MS, METER_COMMANDS, STORE_COMMANDS, type SimConfig, type SimEvent, type MeterSpec, type StoreSpec, type MeterReadingEvent, type FridgeReadingEvent, type MeterCommand, type StoreCommand, type FaultParams } from "./simulator";
export { REGISTER_MAPS, REGISTER_COUNT, encodeRegisters, type SimRegisterMap } from "./register-maps";
export { DAILY_PATTERN, METER_TYPES, periodOf, type MeterType, type Period } from "./patterns";
export { readMessage, requestMessage, fridgeMessage } from "./messages";
export { ModbusTcpServer, type RegisterSource } from "./modbus-server";
export { parseMeterSimConfig, parseMeters, type MeterSimConfig } from "./config";
