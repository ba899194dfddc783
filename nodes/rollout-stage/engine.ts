/**
 * The campaign engine: staged firmware rollouts, pure (no Node-RED, no timers, no I/O). Every call takes the time
 * (`now`, epoch ms) and returns what to send: device commands (output 1) and campaign events (output 2). The
 * wrapper asks nextDeadline() when to call tick(), persists toJSON() before it sends, and load()s it on restart.
 *
 * Per campaign: waves planned by a salted hash rank (plan.ts); the current wave's devices fed as capacity allows
 * (maxConcurrent); each device's result or timeout counted over the current wave; the failure gate (strictly >)
 * halts at once, the success gate (≥) starts the soak, and a wave passes when the gate still holds at the soak's
 * end; approval auto or manual between waves; on halt pause or roll back.
 */
import { InputError } from "../shared/errors";
import { isRec } from "../shared/util";
import { parseOptions, type CampaignOptions, DEFAULT_OPTIONS } from "./options";
import { plan } from "./plan";

export type DeviceStatus = "waiting" | "updating" | "success" | "failure" | "unhealthy" | "timedOut";
export type RollbackStatus = "queued" | "sent" | "done" | "failed" | "timedOut";
export type Phase = "running" | "soaking" | "approval" | "paused" | "halted" | "rolling-back" | "rolled-back" | "completed" | "aborted";
export type EventName = "wave-started" | "wave-passed" | "halted" | "resumed" | "completed" | "aborted" | "rolling-back" | "rolled-back" | "status";

export interface DeviceRecord {
  id: string;
  /** The wave (0-based). */
  wave: number;
  st: DeviceStatus;
  /** How many update commands were sent. */
  tries: number;
  /** When the outstanding command (update, or rollback) times out. */
  deadline?: number;
  /** The version a rollback sends (the device's own reported version, else the campaign's `previous`). */
  prev: string;
  signal?: number;
  /** The last version the device reported. */
  version?: string;
  reason?: string;
  rb?: RollbackStatus;
  rbTries?: number;
}

export interface CampaignRecord {
  id: string;
  version: string;
  uri: string;
  previous?: string;
  previousUri?: string;
  salt: string;
  options: CampaignOptions;
  /** The wave sizes; devices are stored in campaign order, wave by wave. */
  sizes: number[];
  /** The current wave (0-based). */
  wave: number;
  phase: Phase;
  /** The current wave passed its gate (the last wave: waiting for its stragglers). */
  passed: boolean;
  soakUntil?: number;
  reason?: string;
  startedAt: number;
  updatedAt: number;
  devices: DeviceRecord[];
}

/** What is left of an old finished campaign: enough to recognise a repeated campaign message. */
export interface FinishedRecord {
  id: string;
  version: string;
  uri: string;
  phase: Phase;
  at: number;
}

export interface EngineState {
  campaigns: CampaignRecord[];
  finished: FinishedRecord[];
}

export interface Stats {
  targeted: number;
  succeeded: number;
  failed: number;
  unhealthy: number;
  timedOut: number;
  pending: number;
}

export interface RollbackStats {
  targeted: number;
  rolledBack: number;
  failed: number;
  timedOut: number;
  pending: number;
}

export interface DeviceCommand {
  deviceId: string;
  action: "update" | "rollback";
  version: string;
  uri?: string;
  campaign: string;
  wave: number;
}

export interface CampaignEvent {
  event: EventName;
  campaign: string;
  /** The current wave, 1-based. */
  wave: number;
  waves: number;
  phase: Phase;
  reason?: string;
  /** Over the current wave. */
  stats: Stats;
  /** Over the whole campaign (the waves started so far). */
  total: Stats;
  rollback?: RollbackStats;
}

export interface Output {
  commands: DeviceCommand[];
  events: CampaignEvent[];
  /** The state changed: persist it before sending. */
  changed: boolean;
}

/** How many finished campaigns are kept whole (their devices: late results, a rollback after completion). */
export const KEEP_FINISHED = 2;
/** How many older finished campaigns are remembered by id (a repeated campaign message stays idempotent). */
export const KEEP_FINISHED_IDS = 1000;

const TERMINAL: ReadonlySet<Phase> = new Set(["rolled-back", "completed", "aborted"]);
const GATED: ReadonlySet<Phase> = new Set(["running", "soaking", "approval"]);
const BAD: ReadonlySet<DeviceStatus> = new Set(["failure", "unhealthy", "timedOut"]);
const RESULT_STATUS = ["success", "failure", "unhealthy"] as const;
type ResultStatus = (typeof RESULT_STATUS)[number];

type Counts = Record<DeviceStatus, number>;
const zero = (): Counts => ({ waiting: 0, updating: 0, success: 0, failure: 0, unhealthy: 0, timedOut: 0 });

