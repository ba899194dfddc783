/**
 * store-forward's delivery logic, free of Node-RED: store every message in the journal, send while the
 * link is up, release a record only when its delivery is acknowledged, resend with jittered exponential
 * backoff, and watch the buffer's fill level.
 */
import { Journal, JournalFullError, type AppendResult, type DropReason, type JournalOptions, type Priority, type StoredRecord } from "./journal";
import { decodeRecord, encodeRecordDetailed } from "./record";
import { readingKey } from "../shared/canonical-reading";
import { getPath, isRec } from "../shared/util";

export interface ForwarderOptions {
  nodeId: string;
  /** Records per message sent; above 1, msg.payload is the array of stored payloads. */
  batchSize: number;
  /** Unacknowledged messages out at once. */
  window: number;
  ackTimeoutMs: number;
  /** First retry delay and its cap (the seeds retry every 5 minutes). */
  backoffMs: number;
  maxBackoffMs: number;
  /**
   * Token buckets that pace the replay of a backlog: messages and bytes per second; 0 means no limit. They
   * apply while the forwarder is replaying (see Forwarder.replaying): live traffic that finds nothing waiting
   * passes straight through, unpaced.
   */
  rateMsgs: number;
  rateBytes: number;
  /** msg property (dot path) holding the idempotency key; empty: deviceId + timestamp of the reading. */
  keyProperty: string;
  /** Fill levels (%) that raise an alert when crossed upwards; "degrade" at degradeAt. */
  watermarks: number[];
  degradeAt: number;
  staleAfterMs: number;
  /** Attempts after which a record that is still not acknowledged raises one `stuck` alert (default 10). */
  stuckAfter?: number;
}

export interface SfMeta {
  node: string;
  id: string;
  key: string;
  attempt: number;
  storedAt: string;
  ids?: string[];
  keys?: string[];
  /** True when the message was sent from a backlog (it waited for the link) or is a resend. */
  replay: boolean;
}

export type Msg = Record<string, unknown>;

export interface ForwarderIO {
  send(msg: Msg): void;
  alert(payload: Record<string, unknown>): void;
  now(): number;
  random(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(t: unknown): void;
}

/** A message just stored, kept to be sent without parsing back what was just written. */
interface Fresh {
  data: Buffer;
  msg: Msg;
  /** Its sequence number once the append resolved. */
  seq?: number;
  /** Refused or failed: never handed out. */
  dead?: boolean;
}

/**
 * Messages kept per priority, and their stored bytes, all priorities together. When either is reached, a newly
 * stored message is not kept (it is parsed back from the store when its turn comes): the oldest kept messages are
 * the next to go out, so a backlog larger than the keep still finds most of its messages here, and memory stays
 * bounded whatever a message weighs.
 */
export const FRESH_MAX = 1000;
export const FRESH_MAX_BYTES = 8 * 1024 * 1024;
/** How far past the oldest kept message a handed-out record is looked for. */
const FRESH_SCAN = 8;

interface Flight {
  ids: string[];
  keys: string[];
  payloads: unknown[];
  base: Msg;
  storedAt: number;
  /** storedAt as sent in _sf. */
  storedAtIso: string;
  bytes: number;
  attempt: number;
  /** When the ack timeout expires (epoch ms), while out. */
  deadline?: number;
  /** Waiting for its retry time (not out). */
  retryAt?: number;
  /** Why the last attempt failed (a nack's error message, or the ack timeout). */
  lastError?: string;
  /** The `stuck` alert was raised for this message. */
  stuck?: boolean;
  /** Sent while replaying a backlog. */
  replay: boolean;
  /** JSON of the msg.error the stored message itself carried (sent with it): coming back with it is no nack. */
  sentError?: string;
}


/** The priority of a message: msg.priority "P0" (alarms), "P1" (default) or "P2". */
export function priorityOf(msg: Msg): Priority {
  const p = msg.priority;
  if (p === undefined || p === null || p === "") return 1;
  const m = /^P?([012])$/i.exec(String(p));
  if (!m) throw new Error(`msg.priority ${JSON.stringify(p)} must be P0, P1 or P2`);
  return Number(m[1]) as Priority;
}

export class Forwarder {
  readonly journal: Journal;
  private readonly caps: { maxRecords: number; maxBytes: number };
  online = true;
  paused = false;
  private flights = new Map<string, Flight>();
  private byRecord = new Map<string, string>();
  private retryTimer: unknown;
  /** One timer for every ack timeout: at the earliest deadline of the messages out. */
  private ackTimer: unknown;
  private ackTimerAt = Infinity;
  /** Messages waiting for their retry time. */
  private waitingRetry = 0;
  private fresh: Fresh[][] = [[], [], []];
  private freshBytes = 0;
  private pumpTimer: unknown;
  private tokens: { msgs: number; bytes: number; at: number };
  private alerted = new Set<string>();
  private counters = { in: 0, out: 0, acked: 0, nacked: 0, timeouts: 0, at: 0, inAt: 0, outAt: 0 };
  private closed = false;
  private seq = 0;
  /**
   * Replaying a backlog: records were stored while nothing could be sent (offline, paused), were recovered
   * from a previous run, or an attempt failed. While it lasts the token buckets pace every send; it ends
   * once nothing is left waiting (no record to hand out, no message waiting for its retry).
   */
  replaying: boolean;

