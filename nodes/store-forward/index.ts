/**
 * store-forward's public API, free of Node-RED: `@m2mflow/node-red-m2m/store-forward`.
 * The durable journal (an append-only, checksummed log per priority) and the delivery logic around it.
 */
export { Journal, JournalFullError, PRIORITIES, type Priority, type Durability, type Overflow, type JournalOptions, type StoredRecord, type RecoveryReport, type JournalStats } from "./journal";
export { Forwarder, priorityOf, type ForwarderOptions, type ForwarderIO, type Msg } from "./forwarder";
export { encodeRecord, decodeRecord, encodeRecordDetailed, RecordError, type EncodedRecord } from "./record";
export { parseStoreForwardConfig, type StoreForwardConfig, type StoreForwardDef } from "./config";