interface Deadline {
  at: number;
  dev: DeviceRecord;
  kind: "update" | "rollback";
  tries: number;
}

const fmtPct = (n: number) => `${Math.round(n * 100) / 100}%`;
const minutes = (ms: number) => `${Math.round((ms / 60_000) * 1000) / 1000} min`;

/** A campaign in memory: its record plus the indexes rebuilt from it. */
class Campaign {
  readonly byId = new Map<string, DeviceRecord>();
  readonly counts: Counts[];
  readonly rbCounts: Record<RollbackStatus, number> = { queued: 0, sent: 0, done: 0, failed: 0, timedOut: 0 };
  /** Devices updating (no rollback) plus rollbacks sent. */
  inFlight = 0;
  queue: DeviceRecord[] = [];
  qHead = 0;
  retryQueue: DeviceRecord[] = [];
  rbQueue: DeviceRecord[] = [];
  rbHead = 0;
  deadlines: Deadline[] = [];
  dHead = 0;

  constructor(readonly rec: CampaignRecord) {
    this.counts = rec.sizes.map(() => zero());
    for (const d of rec.devices) {
      this.byId.set(d.id, d);
      this.counts[d.wave][d.st]++;
      if (d.rb) this.rbCounts[d.rb]++;
      if (busy(d)) this.inFlight++;
    }
  }

  /** Rebuild the queues and the deadlines from the records (after a load). */
  rebuild(): void {
    const started = (d: DeviceRecord) => d.wave <= this.rec.wave;
    this.retryQueue = this.rec.devices.filter((d) => d.st === "waiting" && d.tries > 0 && !d.rb);
    this.queue = this.rec.devices.filter((d) => d.st === "waiting" && d.tries === 0 && started(d));
    this.qHead = 0;
    this.rbQueue = this.rec.devices.filter((d) => d.rb === "queued");
    this.rbHead = 0;
    const dl: Deadline[] = [];
    for (const d of this.rec.devices) {
      if (d.deadline === undefined) continue;
      if (d.rb === "sent") dl.push({ at: d.deadline, dev: d, kind: "rollback", tries: d.rbTries ?? 0 });
      else if (d.st === "updating" && !d.rb) dl.push({ at: d.deadline, dev: d, kind: "update", tries: d.tries });
    }
    this.deadlines = dl.sort((a, b) => a.at - b.at);
    this.dHead = 0;
  }

  /** Change a device, keeping the counts and the in-flight number right. */
  set(d: DeviceRecord, patch: Partial<DeviceRecord>): void {
    const b0 = busy(d);
    this.counts[d.wave][d.st]--;
    if (d.rb) this.rbCounts[d.rb]--;
    Object.assign(d, patch);
    this.counts[d.wave][d.st]++;
    if (d.rb) this.rbCounts[d.rb]++;
    this.inFlight += (busy(d) ? 1 : 0) - (b0 ? 1 : 0);
  }

  get last(): number {
    return this.rec.sizes.length - 1;
  }

  waveStats(w: number): Stats {
    const c = this.counts[w];
    return { targeted: this.rec.sizes[w], succeeded: c.success, failed: c.failure, unhealthy: c.unhealthy, timedOut: c.timedOut, pending: c.waiting + c.updating };
  }

  totalStats(): Stats {
    const t: Stats = { targeted: 0, succeeded: 0, failed: 0, unhealthy: 0, timedOut: 0, pending: 0 };
    for (let w = 0; w <= this.rec.wave; w++) {
      const s = this.waveStats(w);
      t.targeted += s.targeted;
      t.succeeded += s.succeeded;
      t.failed += s.failed;
      t.unhealthy += s.unhealthy;
      t.timedOut += s.timedOut;
      t.pending += s.pending;
    }
    return t;
  }

  /** Failed + unhealthy + timed out, over every wave. */
  totalBad(): number {
    let n = 0;
    for (const c of this.counts) n += c.failure + c.unhealthy + c.timedOut;
    return n;
  }

  rollbackStats(): RollbackStats {
    const r = this.rbCounts;
    return { targeted: r.queued + r.sent + r.done + r.failed + r.timedOut, rolledBack: r.done, failed: r.failed, timedOut: r.timedOut, pending: r.queued + r.sent };
  }

  /** Nothing of the wave waits or updates. */
  waveFinished(w: number): boolean {
    return this.counts[w].waiting + this.counts[w].updating === 0;
  }

  allFinished(): boolean {
    for (const c of this.counts) if (c.waiting + c.updating > 0) return false;
    return true;
  }

  successGate(w: number): boolean {
    return this.counts[w].success * 100 >= this.rec.options.successThreshold * this.rec.sizes[w];
  }
}

