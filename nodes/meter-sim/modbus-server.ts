/**
 * A Modbus TCP server in plain JavaScript (node:net), for the simulated meters: MBAP header (Modbus Messaging on
 * TCP/IP Implementation Guide V1.0b, section 3.1.3: transaction id, protocol id 0, length, unit id), then the PDU
 * (Modbus Application Protocol Specification V1.1b3): function codes 3 (read holding registers) and 4 (read input
 * registers), both served from the meter's registers.
 *
 * - A unit id with no meter: exception 0x0B, gateway target device failed to respond (spec section 7).
 * - An offline meter: no answer at all, so the client times out, as a dead meter behind a gateway does.
 * - Any other function code: exception 0x01 (illegal function); a range past the meter's registers: 0x02
 *   (illegal data address); a quantity outside 1..125: 0x03 (illegal data value).
 * A frame that is not Modbus (protocol id not 0, length out of 2..254) closes the connection.
 */
import net from "node:net";

export interface RegisterSource {
  /** The registers of a unit id, or undefined when no meter has it; online false = do not answer. */
  registersOf(unitId: number): { registers: number[]; online: boolean } | undefined;
}

export interface ServerStats {
  requests: number;
  answered: number;
  exceptions: number;
  unanswered: number;
}

export class ModbusTcpServer {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  readonly stats: ServerStats = { requests: 0, answered: 0, exceptions: 0, unanswered: 0 };

  constructor(private readonly source: RegisterSource, private readonly onError: (err: Error) => void = () => undefined) {}

  /** Listen on host:port (port 0: a free one). Resolves with the port; rejects with the listen error (EADDRINUSE). */
  listen(port: number, host = "127.0.0.1"): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((socket) => this.accept(socket));
      this.server = server;
      const onListenError = (err: Error) => {
        this.server = undefined;
        reject(err);
      };
      server.once("error", onListenError);
      server.listen(port, host, () => {
        server.off("error", onListenError);
        server.on("error", (err) => this.onError(err));
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  get port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === "object" ? a.port : undefined;
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    let buf: Buffer = Buffer.alloc(0);
    socket.on("error", () => socket.destroy()); // a client that resets: forget it
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("data", (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= 7) {
        const protocol = buf.readUInt16BE(2);
        const length = buf.readUInt16BE(4);
        if (protocol !== 0 || length < 2 || length > 254) {
          socket.destroy();
          return;
        }
        if (buf.length < 6 + length) return;
        const frame = buf.subarray(0, 6 + length);
        buf = buf.subarray(6 + length);
        const reply = this.handle(frame);
        if (reply) socket.write(reply);
      }
    });
  }

  /** The reply to one complete frame, or undefined for no answer. */
  handle(frame: Buffer): Buffer | undefined {
    this.stats.requests++;
    const tid = frame.readUInt16BE(0);
    const unit = frame[6];
    const fc = frame[7];
    const pdu = frame.subarray(7);
    const exception = (code: number) => {
      this.stats.exceptions++;
      return mbap(tid, unit, Buffer.from([(fc | 0x80) & 0xff, code]));
    };
    const meter = this.source.registersOf(unit);
    if (!meter) return exception(0x0b);
    if (!meter.online) {
      this.stats.unanswered++;
      return undefined;
    }
    if (fc !== 3 && fc !== 4) return exception(0x01);
    if (pdu.length < 5) return exception(0x03);
    const address = pdu.readUInt16BE(1);
    const quantity = pdu.readUInt16BE(3);
    if (quantity < 1 || quantity > 125) return exception(0x03);
    if (address + quantity > meter.registers.length) return exception(0x02);
    const body = Buffer.alloc(2 + quantity * 2);
    body[0] = fc;
    body[1] = quantity * 2;
    for (let k = 0; k < quantity; k++) body.writeUInt16BE(meter.registers[address + k] & 0xffff, 2 + k * 2);
    this.stats.answered++;
    return mbap(tid, unit, body);
  }

  /** Stop listening and drop every connection. */
  close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}

function mbap(tid: number, unit: number, pdu: Buffer): Buffer {
  const head = Buffer.alloc(7);
  head.writeUInt16BE(tid, 0);
  head.writeUInt16BE(0, 2);
  head.writeUInt16BE(pdu.length + 1, 4);
  head[6] = unit;
  return Buffer.concat([head, pdu]);
}
