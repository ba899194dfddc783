/**
 * lwm2m-server's public, Node-RED-free API: the LwM2M server (CoAP over UDP, the Registration interface, requests
 * from the server's own socket), usable on its own.
 */
export { Lwm2mServer, announcedObjects, type ServerOptions } from "./server";
export { parseServerConfig, type Lwm2mServerConfig } from "./config";
export { DeviceError, type Registration, type Lwm2mEvent, type DeviceRequest, type DeviceResponse, type Lwm2mServerApi } from "../shared/lwm2m/registry";
