/**
 * firmware-update: the whole Object 5 procedure (OMA LwM2M 1.1 Core, Appendix E.6, Firmware Update Object):
 * 1. write the Package URI (/5/0/1);
 * 2. wait for State (/5/0/3) Downloaded (2), observing /5/0/3 and /5/0/5, and re-reading them on a timer, since
 *    observe is best effort;
 * 3. execute Update (/5/0/2);
 * 4. wait for the device to register again (or update), then for the Update Result (/5/0/5), and check that
 *    /3/0/3 (or /5/0/7) reports the target version.
 * One result: `{ deviceId, status, result, resultText, version, retryable }`. Result 8 (update failed) is checked
 * against the version; 10 (cancelled) and 11 (deferred) are results like any other, never a crash. A State stuck at
 * Downloading or Updating beyond the state timeout is a failure.
 */
import { firmwareResult } from "../shared/lwm2m";
import type { Lwm2mEvent, Lwm2mServerApi, Observation } from "../shared/lwm2m/registry";
import { runOp, type OpOptions } from "./ops";

export interface FirmwareJob {
  uri: string;
  version?: string;
}

export interface FirmwareOutcome {
  deviceId: string;
  status: "success" | "failure";
  /** Update Result (/5/0/5), or null when the device never gave one (a timeout). */
  result: number | null;
  resultText: string;
  /** The version the device reports at the end (or the target when it could not be read). */
  version: string | null;
  retryable: boolean;
}

export interface FirmwareProgress {
  deviceId: string;
  stage: "writing-uri" | "downloading" | "downloaded" | "updating" | "re-registered" | "checking-version";
  state?: number;
  result?: number;
}

export function parseJob(payload: unknown): FirmwareJob {
  const p = payload as Record<string, unknown> | null;
  if (!p || typeof p !== "object" || typeof p.uri !== "string" || p.uri === "") throw new Error('firmware-update needs msg.payload = { uri: "coap://... or http://...", version: "2.1.0" }');
  if (p.version !== undefined && typeof p.version !== "string") throw new Error("firmware-update: msg.payload.version must be a string such as \"2.1.0\"");
  return { uri: p.uri, version: p.version as string | undefined };
}

const STATE = "/5/0/3";
const RESULT = "/5/0/5";