function busy(d: DeviceRecord): boolean {
  return (d.st === "updating" && !d.rb) || d.rb === "sent";
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
}

export class RolloutEngine {
  private readonly campaigns = new Map<string, Campaign>();
  private finished: FinishedRecord[] = [];
  /** The active (not finished) campaign each device is in. */
  private readonly owner = new Map<string, Campaign>();

  constructor(readonly defaults: CampaignOptions = DEFAULT_OPTIONS) {}

  // ---------------------------------------------------------------- state

  toJSON(): EngineState {
    return { campaigns: [...this.campaigns.values()].map((c) => c.rec), finished: this.finished };
  }

  /** Take a stored state (at start). Deadlines that passed while the node was down are handled by the next tick(). */
  load(state: EngineState | undefined): void {
    this.campaigns.clear();
    this.owner.clear();
    this.finished = Array.isArray(state?.finished) ? state.finished : [];
    for (const rec of state?.campaigns ?? []) {
      const c = new Campaign(rec);
      c.rebuild();
      this.campaigns.set(rec.id, c);
      if (!TERMINAL.has(rec.phase)) for (const d of rec.devices) this.owner.set(d.id, c);
    }
  }

  /** The campaigns, newest first (for status). */
  list(): CampaignRecord[] {
    return [...this.campaigns.values()].map((c) => c.rec).sort((a, b) => b.startedAt - a.startedAt);
  }

  get(id: string): CampaignRecord | undefined {
    return this.campaigns.get(id)?.rec;
  }

  /** The badge's numbers: the most recently changed campaign that is not finished (else the last one). */
  summary(): { campaign: string; phase: Phase; wave: number; waves: number; ok: number; size: number; fail: number; active: number } | undefined {
    const all = [...this.campaigns.values()];
    const active = all.filter((c) => !TERMINAL.has(c.rec.phase));
    const pick = (active.length ? active : all).sort((a, b) => b.rec.updatedAt - a.rec.updatedAt)[0];
    if (!pick) return undefined;
    const s = pick.waveStats(pick.rec.wave);
    return { campaign: pick.rec.id, phase: pick.rec.phase, wave: pick.rec.wave + 1, waves: pick.rec.sizes.length, ok: s.succeeded, size: s.targeted, fail: s.failed + s.unhealthy + s.timedOut, active: active.length };
  }

  /** Stats of a campaign: its current wave, its whole. */
  stats(id: string): { wave: Stats; total: Stats; rollback: RollbackStats } | undefined {
    const c = this.campaigns.get(id);
    return c && { wave: c.waveStats(c.rec.wave), total: c.totalStats(), rollback: c.rollbackStats() };
  }

