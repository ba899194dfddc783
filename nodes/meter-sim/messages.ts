/**
 * The messages meter-sim sends, shaped exactly as their real producers shape them:
 * - a meter reading as node-red-contrib-modbus's Flex-Getter emits it (test/fixtures/modbus/flex-getter-holding.json,
 *   captured from the real node): payload = registers, responseBuffer = { data, buffer }, modbusRequest =
 *   { unitid, fc, address, quantity, ... }, unitId, queueUnitId, queueLengthByUnitId, messageId;
 * - an offline meter as its failed read (flex-getter-failed.json): payload "" and msg.error, a timeout;
 * - a poll request for a real Flex-Getter (payload = { unitid, fc, address, quantity }) when the simulator's Modbus
 *   server answers instead;
 * - a refrigeration unit's temperatures as a SenML JSON pack (RFC 8428) in °F ("degF", which meter-normalize
 *   converts to Cel): the base name "<store>-u<n>:", records supplyAir and product.
 * Each carries msg.deviceId, msg.timestamp (the device's clock, simulated) and msg.receivedAt (the gateway's
 * simulated time, epoch ms), so every node downstream works in event time.
 */
import { randomBytes } from "node:crypto";
import type { FridgeReadingEvent, MeterReadingEvent } from "./simulator";
import { REGISTER_COUNT, REGISTER_MAPS } from "./register-maps";

type Msg = Record<string, unknown>;

/** node-red-contrib-modbus's message ids: 24 hex digits (a Mongo-style object id). */
function messageId(): string {
  return randomBytes(12).toString("hex");
}

function common(e: MeterReadingEvent, attachMap: boolean): Msg {
  const m: Msg = { deviceId: e.meterId, meterType: e.type, timestamp: new Date(e.clockMs).toISOString(), receivedAt: e.timeMs };
  if (attachMap) m.registerMap = REGISTER_MAPS[e.type];
  return m;
}

/** The Flex-Getter output for a meter's reading (a failed read when the meter is offline). */
export function readMessage(e: MeterReadingEvent, attachMap: boolean, topic = "meter-sim"): Msg {
  const id = messageId();
  const queue = { queueLengthByUnitId: { unitId: e.unitId, queueLength: 0 }, queueUnitId: e.unitId, unitId: e.unitId };
  if (!e.online) {
    const error = Object.assign(new Error("Timed out"), { name: "TransactionTimedOutError", errno: "ETIMEDOUT" });
    return { topic, messageId: id, payload: "", ...queue, error, ...common(e, false) };
  }
  const data = e.registers.slice(0, REGISTER_COUNT);
  const buffer = Buffer.alloc(data.length * 2);
  data.forEach((r, k) => buffer.writeUInt16BE(r, k * 2));
  return {
    topic, messageId: id, payload: data, ...queue,
    modbusRequest: { unitid: e.unitId, fc: 3, address: 0, quantity: REGISTER_COUNT, emptyMsgOnFail: true, keepMsgProperties: false, messageId: id },
    responseBuffer: { data: data.slice(), buffer },
    ...common(e, attachMap),
  };
}

/** A poll request for a real node-red-contrib-modbus Flex-Getter (keep msg properties on, so the times travel). */
export function requestMessage(e: MeterReadingEvent, attachMap: boolean, topic = "meter-sim"): Msg {
  return { topic, payload: { unitid: e.unitId, fc: 3, address: 0, quantity: REGISTER_COUNT }, ...common(e, attachMap) };
}

/** The SenML pack of a store's reading: one base name per unit, the base time in seconds, °F. */
export function fridgeMessage(e: FridgeReadingEvent, topic = "meter-sim"): Msg {
  const bt = e.timeMs / 1000;
  const pack: Record<string, unknown>[] = [];
  for (const v of e.values) {
    pack.push({ bn: `${e.storeId}-u${v.unit}:`, bt, bu: "degF", n: "supplyAir", v: v.supplyAir });
    pack.push({ n: "product", v: v.product });
  }
  return { topic, payload: pack, storeId: e.storeId, timestamp: new Date(e.timeMs).toISOString(), receivedAt: e.timeMs };
}