  constructor(
    journalOptions: JournalOptions,
    private readonly opts: ForwarderOptions,
    private readonly io: ForwarderIO,
  ) {
    this.journal = Journal.open(journalOptions);
    this.caps = { maxRecords: journalOptions.maxRecords, maxBytes: journalOptions.maxBytes };
    this.journal.onWritten = () => this.pump();
    this.journal.onDrop = (ids) => this.forget(ids);
    this.tokens = this.fullBucket(io.now());
    this.counters.at = io.now();
    this.replaying = this.journal.depth > 0;
  }

  /**
   * The idempotency key of a message, and whether it can be derived again from the stored message (then it
   * is not stored twice: the default key of a canonical reading is its deviceId/timestamp).
   */
  keyOf(msg: Msg): { key: string; derived: boolean } {
    if (this.opts.keyProperty) {
      const v = getPath(msg, this.opts.keyProperty);
      if (v === undefined || v === null) throw new Error(`msg.${this.opts.keyProperty} (the idempotency key) is missing`);
      return { key: typeof v === "string" ? v : JSON.stringify(v), derived: false };
    }
    const key = keyOfReading(msg);
    if (key !== undefined) return { key, derived: true };
    return { key: `${this.opts.nodeId}/${this.io.now()}/${this.seq++}`, derived: false };
  }

  /**
   * Store a message. Resolves when it is durable; rejects under the reject policy, on a disk error, or with a
   * RecordError naming the property that cannot be stored (a function, a BigInt, a cycle: see record.ts).
   */
  async store(msg: Msg): Promise<AppendResult> {
    if (this.closed) throw new Error("store-forward is closed (the flow is being stopped or redeployed): the message was not stored");
    const priority = priorityOf(msg);
    // The default key of a canonical reading is derived again from the stored message: not built, not stored.
    const key = !this.opts.keyProperty && keyOfReading(msg) !== undefined ? "" : this.keyOf(msg).key;
    const enc = encodeRecordDetailed(msg);
    let entry: Fresh | undefined;
    if (enc.exact) {
      const q = this.fresh[priority];
      const size = enc.data.length;
      if (q.length < FRESH_MAX && this.freshBytes + size <= FRESH_MAX_BYTES) {
        entry = { data: enc.data, msg: enc.copy };
        q.push(entry);
        this.freshBytes += size;
      }
    }
    this.counters.in++;
    let result: AppendResult;
    try {
      result = await this.journal.append(priority, key, enc.data);
    } catch (err) {
      if (entry) entry.dead = true;
      throw err;
    }
    if (entry) {
      if (!result.accepted || result.seq === undefined) entry.dead = true;
      else entry.seq = result.seq;
    }
    this.checkFill();
    return result;
  }