  /** When tick() next has something to do (undefined: nothing is waiting on the clock). */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const c of this.campaigns.values()) {
      if (TERMINAL.has(c.rec.phase)) continue;
      const d = c.deadlines[c.dHead];
      if (d && (next === undefined || d.at < next)) next = d.at;
      if (c.rec.phase === "soaking" && c.rec.soakUntil !== undefined && (next === undefined || c.rec.soakUntil < next)) next = c.rec.soakUntil;
    }
    return next;
  }

  // ---------------------------------------------------------------- inputs

  /** A campaign message's payload. Throws an InputError naming what is wrong. A repeat of a known id is idempotent. */
  start(payload: unknown, now: number): Output {
    const out: Output = { commands: [], events: [], changed: false };
    const bad = (why: string) => new InputError(`rollout-stage: bad campaign: ${why}`, "bad campaign");
    if (!isRec(payload)) throw bad(`msg.payload must be an object { id, version, uri, devices }, got ${payload === null ? "null" : typeof payload}`);
    const id = str(payload.id);
    if (!id) throw bad("payload.id (the campaign id) must be a non-empty string");
    const version = str(payload.version);
    if (!version) throw bad(`campaign "${id}": payload.version (the firmware version to install) must be a non-empty string`);
    const uri = str(payload.uri);
    if (!uri) throw bad(`campaign "${id}": payload.uri (where devices fetch the firmware) must be a non-empty string`);

    const known = this.campaigns.get(id)?.rec ?? this.finished.find((f) => f.id === id);
    if (known) {
      if (known.version !== version || known.uri !== uri)
        throw bad(`campaign "${id}" already exists (version ${known.version}, ${known.uri}); a campaign id cannot be reused for version ${version}: give the new campaign a new id`);
      const c = this.campaigns.get(id);
      if (c) out.events.push(this.event(c, "status", "the campaign is already known: the repeated campaign message was ignored"));
      return out;
    }

    const salt = payload.salt === undefined ? id : typeof payload.salt === "string" ? payload.salt : undefined;
    if (salt === undefined) throw bad(`campaign "${id}": payload.salt must be a string (it defaults to the campaign id)`);
    const previous = payload.previous === undefined ? undefined : str(payload.previous);
    if (payload.previous !== undefined && previous === undefined) throw bad(`campaign "${id}": payload.previous (the version to roll back to) must be a non-empty string`);
    const previousUri = payload.previousUri === undefined ? undefined : str(payload.previousUri);
    if (payload.previousUri !== undefined && previousUri === undefined) throw bad(`campaign "${id}": payload.previousUri must be a non-empty string`);
    let options: CampaignOptions;
    try {
      options = parseOptions(payload, this.defaults, `campaign "${id}"`);
    } catch (err) {
      throw bad((err as Error).message);
    }

    if (!Array.isArray(payload.devices) || payload.devices.length === 0)
      throw bad(`campaign "${id}": payload.devices must be a non-empty list of device ids, or of { id, version?, signal?, tags? }`);
    const devices: { id: string; version?: string; signal?: number }[] = [];
    const seen = new Set<string>();
    const noTarget: string[] = [];
    const claimed: string[] = [];
    let other: string | undefined;
    for (let i = 0; i < payload.devices.length; i++) {
      const raw: unknown = payload.devices[i];
      const did = typeof raw === "string" ? str(raw) : isRec(raw) ? str(raw.id) : undefined;
      if (!did) throw bad(`campaign "${id}": payload.devices[${i}] must be a device id (a non-empty string) or an object with one in "id"`);
      if (seen.has(did)) throw bad(`campaign "${id}": device "${did}" is listed twice (payload.devices[${i}])`);
      seen.add(did);
      const v = isRec(raw) ? raw.version : undefined;
      if (v !== undefined && str(v) === undefined) throw bad(`campaign "${id}": payload.devices[${i}].version must be a non-empty string`);
      const s = isRec(raw) ? raw.signal : undefined;
      if (s !== undefined && (typeof s !== "number" || !Number.isFinite(s))) throw bad(`campaign "${id}": payload.devices[${i}].signal must be a number (e.g. RSSI in dBm)`);
      const dv = str(v);
      if (!dv && !previous) noTarget.push(did);
      const o = this.owner.get(did);
      if (o) {
        claimed.push(did);
        other = o.rec.id;
      }
      devices.push({ id: did, ...(dv ? { version: dv } : {}), ...(typeof s === "number" ? { signal: s } : {}) });
    }
    if (noTarget.length)
      throw bad(
        `campaign "${id}": ${noTarget.length} device(s) have no version and the campaign has no "previous", so a rollback would not know what to send (${list(noTarget)}); give payload.previous or each device's version`,
      );
    if (claimed.length) throw bad(`campaign "${id}": ${claimed.length} device(s) are already in campaign "${other}", and a device is in at most one campaign at a time (${list(claimed)})`);

    const { order, sizes } = plan(devices, salt, options.waves, options.preferWeakSignal);
    const recs: DeviceRecord[] = [];
    let w = 0;
    let left = sizes[0];
    for (const i of order) {
      while (left === 0) left = sizes[++w];
      left--;
      const d = devices[i];
      recs.push({ id: d.id, wave: w, st: "waiting", tries: 0, prev: d.version ?? (previous as string), ...(d.signal !== undefined ? { signal: d.signal } : {}) });
    }
    const rec: CampaignRecord = {
      id,
      version,
      uri,
      ...(previous ? { previous } : {}),
      ...(previousUri ? { previousUri } : {}),
      salt,
      options,
      sizes,
      wave: 0,
      phase: "running",
      passed: false,
      startedAt: now,
      updatedAt: now,
      devices: recs,
    };
    const c = new Campaign(rec);
    this.campaigns.set(id, c);
    for (const d of recs) this.owner.set(d.id, c);
    this.startWave(c, 0, now, out);
    return out;
  }

  /** A device result's payload. Throws an InputError for a malformed result or a device in no campaign. */
  result(payload: unknown, now: number): Output {
    const out: Output = { commands: [], events: [], changed: false };
    const bad = (why: string) => new InputError(`rollout-stage: bad result: ${why}`, "bad result");
    if (!isRec(payload)) throw bad(`msg.payload must be an object { deviceId, status }, got ${payload === null ? "null" : typeof payload}`);
    const deviceId = str(payload.deviceId);
    if (!deviceId) throw bad("payload.deviceId must be a non-empty string");
    const status = payload.status as ResultStatus;
    if (!RESULT_STATUS.includes(status)) throw bad(`device "${deviceId}": payload.status must be one of ${RESULT_STATUS.join(", ")}, got ${JSON.stringify(payload.status)}`);
    const cid = payload.campaign === undefined ? undefined : str(payload.campaign);
    let c: Campaign | undefined;
    if (cid !== undefined) {
      c = this.campaigns.get(cid);
      if (!c) throw new InputError(`rollout-stage: a result for device "${deviceId}" names campaign "${cid}", which this node does not know`, "unknown campaign");
    } else c = this.owner.get(deviceId) ?? this.findFinished(deviceId);
    const d = c?.byId.get(deviceId);
    if (!c || !d)
      throw new InputError(
        cid ? `rollout-stage: device "${deviceId}" is not in campaign "${cid}"` : `rollout-stage: a result for device "${deviceId}", which is in no campaign of this node`,
        "unknown device",
      );
    if (d.tries === 0 && !d.rb) throw new InputError(`rollout-stage: a result for device "${deviceId}", which campaign "${c.rec.id}" has not sent the update yet (wave ${d.wave + 1})`, "unexpected result");
    const reason = str(payload.reason);
    const version = str(payload.version);
    const retryable = payload.retryable === true;
    c.rec.updatedAt = now;

    // A rollback's result (unless the result says it is the update's: `action: "update"`, a late one).
    if (d.rb === "sent" && payload.action !== "update") {
      if (status === "success") c.set(d, { rb: "done", deadline: undefined, ...(version ? { version } : {}) });
      else if (status === "failure" && retryable && (d.rbTries ?? 0) <= c.rec.options.retries) this.sendRollback(c, d, now, out);
      else c.set(d, { rb: "failed", deadline: undefined, ...(reason ? { reason } : {}), ...(version ? { version } : {}) });
      out.changed = true;
      this.feed(c, now, out);
      this.checkRolledBack(c, now, out);
      return out;
    }
    // A late update result in a finished campaign or during a rollback: recorded, nothing decided on it.
    if (TERMINAL.has(c.rec.phase) || d.rb) {
      if (d.st !== status && d.tries > 0) c.set(d, { st: status, ...(reason ? { reason } : {}), ...(version ? { version } : {}) });
      out.changed = true;
      return out;
    }
    const before = d.st;
    if (status === "failure" && retryable && d.st === "updating" && d.tries <= c.rec.options.retries) {
      // A retryable failure: sent again (keeping its place), or queued again while the campaign does not send.
      if (this.sending(c)) this.sendUpdate(c, d, now, out);
      else {
        c.set(d, { st: "waiting", deadline: undefined, ...(reason ? { reason } : {}) });
        c.retryQueue.push(d);
        out.changed = true;
      }
      return out;
    }
    if (before === status) return out; // a repeated result
    c.set(d, { st: status, deadline: undefined, ...(reason ? { reason } : { reason: undefined }), ...(version ? { version } : {}) });
    out.changed = true;
    this.afterChange(c, d, before, now, out);
    this.feed(c, now, out);
    return out;
  }

  /** A command (`pause`, `resume`, `approve`, `abort`, `rollback`, `status`) for campaign `id` (or the only one). */
  command(command: string, id: string | undefined, now: number): Output {
    const out: Output = { commands: [], events: [], changed: false };
    const cmd = command.toLowerCase();
    const COMMANDS = ["pause", "resume", "approve", "abort", "rollback", "status"];
    if (!COMMANDS.includes(cmd)) throw new InputError(`rollout-stage: unknown msg.command "${command}"; use one of ${COMMANDS.join(", ")}`, "bad command");
    if (cmd === "status" && id === undefined) {
      for (const c of this.campaigns.values()) out.events.push(this.event(c, "status"));
      return out;
    }
    const c = this.target(cmd, id);
    const r = c.rec;
    const refuse = (why: string) => new InputError(`rollout-stage: cannot ${cmd} campaign "${r.id}": ${why}`, `cannot ${cmd}`);
    if (cmd === "status") {
      out.events.push(this.event(c, "status"));
      return out;
    }
    r.updatedAt = now;
    out.changed = true;
    switch (cmd) {
      case "pause":
        if (!GATED.has(r.phase)) throw refuse(`it is ${r.phase}`);
        r.phase = "paused";
        r.reason = "paused by command";
        out.events.push(this.event(c, "halted", r.reason));
        break;
      case "resume":
        if (r.phase !== "paused" && r.phase !== "halted") throw refuse(`it is ${r.phase}, not paused or halted`);
        this.resume(c, now, out);
        break;
      case "approve":
        if (r.phase !== "approval") throw refuse(r.phase === "running" || r.phase === "soaking" ? `wave ${r.wave + 1} has not passed yet` : `it is ${r.phase}, not waiting for approval`);
        this.startWave(c, r.wave + 1, now, out);
        break;
      case "abort":
        if (TERMINAL.has(r.phase)) throw refuse(`it is already ${r.phase}`);
        this.finish(c, "aborted", "aborted by command", now, out);
        break;
      case "rollback":
        if (r.phase === "rolling-back" || r.phase === "rolled-back" || r.phase === "aborted") throw refuse(`it is ${r.phase}`);
        if (r.phase === "completed") {
          const taken = r.devices.filter((d) => this.owner.has(d.id)).map((d) => d.id);
          if (taken.length) throw refuse(`${taken.length} of its devices are now in another campaign (${list(taken)})`);
          for (const d of r.devices) this.owner.set(d.id, c);
        }
        this.startRollback(c, "rollback by command", now, out);
        break;
    }
    return out;
  }

  /** Deadlines: timeouts, the end of a soak. */
  tick(now: number): Output {
    const out: Output = { commands: [], events: [], changed: false };
    for (const c of [...this.campaigns.values()]) {
      if (TERMINAL.has(c.rec.phase)) continue;
      while (c.dHead < c.deadlines.length && c.deadlines[c.dHead].at <= now) {
        const e = c.deadlines[c.dHead++];
        const d = e.dev;
        if (e.kind === "update" && d.st === "updating" && !d.rb && d.tries === e.tries) {
          c.rec.updatedAt = now;
          c.set(d, { st: "timedOut", deadline: undefined, reason: `no result within ${minutes(c.rec.options.timeoutMs)}` });
          out.changed = true;
          this.afterChange(c, d, "updating", now, out);
        } else if (e.kind === "rollback" && d.rb === "sent" && d.rbTries === e.tries) {
          c.rec.updatedAt = now;
          c.set(d, { rb: "timedOut", deadline: undefined, reason: `no rollback result within ${minutes(c.rec.options.timeoutMs)}` });
          out.changed = true;
          this.checkRolledBack(c, now, out);
        }
        if (TERMINAL.has(c.rec.phase)) break;
      }
      if (c.dHead > 1024 && c.dHead * 2 > c.deadlines.length) {
        c.deadlines = c.deadlines.slice(c.dHead);
        c.dHead = 0;
      }
      const r = c.rec;
      if (r.phase === "soaking" && r.soakUntil !== undefined && r.soakUntil <= now) {
        r.updatedAt = now;
        out.changed = true;
        r.soakUntil = undefined;
        if (c.successGate(r.wave)) this.passWave(c, now, out);
        else {
          r.phase = "running";
          if (c.waveFinished(r.wave)) this.halt(c, this.belowReason(c), now, out);
        }
      }
      if (!TERMINAL.has(r.phase)) this.feed(c, now, out);
    }
    return out;
  }

  // ---------------------------------------------------------------- the campaign's course

  private sending(c: Campaign): boolean {
    return GATED.has(c.rec.phase);
  }

  private target(cmd: string, id: string | undefined): Campaign {
    if (id !== undefined) {
      const c = this.campaigns.get(id);
      if (!c) throw new InputError(`rollout-stage: ${cmd}: no campaign "${id}" (known: ${list([...this.campaigns.keys()]) || "none"})`, "unknown campaign");
      return c;
    }
    const active = [...this.campaigns.values()].filter((c) => !TERMINAL.has(c.rec.phase));
    if (active.length === 1) return active[0];
    if (active.length === 0 && cmd === "rollback") {
      const last = [...this.campaigns.values()].sort((a, b) => b.rec.updatedAt - a.rec.updatedAt)[0];
      if (last) throw new InputError(`rollout-stage: rollback: name the campaign in msg.campaign (the last one was "${last.rec.id}")`, "no campaign");
    }
    throw new InputError(
      active.length === 0 ? `rollout-stage: ${cmd}: no campaign is running` : `rollout-stage: ${cmd}: ${active.length} campaigns are running (${list(active.map((c) => c.rec.id))}); name one in msg.campaign`,
      "no campaign",
    );
  }

  private findFinished(deviceId: string): Campaign | undefined {
    let best: Campaign | undefined;
    for (const c of this.campaigns.values()) if (TERMINAL.has(c.rec.phase) && c.byId.has(deviceId) && (!best || c.rec.updatedAt > best.rec.updatedAt)) best = c;
    return best;
  }

  private event(c: Campaign, event: EventName, reason?: string): CampaignEvent {
    const r = c.rec;
    const rb = c.rollbackStats();
    return {
      event,
      campaign: r.id,
      wave: r.wave + 1,
      waves: r.sizes.length,
      phase: r.phase,
      ...(reason ? { reason } : {}),
      stats: c.waveStats(r.wave),
      total: c.totalStats(),
      ...(rb.targeted > 0 || r.phase === "rolling-back" || r.phase === "rolled-back" ? { rollback: rb } : {}),
    };
  }

  private startWave(c: Campaign, w: number, now: number, out: Output): void {
    const r = c.rec;
    r.wave = w;
    r.passed = false;
    r.phase = "running";
    r.reason = undefined;
    r.soakUntil = undefined;
    r.updatedAt = now;
    for (const d of r.devices) if (d.wave === w && d.st === "waiting" && d.tries === 0) c.queue.push(d);
    out.changed = true;
    out.events.push(this.event(c, "wave-started"));
    this.feed(c, now, out);
  }

  private sendUpdate(c: Campaign, d: DeviceRecord, now: number, out: Output): void {
    const r = c.rec;
    const deadline = now + r.options.timeoutMs;
    c.set(d, { st: "updating", tries: d.tries + 1, deadline });
    c.deadlines.push({ at: deadline, dev: d, kind: "update", tries: d.tries });
    out.commands.push({ deviceId: d.id, action: "update", version: r.version, uri: r.uri, campaign: r.id, wave: d.wave + 1 });
    out.changed = true;
  }

  private sendRollback(c: Campaign, d: DeviceRecord, now: number, out: Output): void {
    const r = c.rec;
    const deadline = now + r.options.timeoutMs;
    c.set(d, { rb: "sent", rbTries: (d.rbTries ?? 0) + 1, deadline });
    c.deadlines.push({ at: deadline, dev: d, kind: "rollback", tries: d.rbTries as number });
    out.commands.push({ deviceId: d.id, action: "rollback", version: d.prev, ...(r.previousUri ? { uri: r.previousUri } : {}), campaign: r.id, wave: d.wave + 1 });
    out.changed = true;
  }

  /** Send what capacity allows. */
  private feed(c: Campaign, now: number, out: Output): void {
    const r = c.rec;
    const max = r.options.maxConcurrent;
    const room = () => max === 0 || c.inFlight < max;
    if (r.phase === "rolling-back") {
      while (room() && c.rbHead < c.rbQueue.length) {
        const d = c.rbQueue[c.rbHead++];
        if (d.rb === "queued") this.sendRollback(c, d, now, out);
      }
      return;
    }
    if (!this.sending(c)) return;
    while (room()) {
      const d = c.retryQueue.length ? c.retryQueue.shift() : c.qHead < c.queue.length ? c.queue[c.qHead++] : undefined;
      if (!d) break;
      if (d.st === "waiting" && !d.rb) this.sendUpdate(c, d, now, out);
    }
    if (c.qHead > 1024 && c.qHead * 2 > c.queue.length) {
      c.queue = c.queue.slice(c.qHead);
      c.qHead = 0;
    }
  }

  private belowReason(c: Campaign): string {
    const r = c.rec;
    const s = c.waveStats(r.wave);
    return `wave ${r.wave + 1} finished with ${s.succeeded} of ${s.targeted} succeeded (${fmtPct((s.succeeded * 100) / s.targeted)}), below the success threshold of ${fmtPct(r.options.successThreshold)}`;
  }

  /** The gates, after device `d` went from `before` to its status. */
  private afterChange(c: Campaign, d: DeviceRecord, before: DeviceStatus, now: number, out: Output): void {
    const r = c.rec;
    const o = r.options;
    if (GATED.has(r.phase) && BAD.has(d.st) && !BAD.has(before)) {
      const total = c.totalBad();
      if (o.maxFailures > 0 && total >= o.maxFailures) return this.halt(c, `${total} device(s) failed, unhealthy or timed out; maxFailures is ${o.maxFailures}`, now, out);
      if (d.wave === r.wave) {
        const s = c.waveStats(r.wave);
        const bad = s.failed + s.unhealthy + s.timedOut;
        const finished = bad + s.succeeded;
        if (finished >= o.minDevices && bad * 100 > o.failureThreshold * s.targeted)
          return this.halt(
            c,
            `wave ${r.wave + 1}: ${bad} of ${s.targeted} devices failed, unhealthy or timed out (${fmtPct((bad * 100) / s.targeted)}), above the failure threshold of ${fmtPct(o.failureThreshold)}`,
            now,
            out,
          );
      }
    }
    if (r.phase === "running" && !r.passed) {
      if (c.successGate(r.wave)) return this.startSoak(c, now, out);
      if (c.waveFinished(r.wave)) return this.halt(c, this.belowReason(c), now, out);
    }
    this.checkCompleted(c, now, out);
  }

  private startSoak(c: Campaign, now: number, out: Output): void {
    const r = c.rec;
    if (r.options.soakMs <= 0) return this.passWave(c, now, out);
    r.phase = "soaking";
    r.soakUntil = now + r.options.soakMs;
    out.changed = true;
  }

  private passWave(c: Campaign, now: number, out: Output, reason?: string): void {
    const r = c.rec;
    r.passed = true;
    r.soakUntil = undefined;
    r.phase = "running";
    out.changed = true;
    out.events.push(this.event(c, "wave-passed", reason));
    if (r.wave === c.last) return this.checkCompleted(c, now, out);
    if (r.options.approval === "manual") {
      r.phase = "approval";
      return;
    }
    this.startWave(c, r.wave + 1, now, out);
  }

  private checkCompleted(c: Campaign, now: number, out: Output): void {
    const r = c.rec;
    if (r.passed && r.wave === c.last && r.phase === "running" && c.allFinished()) this.finish(c, "completed", undefined, now, out);
  }

  private halt(c: Campaign, reason: string, now: number, out: Output): void {
    const r = c.rec;
    r.phase = "halted";
    r.reason = reason;
    r.soakUntil = undefined;
    out.changed = true;
    out.events.push(this.event(c, "halted", reason));
    if (r.options.onHalt === "rollback") this.startRollback(c, reason, now, out);
  }

  private resume(c: Campaign, now: number, out: Output): void {
    const r = c.rec;
    r.reason = undefined;
    r.phase = "running";
    out.events.push(this.event(c, "resumed"));
    if (r.passed) {
      if (r.wave < c.last) r.phase = "approval";
      else this.checkCompleted(c, now, out);
    } else if (c.successGate(r.wave)) this.startSoak(c, now, out);
    else if (c.waveFinished(r.wave)) this.passWave(c, now, out, "resumed by command: the operator accepted the wave");
    this.feed(c, now, out);
  }

  /**
   * Roll back every device that was sent the update and did not report `failure` (a failed device is still on its
   * old version; a timed-out device's state is unknown, and a rollback to the version it runs is harmless).
   * Devices never sent the update are left alone.
   */
  private startRollback(c: Campaign, reason: string, now: number, out: Output): void {
    const r = c.rec;
    r.phase = "rolling-back";
    r.reason = reason;
    r.soakUntil = undefined;
    r.updatedAt = now;
    c.retryQueue = [];
    for (const d of r.devices) {
      if (d.tries > 0 && !d.rb && (d.st === "updating" || d.st === "success" || d.st === "unhealthy" || d.st === "timedOut")) {
        c.set(d, { rb: "queued", deadline: undefined });
        c.rbQueue.push(d);
      }
    }
    out.changed = true;
    out.events.push(this.event(c, "rolling-back", reason));
    this.feed(c, now, out);
    this.checkRolledBack(c, now, out);
  }

  private checkRolledBack(c: Campaign, now: number, out: Output): void {
    if (c.rec.phase !== "rolling-back") return;
    if (c.rbCounts.queued + c.rbCounts.sent > 0) return;
    const rb = c.rollbackStats();
    const reason = rb.failed + rb.timedOut > 0 ? `${rb.failed} rollback(s) failed and ${rb.timedOut} timed out of ${rb.targeted}` : undefined;
    this.finish(c, "rolled-back", reason, now, out);
  }

  private finish(c: Campaign, phase: "completed" | "aborted" | "rolled-back", reason: string | undefined, now: number, out: Output): void {
    const r = c.rec;
    r.phase = phase;
    r.reason = reason;
    r.soakUntil = undefined;
    r.updatedAt = now;
    for (const d of r.devices) if (this.owner.get(d.id) === c) this.owner.delete(d.id);
    c.queue = [];
    c.qHead = 0;
    c.retryQueue = [];
    c.deadlines = [];
    c.dHead = 0;
    out.changed = true;
    out.events.push(this.event(c, phase, reason));
    this.trim();
  }

  /** Keep the last KEEP_FINISHED finished campaigns whole, and older ones by id only. */
  private trim(): void {
    const done = [...this.campaigns.values()].filter((c) => TERMINAL.has(c.rec.phase)).sort((a, b) => b.rec.updatedAt - a.rec.updatedAt);
    for (const c of done.slice(KEEP_FINISHED)) {
      this.campaigns.delete(c.rec.id);
      this.finished.push({ id: c.rec.id, version: c.rec.version, uri: c.rec.uri, phase: c.rec.phase, at: c.rec.updatedAt });
    }
    if (this.finished.length > KEEP_FINISHED_IDS) this.finished = this.finished.slice(-KEEP_FINISHED_IDS);
  }
}

function list(ids: string[]): string {
  return ids.slice(0, 5).map((s) => `"${s}"`).join(", ") + (ids.length > 5 ? ` and ${ids.length - 5} more` : "");
}