export async function firmwareUpdate(
  server: Lwm2mServerApi,
  endpoint: string,
  job: FirmwareJob,
  o: OpOptions & { stateTimeoutMs: number; pollMs?: number },
  progress: (p: FirmwareProgress) => void,
  signal?: AbortSignal,
): Promise<FirmwareOutcome> {
  const isClosed = () => signal?.aborted === true;
  const pollMs = o.pollMs ?? Math.min(5000, Math.max(200, Math.round(o.stateTimeoutMs / 20)));
  const fail = (result: number | null, resultText: string, retryable: boolean, version: string | null = null): FirmwareOutcome => ({
    deviceId: endpoint,
    status: "failure",
    result,
    resultText,
    version,
    retryable,
  });
  const readInt = async (path: string): Promise<number> => {
    const r = await runOp(server, "read", endpoint, path, undefined, o);
    const n = typeof r.payload === "number" ? r.payload : Number(r.payload);
    if (!Number.isFinite(n)) throw new Error(`firmware-update: ${path} on ${endpoint} is not a number: ${JSON.stringify(r.payload)}`);
    return n;
  };
  const readVersion = async (): Promise<string | null> => {
    for (const path of ["/3/0/3", "/5/0/7"]) {
      try {
        const r = await runOp(server, "read", endpoint, path, undefined, o);
        if (typeof r.payload === "string" && r.payload !== "") return r.payload;
      } catch {
        // try the next
      }
    }
    return null;
  };

  // Wake-ups: a notification of /5/0/3 or /5/0/5, or a registration event of this endpoint.
  let wake: () => void = () => undefined;
  const wakeUp = () => wake();
  let registeredAgain = false;
  let armed = false;
  const onEvent = (e: Lwm2mEvent) => {
    if (e.endpoint !== endpoint) return;
    if (armed && (e.event === "registered" || e.event === "restarted" || e.event === "updated")) registeredAgain = true;
    wakeUp();
  };
  server.events.on("event", onEvent);
  const observations: Observation[] = [];
  // The node closing wakes the wait at once (no timer outlives the node).
  const onAbort = () => wakeUp();
  signal?.addEventListener("abort", onAbort);
  const pause = () =>
    new Promise<void>((resolve) => {
      if (isClosed()) return resolve();
      const t = setTimeout(done, pollMs);
      function done() {
        clearTimeout(t);
        wake = () => undefined;
        resolve();
      }
      wake = done;
    });

  try {
    progress({ deviceId: endpoint, stage: "writing-uri" });
    await runOp(server, "write", endpoint, "/5/0/1", job.uri, o);
    for (const path of [STATE, RESULT]) {
      try {
        observations.push((await server.observe(endpoint, { method: "GET", path, timeoutMs: o.timeoutMs }, wakeUp)));
      } catch {
        // Observe is best effort: the re-reads below carry on without it.
      }
    }
    progress({ deviceId: endpoint, stage: "downloading" });

    // 2. Downloaded, or a failure result, within the state timeout.
    let deadline = Date.now() + o.stateTimeoutMs;
    let state = -1;
    let result = 0;
    for (;;) {
      if (isClosed()) return fail(null, "the node closed during the update", true);
      state = await readInt(STATE);
      result = await readInt(RESULT);
      if (state === 2) break;
      if (result > 1) {
        const r = firmwareResult(result);
        return fail(result, r.text, r.retryable, await readVersion());
      }
      if (Date.now() > deadline) return fail(result, `State stuck at ${state === 1 ? "Downloading" : `${state}`} for ${Math.round(o.stateTimeoutMs / 1000)} s`, true, await readVersion());
      await pause();
    }
    progress({ deviceId: endpoint, stage: "downloaded", state, result });

    // 3. Update.
    for (const ob of observations.splice(0)) ob.cancel(); // the device reboots: its observations end
    armed = true;
    await runOp(server, "execute", endpoint, "/5/0/2", undefined, o);
    progress({ deviceId: endpoint, stage: "updating", state: 3 });

    // 4. Re-registration, then a final Update Result.
    deadline = Date.now() + o.stateTimeoutMs;
    for (;;) {
      if (isClosed()) return fail(null, "the node closed during the update", true);
      try {
        state = await readInt(STATE);
        result = await readInt(RESULT);
        // Success counts once the device has come back (registered again); a failure (cancelled, deferred, or a
        // failed update) whenever the device reports it.
        if (state !== 3 && ((registeredAgain && result !== 0) || result > 1)) break;
      } catch {
        // rebooting: it answers again once it has registered
      }
      if (Date.now() > deadline) {
        return fail(result || null, registeredAgain ? `State stuck at Updating for ${Math.round(o.stateTimeoutMs / 1000)} s` : `the device did not register again within ${Math.round(o.stateTimeoutMs / 1000)} s of Update`, true);
      }
      await pause();
    }
    progress({ deviceId: endpoint, stage: "re-registered", state, result });
    progress({ deviceId: endpoint, stage: "checking-version", state, result });
    const version = await readVersion();
    const r = firmwareResult(result);
    const matches = job.version === undefined || version === job.version;
    if (result === 1) {
      if (matches) return { deviceId: endpoint, status: "success", result, resultText: r.text, version, retryable: false };
      return fail(result, `${r.text}, but the device reports version ${version ?? "(unreadable)"}, not ${job.version}`, false, version);
    }
    if (r.class === "check-version" && job.version !== undefined && version === job.version) {
      return { deviceId: endpoint, status: "success", result, resultText: `${r.text}; yet the device reports the target version ${version}`, version, retryable: false };
    }
    return fail(result, r.text, r.retryable, version);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    server.events.off("event", onEvent);
    wake();
    for (const ob of observations) ob.cancel();
  }
}
