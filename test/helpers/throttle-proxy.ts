// A TCP proxy to 127.0.0.1:target that paces what it forwards with a token bucket, as
// `tc qdisc add dev eth0 root tbf rate 100kbit burst 10kb latency 50ms` paces an uplink (the seeds' bandwidth
// throttling row). One bucket per direction, shared by every connection through the proxy (tc shapes the
// interface, not a socket). The bucket holds `burstBytes`; it refills at `bytesPerSecond`; a chunk leaves in
// slices of at most one packet (1,500 bytes) once the bucket holds that slice. What waits is queued in order;
// past `queueBytes` the sending socket is paused, so TCP's own flow control pushes back on the sender (tbf
// drops what waits longer than its latency and TCP resends it: the sender sees the same thing, a link that
// takes no more than its rate). Every timer and socket is released by close().
import net from "node:net";
import { freePort } from "./ports";

export interface ThrottleOptions {
  /** Client → target (the upload): bytes per second, e.g. 12,500 for 100 kbit/s. */
  upBytesPerSecond: number;
  /** Target → client (the download): bytes per second; 0 or absent: not throttled. */
  downBytesPerSecond?: number;
  /** The bucket's size in bytes (tc's burst; 10 kb in tc's units is 10,240 bytes). */
  burstBytes?: number;
  /** Bytes queued per direction before the sending socket is paused. */
  queueBytes?: number;
}

const SLICE = 1500;

/** What one direction of the link carried. */
export interface DirectionStats {
  /** Bytes forwarded. */
  bytes: number;
  /** Times a slice had to wait for the bucket to refill (0: the rate never bound). */
  waits: number;
  /** The most bytes that were queued at once. */
  maxQueued: number;
}

class Bucket {
  private tokens: number;
  private at = Date.now();
  private queue: { to: net.Socket; data: Buffer; from: net.Socket }[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly paused = new Set<net.Socket>();
  readonly stats: DirectionStats = { bytes: 0, waits: 0, maxQueued: 0 };

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly limit: number,
  ) {
    this.tokens = burst;
  }

  push(from: net.Socket, to: net.Socket, data: Buffer): void {
    if (this.rate <= 0) {
      this.stats.bytes += data.length;
      to.write(data);
      return;
    }
    this.queue.push({ from, to, data });
    this.queued += data.length;
    this.stats.maxQueued = Math.max(this.stats.maxQueued, this.queued);
    if (this.queued > this.limit && !this.paused.has(from)) {
      this.paused.add(from);
      from.pause();
    }
    this.pump();
  }

  private pump(): void {
    if (this.timer) return;
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    while (this.queue.length) {
      const head = this.queue[0];
      if (head.to.destroyed) {
        this.queue.shift();
        this.queued -= head.data.length;
        continue;
      }
      const want = Math.min(SLICE, this.burst, head.data.length);
      if (this.tokens < want) {
        this.stats.waits++;
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, Math.max(1, Math.ceil(((want - this.tokens) / this.rate) * 1000)));
        return;
      }
      const slice = head.data.subarray(0, want);
      this.tokens -= want;
      this.queued -= want;
      this.stats.bytes += want;
      if (want === head.data.length) this.queue.shift();
      else head.data = head.data.subarray(want);
      head.to.write(slice);
    }
    if (this.queued <= this.limit / 2) {
      for (const s of this.paused) if (!s.destroyed) s.resume();
      this.paused.clear();
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
    this.queued = 0;
    this.paused.clear();
  }
}

export class ThrottleProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly upBucket: Bucket;
  private readonly downBucket: Bucket;
  /** Connections accepted since the proxy started. */
  connections = 0;

  private constructor(
    private readonly target: number,
    readonly port: number,
    o: ThrottleOptions,
  ) {
    const burst = o.burstBytes ?? 10_240;
    const limit = o.queueBytes ?? 64 * 1024;
    this.upBucket = new Bucket(o.upBytesPerSecond, burst, limit);
    this.downBucket = new Bucket(o.downBytesPerSecond ?? 0, burst, limit);
  }

  /** A proxy on a free port of 127.0.0.1 to 127.0.0.1:target. */
  static async start(target: number, o: ThrottleOptions): Promise<ThrottleProxy> {
    const p = new ThrottleProxy(target, await freePort(), o);
    await p.listen();
    return p;
  }

  get up(): DirectionStats {
    return this.upBucket.stats;
  }

  get down(): DirectionStats {
    return this.downBucket.stats;
  }

  private listen(): Promise<void> {
    const server = net.createServer((client) => {
      this.connections++;
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
      client.on("data", (d: Buffer) => this.upBucket.push(client, upstream, d));
      upstream.on("data", (d: Buffer) => this.downBucket.push(upstream, client, d));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  }

  /** Stop listening, cut every connection and release the buckets' timers. */
  close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.upBucket.close();
    this.downBucket.close();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (!server) return Promise.resolve();
    return new Promise((r) => server.close(() => r()));
  }
}
