// An in-process MQTT broker (aedes) on 127.0.0.1 that a test can stop and start again on the same port.
// "Stopping" closes the listener and cuts every client connection, as a crashed broker or a dead uplink
// would; the aedes instance (and so the sessions and offline queues of persistent clients) lives on
// until close(), as a broker restarting from its own persistent store would.
import net from "node:net";
import { Aedes } from "aedes";
import { freePort } from "./ports";

export class TestBroker {
  private server: net.Server | undefined;
  private sockets = new Set<net.Socket>();
  /** Client ids that have subscribed since the broker was created. */
  readonly subscribed = new Set<string>();
  /** PUBLISH packets the broker received from clients (not $SYS), and how often each payload came. */
  published = 0;
  readonly ingress = new Map<string, number>();

  private constructor(
    readonly aedes: Aedes,
    readonly port: number,
  ) {
    aedes.on("subscribe", (_subs, client) => {
      if (client) this.subscribed.add(client.id);
    });
    aedes.on("publish", (packet, client) => {
      if (!client || packet.topic.startsWith("$SYS")) return;
      this.published++;
      const k = Buffer.isBuffer(packet.payload) ? packet.payload.toString("utf8") : String(packet.payload);
      this.ingress.set(k, (this.ingress.get(k) ?? 0) + 1);
    });
  }

  static async start(): Promise<TestBroker> {
    const aedes = await Aedes.createBroker({ heartbeatInterval: 60_000 });
    const b = new TestBroker(aedes, await freePort());
    await b.up();
    return b;
  }

  /** Clients connected now. */
  get clients(): number {
    return Object.keys((this.aedes as unknown as { clients: Record<string, unknown> }).clients).length;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** Listen again on the same port. */
  up(): Promise<void> {
    if (this.server) return Promise.resolve();
    const server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      socket.on("error", () => undefined);
      this.aedes.handle(socket);
    });
    this.server = server;
    return listen(server, this.port);
  }

  /** Stop listening and cut every connection at once. */
  down(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    this.server = undefined;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    return closed;
  }

  /** Copies of one payload the broker received more than once from publishers. */
  get ingressDuplicates(): number {
    let n = 0;
    for (const c of this.ingress.values()) n += c - 1;
    return n;
  }

  /** A TCP link to the broker (a proxy on its own port) that a test can cut and restore, e.g. a flapping uplink. */
  async link(): Promise<Link> {
    const l = new Link(this.port, await freePort());
    await l.up();
    return l;
  }

  async close(): Promise<void> {
    await this.down();
    await new Promise<void>((r) => this.aedes.close(() => r()));
  }
}

/** A TCP proxy to 127.0.0.1:target. down() refuses new connections and cuts the open ones, as a dead uplink. */
export class Link {
  private server: net.Server | undefined;
  private sockets = new Set<net.Socket>();
  cuts = 0;

  constructor(
    private readonly target: number,
    readonly port: number,
  ) {}

  up(): Promise<void> {
    if (this.server) return Promise.resolve();
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target, "127.0.0.1");
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("error", () => undefined);
        s.on("close", () => {
          this.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    this.server = server;
    return listen(server, this.port);
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  down(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    this.server = undefined;
    this.cuts++;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    return closed;
  }
}

/** Listen on 127.0.0.1:port; rejects if the port cannot be had. */
function listen(server: net.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
}