  /**
   * A message that came back: an ack, or a nack when the transport's Catch node added an error to it. True
   * if it was one of ours.
   *
   * A stored message may carry a msg.error of its own (an alarm routed from a Catch node upstream): that one
   * is part of the data and goes out with the message. A return is a nack only when its msg.error differs
   * from the one that was sent (compared as JSON: a Complete node's deep copy keeps it equal, while a Catch
   * node replaces it with a new {message, source: {id, type, count}} and keeps the old one in msg._error).
   */
  handleReturn(msg: Msg): boolean {
    const sf = msg._sf;
    if (!isRec(sf) || sf.node !== this.opts.nodeId) return false;
    // After close the record stays stored: it is sent again after the restart (a duplicate, same key).
    if (this.closed) return true;
    const ids = Array.isArray(sf.ids) ? (sf.ids as string[]) : typeof sf.id === "string" ? [sf.id] : [];
    // Any record of a batch finds its message: the first may have been evicted or expired while it was out.
    let flightId: string | undefined;
    for (const rid of ids) if ((flightId = this.byRecord.get(rid)) !== undefined) break;
    const flight = flightId ? this.flights.get(flightId) : undefined;
    if (msg.error !== undefined && msg.error !== null && !(flight?.sentError !== undefined && safeJson(msg.error) === flight.sentError)) {
      // A nack for a message already acknowledged (or forgotten) changes nothing and is not counted.
      if (flight && flightId) this.counters.nacked++;
      if (flight && flightId) this.retryLater(flightId, flight, errorText(msg.error));
      return true;
    }
    for (const id of ids) if (this.journal.ack(id)) this.counters.acked++;
    if (flight && flightId) this.drop(flightId, flight);
    this.pump();
    return true;
  }

  setOnline(online: boolean): void {
    if (this.online === online) return;
    this.online = online;
    if (online) this.pump();
    else this.replaying = true;
  }

