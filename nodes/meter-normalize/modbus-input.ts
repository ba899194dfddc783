/**
 * Recognise and read the messages node-red-contrib-modbus emits:
 * - Read node, first output: payload = values, responseBuffer = {data, buffer}, input = request msg,
 *   whose payload is {unitid, fc, address, quantity, ...};
 * - Read node, second output: payload = responseBuffer, values = values, input = request msg;
 * - Getter and Flex-Getter: the same, with modbusRequest = {unitid, fc, address, quantity, ...}
 *   in place of input.
 * Address, quantity, unit id and fc may be strings. Coils and discrete inputs arrive padded to a
 * multiple of 8 and are cut back to quantity. A failed read (payload "" with msg.error) is an error.
 */
import { InputError } from "../shared/errors";
import { isRec, type Rec } from "../shared/util";
import type { Table } from "./register-map";

export interface ModbusResponse {
  unitId?: number;
  fc: number;
  table: Table;
  /** Protocol (zero-based) start address. */
  address: number;
  quantity: number;
  data: number[] | boolean[];
}

const FC_TABLE: Record<number, Table> = { 1: "coil", 2: "discrete", 3: "holding", 4: "input" };


/** The request a node-red-contrib-modbus output message carries, if any. */
export function modbusRequestOf(msg: Rec): Rec | undefined {
  if (isRec(msg.modbusRequest)) return msg.modbusRequest;
  if (isRec(msg.input) && isRec(msg.input.payload) && "fc" in msg.input.payload) return msg.input.payload;
  return undefined;
}

/** True for a node-red-contrib-modbus failed read: payload "" with msg.error. */
export function isFailedRead(msg: Rec): boolean {
  return msg.payload === "" && msg.error !== undefined && msg.error !== null;
}

function int(v: unknown): number {
  if (typeof v === "number") return Number.isInteger(v) ? v : NaN;
  if (typeof v !== "string") return NaN;
  const n = Number(v);
  if (Number.isInteger(n) && v.trim() !== "") return n;
  return /^\s*fc\s*\d+\s*$/i.test(v) ? parseInt(v.replace(/fc/i, ""), 10) : NaN;
}

function bytesOf(b: unknown): number[] | undefined {
  if (Buffer.isBuffer(b)) return [...b];
  if (b instanceof Uint8Array) return [...b];
  if (isRec(b) && b.type === "Buffer" && Array.isArray(b.data)) return b.data as number[];
  return undefined;
}

/** The values of the response: registers (0..65535) or bits. */
function valuesOf(msg: Rec, bits: boolean): unknown[] | undefined {
  if (Array.isArray(msg.payload)) return msg.payload;
  if (Array.isArray(msg.values)) return msg.values;
  const rb = isRec(msg.responseBuffer) ? msg.responseBuffer : isRec(msg.payload) ? msg.payload : undefined;
  if (rb) {
    if (Array.isArray(rb.data)) return rb.data;
    const bytes = bytesOf(rb.buffer);
    if (bytes) {
      if (bits) return bytes.flatMap((byte) => [0, 1, 2, 3, 4, 5, 6, 7].map((k) => ((byte >> k) & 1) === 1));
      const regs: number[] = [];
      for (let k = 0; k + 1 < bytes.length; k += 2) regs.push((bytes[k] << 8) | bytes[k + 1]);
      return regs;
    }
  }
  return undefined;
}

/** Read a node-red-contrib-modbus response message. Throws an InputError naming the bad property. */
export function readModbusResponse(msg: Rec): ModbusResponse {
  if (isFailedRead(msg)) {
    const e = msg.error as { message?: unknown };
    const why = typeof e === "string" ? e : typeof e?.message === "string" && e.message !== "" ? e.message : undefined;
    throw new InputError(why ? `Modbus read failed: ${why}` : "Modbus read failed (msg.error carries no message)", "read failed");
  }
  const req = modbusRequestOf(msg);
  if (!req) throw new InputError("not a Modbus response: neither msg.input.payload nor msg.modbusRequest holds the request", "not modbus");
  const where = isRec(msg.modbusRequest) ? "msg.modbusRequest" : "msg.input.payload";
  const fc = int(req.fc);
  const table = FC_TABLE[fc];
  if (!table) throw new InputError(`${where}.fc ${JSON.stringify(req.fc)} is not a read function code 1..4`, "bad fc");
  const address = int(req.address);
  if (!(address >= 0 && address <= 65535)) throw new InputError(`${where}.address ${JSON.stringify(req.address)} is not an address 0..65535`, "bad address");
  const bits = table === "coil" || table === "discrete";
  const values = valuesOf(msg, bits);
  if (!values) throw new InputError("msg.payload holds no register values (an array, or msg.responseBuffer.buffer)", "no values");
  let quantity = req.quantity === undefined ? values.length : int(req.quantity);
  if (!(quantity >= 1 && quantity <= 65535)) throw new InputError(`${where}.quantity ${JSON.stringify(req.quantity)} is not a quantity 1..65535`, "bad quantity");
  if (values.length < quantity)
    throw new InputError(`response holds ${values.length} ${bits ? "bits" : "registers"} but ${quantity} were requested`, "short response");
  if (address + quantity > 65536) quantity = 65536 - address;
  const cut = values.length === quantity ? values : values.slice(0, quantity);
  let data: number[] | boolean[];
  if (bits) {
    data = cut.map((v, k) => {
      if (typeof v === "boolean") return v;
      if (v === 0 || v === 1) return v === 1;
      throw new InputError(`msg.payload[${k}] ${JSON.stringify(v)} is not a bit (true/false)`, "bad value");
    });
  } else {
    for (let k = 0; k < cut.length; k++) {
      const v = cut[k];
      if (typeof v !== "number" || !Number.isInteger(v) || v < -32768 || v > 65535)
        throw new InputError(`msg.payload[${k}] ${JSON.stringify(v)} is not a 16-bit register value`, "bad value");
    }
    data = cut as number[];
  }
  const unit = int(req.unitid);
  return { unitId: Number.isNaN(unit) ? undefined : unit, fc, table, address, quantity, data };
}
