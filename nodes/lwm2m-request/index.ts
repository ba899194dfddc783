/** lwm2m-request's public, Node-RED-free API: the operations and the firmware-update procedure. */
export { runOp, observe, decodeAnswer, OperationError, type OpOptions, type OpResult } from "./ops";
export { firmwareUpdate, parseJob, type FirmwareJob, type FirmwareOutcome, type FirmwareProgress } from "./firmware";
export { parseRequestConfig, resolveTarget, attributesQuery, CODE_TEXT, type RequestConfig } from "./config";
export { OPS, type Op } from "./fields";