  pause(): void {
    this.paused = true;
    this.replaying = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  /** Send now what is due and what waits for a retry, with a full token bucket. */
  flush(): void {
    this.tokens = this.fullBucket(this.io.now());
    for (const f of this.flights.values()) if (f.retryAt !== undefined) f.retryAt = 0;
    // A pending refill timer would make pump() return at once: the full bucket is there now.
    if (this.pumpTimer) this.io.clearTimer(this.pumpTimer);
    this.pumpTimer = undefined;
    this.pump();
  }

  purge(): number {
    const n = this.journal.purge();
    for (const [id, f] of this.flights) this.drop(id, f);
    return n;
  }

  expire(): number {
    return this.journal.expire();
  }

  /** Messages out now, waiting for their ack (not those waiting for a retry). */
  get inFlight(): number {
    return this.flights.size - this.waitingRetry;
  }

  /** Buffer fill, in percent of the tighter cap. */
  percentFull(): number {
    return Math.max(this.journal.depth / this.caps.maxRecords, this.journal.bytes / this.caps.maxBytes) * 100;
  }

  /** Raise an alert when `on` turns true, and re-arm it when `on` turns false. */
  private fire(name: string, on: boolean, payload: Record<string, unknown>): void {
    if (on && !this.alerted.has(name)) {
      this.alerted.add(name);
      this.io.alert({ ...payload, percentFull: round1(this.percentFull()), depth: this.journal.depth });
    } else if (!on && this.alerted.has(name)) this.alerted.delete(name);
  }

  /** Watermark and degrade alerts: cheap, checked on every append. */
  private checkFill(): void {
    const pct = this.percentFull();
    for (const w of this.opts.watermarks) this.fire(`w${w}`, pct >= w, { alert: "watermark", level: w });
    this.fire("degrade", pct >= this.opts.degradeAt, { alert: "degrade", level: this.opts.degradeAt });
  }

  /** All alerts, the age of the oldest record included (read from disk): checked periodically. */
  checkLevels(): void {
    this.checkFill();
    const oldest = this.journal.stats().oldestEnqueuedAt;
    const age = oldest === undefined ? 0 : this.io.now() - oldest;
    this.fire("stale", age > this.opts.staleAfterMs, { alert: "stale", oldestAgeMs: age });
  }

  /** Metrics for the second output. */
  metrics(): Record<string, unknown> {
    const s = this.journal.stats();
    const now = this.io.now();
    const secs = Math.max(0.001, (now - this.counters.at) / 1000);
    const m = {
      depth: s.depth,
      bytes: s.bytes,
      byPriority: { P0: s.byPriority[0], P1: s.byPriority[1], P2: s.byPriority[2] },
      percentFull: round1(this.percentFull()),
      oldestAgeMs: s.oldestEnqueuedAt === undefined ? 0 : now - s.oldestEnqueuedAt,
      inRate: round1((this.counters.in - this.counters.inAt) / secs),
      outRate: round1((this.counters.acked - this.counters.outAt) / secs),
      inFlight: this.inFlight,
      waitingRetry: this.flights.size - this.inFlight,
      online: this.online,
      paused: this.paused,
      drops: s.drops,
      bytesWritten: s.bytesWritten,
      acked: this.counters.acked,
      nacked: this.counters.nacked,
      timeouts: this.counters.timeouts,
    };
    this.counters.inAt = this.counters.in;
    this.counters.outAt = this.counters.acked;
    this.counters.at = now;
    return m;
  }

  /** Send as much as the link, the window and the token buckets allow. */
  pump(): void {
    if (this.closed || !this.online || this.paused) return;
    if (this.pumpTimer) return;
    const now = this.io.now();
    this.refill(now);
    // Retries that are due go first, oldest first.
    let nextRetry = Infinity;
    if (this.waitingRetry > 0) for (const [id, f] of this.flights) {
      if (f.retryAt === undefined) continue;
      if (f.retryAt > now) {
        nextRetry = Math.min(nextRetry, f.retryAt);
        continue;
      }
      if (!this.take(f.bytes)) break; // a resend is always part of a replay
      f.retryAt = undefined;
      this.waitingRetry--;
      f.attempt++;
      this.transmit(id, f);
    }
    // The window bounds the unacknowledged messages, those waiting for a retry included: while the uplink
    // loses messages, new ones wait rather than pile up.
    while (this.flights.size < this.opts.window && this.journal.hasNext()) {
      const records: StoredRecord[] = [];
      const msgs: Msg[] = [];
      let bytes = 0;
      // Check the bucket for the first record; a batch may overdraw it a little.
      const paced = this.replaying;
      if (paced && !this.canTake()) break;
      while (records.length < this.opts.batchSize) {
        const r = this.journal.next();
        if (!r) break;
        const m = this.decode(r);
        if (!m) continue;
        records.push(r);
        msgs.push(m);
        bytes += r.data.length;
      }
      if (records.length === 0) break;
      if (paced) this.take(bytes);
      const flight = this.toFlight(records, msgs, bytes, paced);
      const id = `f${this.seq++}`;
      this.flights.set(id, flight);
      for (const rid of flight.ids) this.byRecord.set(rid, id);
      this.transmit(id, flight);
    }
    if (this.retryTimer) this.io.clearTimer(this.retryTimer);
    this.retryTimer = undefined;
    if (nextRetry !== Infinity) this.retryTimer = this.io.setTimer(() => ((this.retryTimer = undefined), this.pump()), Math.max(1, nextRetry - now));
    if (this.replaying && !this.journal.hasNext() && !this.hasWaitingRetry()) this.replaying = false;
    if (((this.replaying && this.journal.hasNext() && this.flights.size < this.opts.window) || this.hasDueRetry()) && !this.canTake()) {
      this.pumpTimer = this.io.setTimer(() => {
        this.pumpTimer = undefined;
        this.pump();
      }, this.refillDelay());
    }
  }

  private hasWaitingRetry(): boolean {
    return this.waitingRetry > 0;
  }

  private hasDueRetry(): boolean {
    if (this.waitingRetry === 0) return false;
    const now = this.io.now();
    for (const f of this.flights.values()) if (f.retryAt !== undefined && f.retryAt <= now) return true;
    return false;
  }

  /** The message of a record; a record that is not one (never written by encodeRecord) is dropped with an alert. */
  private decode(r: StoredRecord): Msg | undefined {
    const kept = this.takeFresh(r);
    if (kept) return kept;
    try {
      return decodeRecord(r.data);
    } catch (err) {
      this.journal.ack(r.id);
      this.io.alert({ alert: "unreadable", id: r.id, error: (err as Error).message });
      return undefined;
    }
  }

  /**
   * The message of a record just stored, if it is still kept: the oldest kept messages of its priority are
   * the next records in the log (a sequence number lower than the handed-out one, or a refused append,
   * means the record is gone); equal bytes mean an equal message.
   */
  private takeFresh(r: StoredRecord): Msg | undefined {
    const q = this.fresh[r.priority];
    let n = 0;
    while (n < q.length && (q[n].dead || (q[n].seq !== undefined && (q[n].seq as number) < r.seq))) n++;
    let found: Msg | undefined;
    for (let i = n; i < q.length && i < n + FRESH_SCAN; i++) {
      const e = q[i];
      if (!e.dead && e.data.length === r.data.length && e.data.equals(r.data)) {
        found = e.msg;
        n = i + 1;
        break;
      }
    }
    if (n > 0) {
      let bytes = 0;
      for (let i = 0; i < n; i++) bytes += q[i].data.length;
      this.freshBytes -= bytes;
      q.splice(0, n);
    }
    return found;
  }

  private toFlight(records: StoredRecord[], msgs: Msg[], bytes: number, replay: boolean): Flight {
    return {
      ids: records.map((r) => r.id),
      keys: records.map((r, i) => r.key || keyOfReading(msgs[i]) || r.id),
      payloads: msgs.map((m) => m.payload),
      base: msgs[0],
      storedAt: records[0].enqueuedAt,
      storedAtIso: new Date(records[0].enqueuedAt).toISOString(),
      bytes,
      attempt: 1,
      replay,
      sentError: msgs[0].error === undefined || msgs[0].error === null ? undefined : safeJson(msgs[0].error),
    };
  }

  private transmit(id: string, f: Flight): void {
    const msg: Msg = { ...f.base };
    const sf: SfMeta = { node: this.opts.nodeId, id: f.ids[0], key: f.keys[0], attempt: f.attempt, storedAt: f.storedAtIso, replay: f.replay || f.attempt > 1 };
    if (this.opts.batchSize > 1) {
      msg.payload = f.payloads;
      sf.ids = f.ids;
      sf.keys = f.keys;
    }
    msg._sf = sf;
    f.deadline = this.io.now() + this.opts.ackTimeoutMs;
    if (f.deadline < this.ackTimerAt) this.armAckTimer(f.deadline);
    this.counters.out++;
    this.io.send(msg);
  }

  private armAckTimer(at: number): void {
    if (this.ackTimer) this.io.clearTimer(this.ackTimer);
    this.ackTimerAt = at;
    this.ackTimer = this.io.setTimer(() => {
      this.ackTimer = undefined;
      this.ackTimerAt = Infinity;
      this.checkTimeouts();
    }, Math.max(0, at - this.io.now()));
  }

  /** Messages whose ack timeout expired wait for a retry; the timer moves to the next deadline. */
  private checkTimeouts(): void {
    if (this.closed) return;
    const now = this.io.now();
    const expired: [string, Flight][] = [];
    for (const e of this.flights) if (e[1].deadline !== undefined && e[1].deadline <= now) expired.push(e);
    for (const [id, f] of expired) {
      if (f.deadline === undefined || !this.flights.has(id)) continue;
      this.counters.timeouts++;
      this.retryLater(id, f, `no ack within ${this.opts.ackTimeoutMs / 1000} s`);
    }
    let next = Infinity;
    for (const f of this.flights.values()) if (f.deadline !== undefined && f.deadline < next) next = f.deadline;
    if (next < this.ackTimerAt) this.armAckTimer(next);
  }

  /** Resend after a jittered exponential backoff: a random delay between half and all of base × 2^(attempt-1). */
  private retryLater(id: string, f: Flight, error: string): void {
    f.deadline = undefined;
    f.lastError = error;
    this.replaying = true;
    if (!f.stuck && f.attempt >= (this.opts.stuckAfter ?? 10)) {
      f.stuck = true;
      const batch = f.ids.length > 1 ? { ids: f.ids, keys: f.keys } : {};
      this.io.alert({ alert: "stuck", key: f.keys[0], id: f.ids[0], attempts: f.attempt, lastError: error, ...batch, percentFull: round1(this.percentFull()), depth: this.journal.depth });
    }
    const exp = Math.min(this.opts.maxBackoffMs, this.opts.backoffMs * 2 ** Math.min(30, f.attempt - 1));
    if (f.retryAt === undefined) this.waitingRetry++;
    f.retryAt = this.io.now() + exp * (0.5 + 0.5 * this.io.random());
    if (this.flights.has(id)) this.pump();
  }

  private drop(id: string, f: Flight): void {
    if (f.retryAt !== undefined) this.waitingRetry--;
    f.retryAt = undefined;
    f.deadline = undefined;
    this.flights.delete(id);
    for (const rid of f.ids) this.byRecord.delete(rid);
  }

  /** Records the journal dropped while out: forget the messages that carried only those. */
  private forget(ids: string[]): void {
    for (const rid of ids) {
      const fid = this.byRecord.get(rid);
      if (!fid) continue;
      this.byRecord.delete(rid);
      const f = this.flights.get(fid);
      if (f && f.ids.every((x) => !this.byRecord.has(x))) this.drop(fid, f);
    }
  }

  /**
   * The bucket holds one second's worth, and at least one message: under 1 msg/s (0.5 is one message every
   * 2 s) a bucket of rateMsgs tokens would never hold the one a message takes.
   */
  private fullBucket(at: number): { msgs: number; bytes: number; at: number } {
    return { msgs: Math.max(1, this.opts.rateMsgs), bytes: this.opts.rateBytes, at };
  }

  private refill(now: number): void {
    const dt = Math.max(0, now - this.tokens.at) / 1000;
    this.tokens.at = now;
    if (this.opts.rateMsgs > 0) this.tokens.msgs = Math.min(Math.max(1, this.opts.rateMsgs), this.tokens.msgs + dt * this.opts.rateMsgs);
    if (this.opts.rateBytes > 0) this.tokens.bytes = Math.min(this.opts.rateBytes, this.tokens.bytes + dt * this.opts.rateBytes);
  }

  private canTake(): boolean {
    return (this.opts.rateMsgs <= 0 || this.tokens.msgs >= 1) && (this.opts.rateBytes <= 0 || this.tokens.bytes > 0);
  }

  private take(bytes: number): boolean {
    if (!this.canTake()) return false;
    if (this.opts.rateMsgs > 0) this.tokens.msgs -= 1;
    if (this.opts.rateBytes > 0) this.tokens.bytes -= bytes;
    return true;
  }

  private refillDelay(): number {
    let ms = 1;
    if (this.opts.rateMsgs > 0 && this.tokens.msgs < 1) ms = Math.max(ms, ((1 - this.tokens.msgs) / this.opts.rateMsgs) * 1000);
    if (this.opts.rateBytes > 0 && this.tokens.bytes <= 0) ms = Math.max(ms, ((1 - this.tokens.bytes) / this.opts.rateBytes) * 1000);
    return Math.ceil(ms);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.ackTimer) this.io.clearTimer(this.ackTimer);
    this.ackTimer = undefined;
    this.waitingRetry = 0;
    this.fresh = [[], [], []];
    this.freshBytes = 0;
    if (this.retryTimer) this.io.clearTimer(this.retryTimer);
    if (this.pumpTimer) this.io.clearTimer(this.pumpTimer);
    this.flights.clear();
    this.byRecord.clear();
    await this.journal.close();
  }
}

export { JournalFullError, type DropReason };

export interface ReplayRate {
  /** Messages sent per second while a backlog is replayed (Infinity: no limit). */
  msgsPerSecond: number;
  /** Stored records per second (msgsPerSecond × records per message). */
  recordsPerSecond: number;
  /** Which setting binds: "rateMsgs", "rateBytes", or "none" (both 0). */
  limitedBy: "rateMsgs" | "rateBytes" | "none";
}

/**
 * The pace of a replay for the editor to show: `recordBytes` is the size of one stored record (the JSON of
 * the message; about 300 bytes for a canonical reading with three measurements). Live traffic is not paced.
 */
export function replayRate(opts: { rateMsgs: number; rateBytes: number; batchSize?: number }, recordBytes: number): ReplayRate {
  const batch = Math.max(1, opts.batchSize ?? 1);
  const byMsgs = opts.rateMsgs > 0 ? opts.rateMsgs : Infinity;
  const byBytes = opts.rateBytes > 0 ? opts.rateBytes / (Math.max(1, recordBytes) * batch) : Infinity;
  const msgsPerSecond = Math.min(byMsgs, byBytes);
  const limitedBy = msgsPerSecond === Infinity ? "none" : byBytes < byMsgs ? "rateBytes" : "rateMsgs";
  return { msgsPerSecond, recordsPerSecond: msgsPerSecond * batch, limitedBy };
}

/** The default idempotency key of a message whose payload is a canonical reading: deviceId/timestamp. */
function keyOfReading(msg: Msg): string | undefined {
  const p = msg.payload;
  return isRec(p) && typeof p.deviceId === "string" && typeof p.timestamp === "string" ? readingKey({ deviceId: p.deviceId, timestamp: p.timestamp }) : undefined;
}

function safeJson(v: unknown): string | undefined {
  try {
    return JSON.stringify(v);
  } catch {
    return undefined;
  }
}

/** The text of a msg.error: a Catch node's {message, source}, an Error, or anything else. */
function errorText(e: unknown): string {
  if (isRec(e) && typeof e.message === "string") return e.message;
  if (e instanceof Error) return e.message;
  return typeof e === "string" ? e : JSON.stringify(e) ?? String(e);
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
