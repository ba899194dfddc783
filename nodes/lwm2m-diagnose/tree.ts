/**
 * The remote-diagnostics decision tree (the seeds' "Remote Diagnostics Framework", with the OMA registry's objects):
 * reboots → signal → error log → battery, memory, firmware → hardware, walked over one endpoint's history at time
 * `at`. Pure: every figure it uses is in the evidence, every step in `checks`.
 *
 * The cause, in the tree's order:
 * - a reboot loop (more than `rebootLoopCount` restarts in `rebootWindowHours`) is explained by the first of:
 *   hardware fault, poor signal, dying battery, memory leak; with good signal, battery and memory it is a firmware bug;
 * - without a loop: hardware fault, poor signal, dying battery, memory leak, firmware bug; an unexplained error code
 *   is `unknown` until a remote reboot shows whether it persists (then it is a hardware fault);
 * - all checks passed: healthy; nothing read yet: unknown.
 */
import { bearerName, errorCodeText, BATTERY_STATUS, INTERNAL_BATTERY, signalClass, UPDATE_RESULT_FAILED } from "./registry";
import { errorCodes, instances, num, type EndpointHistory, type Sample } from "./history";

export interface Rules {
  rebootLoopCount: number;
  rebootWindowHours: number;
  rsrpMinDbm: number;
  sinrMinDb: number;
  gsmRssiMinDbm: number;
  wlanRssiMinDbm: number;
  deepCoverageLevel: number;
  batteryLevelMin: number;
  /** 0: no voltage check. */
  batteryMinMv: number;
  /** 0: no projection. */
  batteryHorizonDays: number;
  /** 0: no projection. */
  memoryHorizonDays: number;
  minSamples: number;
  clockJumpSeconds: number;
  /** 0: a version change is blamed however long ago it was. */
  firmwareWindowDays: number;
  maxEndpoints: number;
}

/** The defaults of issue 11. */
export const DEFAULT_RULES: Readonly<Rules> = Object.freeze({
  rebootLoopCount: 3,
  rebootWindowHours: 24,
  rsrpMinDbm: -115,
  sinrMinDb: 0,
  gsmRssiMinDbm: -100,
  wlanRssiMinDbm: -80,
  deepCoverageLevel: 3,
  batteryLevelMin: 15,
  batteryMinMv: 0,
  batteryHorizonDays: 7,
  memoryHorizonDays: 7,
  minSamples: 3,
  clockJumpSeconds: 60,
  firmwareWindowDays: 7,
  maxEndpoints: 10_000,
});

export const CAUSES = ["healthy", "poor-signal", "dying-battery", "memory-leak", "firmware-bug", "hardware-fault", "unknown"] as const;
export type Cause = (typeof CAUSES)[number];
export type Severity = "none" | "info" | "warning" | "major" | "critical";

export interface Evidence {
  /** The LwM2M path the value came from ("/4/0/2"), or "/3/0" for what is inferred from the history. */
  path: string;
  value: unknown;
  /** What the value shows, in words. */
  rule: string;
  /** The threshold it was compared with ("< -115 dBm"), when there is one. */
  threshold?: string;
}

export interface Check {
  /** reboots, signal, errors, battery, memory, firmware, hardware */
  step: string;
  /** What the step found: "ok", "no data", or the finding ("reboot loop", "poor", "leak", ...). */
  outcome: string;
  detail?: string;
}

export interface Diagnosis {
  endpoint: string;
  at: string;
  cause: Cause;
  severity: Severity;
  confidence: number;
  evidence: Evidence[];
  checks: Check[];
  remediation: { remote: boolean; action: string; part?: string };
  truckRoll: boolean;
  /** Other causes the tree found, behind the one named (e.g. poor signal beside a damaged battery). */
  also: Cause[];
  /** How many restarts the history holds in the reboot window. */
  reboots: number;
}

/** The share of falling steps a trend needs to be "steady". */
export const STEADY_SHARE = 0.75;
/** A rise of Memory Free above this share of the previous sample is a reset (a reboot the history may have missed). */
export const MEMORY_RESET_SHARE = 0.2;
/** A rise of Battery Level of more than this many points is a charge or a new battery: the trend starts again. */
export const BATTERY_RESET_POINTS = 5;

const DAY = 86_400_000;
const HOUR = 3_600_000;

interface Finding {
  evidence: Evidence[];
  /** How much the strongest piece of evidence is worth (0..1). */
  weight: number;
  severity: Severity;
}

/**
 * The samples' times for a trend (ms from the first), in the device's time where it can be told: each step takes
 * the device's elapsed Current Time when both ends carry one and it moved forward, else the elapsed time between the
 * reads. A device's values move in its own time: a simulator at 60x, a burst of reads, a replay would otherwise put
 * every rate off by the speed factor. A clock that went back (a restart) or stood still (unset, or the same read
 * twice) falls back to the reads' times for that step; samples without Current Time keep the reads' times.
 */
export function trendTimes(s: readonly Sample[]): number[] {
  const out: number[] = [];
  let t = 0;
  for (let i = 0; i < s.length; i++) {
    if (i > 0) {
      const a = s[i - 1];
      const b = s[i];
      t += a.dev !== undefined && b.dev !== undefined && b.dev > a.dev ? b.dev - a.dev : b.at - a.at;
    }
    out.push(t);
  }
  return out;
}

/** Least-squares slope (per ms, in the samples' trend times) of samples; undefined when they span no time. */
export function slope(s: readonly Sample[]): number | undefined {
  const n = s.length;
  if (n < 2) return undefined;
  const ts = trendTimes(s);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += ts[i];
    my += s[i].v;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dx = ts[i] - mx;
    sxy += dx * (s[i].v - my);
    sxx += dx * dx;
  }
  return sxx > 0 ? sxy / sxx : undefined;
}

export interface Trend {
  samples: number;
  first: Sample;
  last: Sample;
  /** Units per day (negative: falling). */
  perDay: number;
  /** Share of steps that did not rise. */
  steady: number;
  /** Days until the value reaches 0 at this rate (Infinity when not falling). */
  daysLeft: number;
}

/** The trend of a series segment, or undefined with fewer than `min` samples or no time between them. */
export function trend(s: readonly Sample[], min: number): Trend | undefined {
  if (s.length < min) return undefined;
  const k = slope(s);
  if (k === undefined) return undefined;
  let down = 0;
  for (let i = 1; i < s.length; i++) if (s[i].v <= s[i - 1].v) down++;
  const last = s[s.length - 1];
  const perDay = k * DAY;
  return { samples: s.length, first: s[0], last, perDay, steady: down / (s.length - 1), daysLeft: perDay < 0 ? last.v / -perDay : Infinity };
}

/** A series cut at the given reboots and at resets (rises over `reset(prev, next)`): the teeth of the sawtooth. */
export function segments(s: readonly Sample[], reboots: readonly number[], isReset: (prev: number, next: number) => boolean): Sample[][] {
  const out: Sample[][] = [];
  let cur: Sample[] = [];
  let r = 0;
  for (const p of s) {
    let cut = false;
    while (r < reboots.length && reboots[r] <= p.at) {
      if (cur.length && reboots[r] > cur[cur.length - 1].at) cut = true;
      r++;
    }
    if (cur.length && isReset(cur[cur.length - 1].v, p.v)) cut = true;
    if (cut) {
      out.push(cur);
      cur = [];
    }
    cur.push(p);
  }
  if (cur.length) out.push(cur);
  return out;
}

const fmt = (n: number, d = 1) => String(Math.round(n * 10 ** d) / 10 ** d);
const iso = (ms: number) => new Date(ms).toISOString();

/** Walk the tree over one endpoint's history at `at` (epoch ms). */
export function diagnose(endpoint: string, h: EndpointHistory, at: number, rules: Rules): Diagnosis {
  const v = h.values;
  const checks: Check[] = [];
  const found = new Map<Cause, Finding>();
  const add = (cause: Cause, e: Evidence, weight: number, severity: Severity) => {
    const f = found.get(cause);
    if (!f) found.set(cause, { evidence: [e], weight, severity });
    else {
      f.evidence.push(e);
      f.weight = Math.max(f.weight, weight);
      if (rank(severity) > rank(f.severity)) f.severity = severity;
    }
  };

  // 1. Reboots (Object 3 has no counter: inferred from registrations and Current Time)
  const windowStart = at - rules.rebootWindowHours * HOUR;
  const recent = h.reboots.filter((r) => r.at > windowStart && r.at <= at);
  const loop = recent.length > rules.rebootLoopCount;
  const loopEvidence: Evidence = {
    path: "/3/0",
    value: recent.length,
    rule: `restarts in ${fmt(rules.rebootWindowHours)} h, inferred (${[...new Set(recent.map((r) => r.how))].join(", ") || "none"}: a repeat Register, Current Time /3/0/13 jumping back)`,
    threshold: `> ${rules.rebootLoopCount}`,
  };
  checks.push({ step: "reboots", outcome: loop ? "reboot loop" : recent.length ? "some" : "none", detail: `${recent.length} in ${fmt(rules.rebootWindowHours)} h` });

  // 2. Signal (Object 4), by bearer
  const signal = checkSignal(v, rules);
  checks.push(signal.check);
  for (const e of signal.poor) add("poor-signal", e, 0.8, "major");

  // 3. Error log (/3/0/11)
  const codes = "/3/0/11" in v ? errorCodes(v["/3/0/11"]) : undefined;
  const unexplained: number[] = [];
  if (codes === undefined) checks.push({ step: "errors", outcome: "no data" });
  else {
    checks.push({ step: "errors", outcome: codes.length ? codes.join(", ") : "ok", detail: codes.map((c) => `${c} ${errorCodeText(c)}`).join("; ") || "0 No error" });
    for (const c of codes) {
      const e: Evidence = { path: "/3/0/11", value: c, rule: `error code ${c}: ${errorCodeText(c)}` };
      if (c === 1) add("dying-battery", e, 0.9, "major");
      else if (c === 4) add("poor-signal", e, 0.85, "major");
      else if (c === 5) add("memory-leak", e, 0.9, "major");
      else if (c === 3 || c === 8) add("hardware-fault", e, 0.9, "critical");
      else unexplained.push(c);
    }
  }

  // 4. Battery (the internal battery: /3/0/9, /3/0/20 and /3/0/7 by /3/0/6 are only valid for it)
  const battery = checkBattery(h, at, rules);
  checks.push(battery.check);
  if (battery.damaged) add("hardware-fault", battery.damaged, 0.9, "critical");
  for (const e of battery.low) add("dying-battery", e, 0.85, "major");
  if (battery.projected) add("dying-battery", battery.projected, 0.65, "warning");
  if (signal.deep) {
    // deep coverage drains the battery: evidence of a drain, not of a link failure
    add("dying-battery", signal.deep, 0.5, "warning");
  }

  // 5. Memory (/3/0/10): a sawtooth falling between reboots
  const memory = checkMemory(h, at, rules);
  checks.push(memory.check);
  if (memory.leak) add("memory-leak", memory.leak, 0.7, "warning");

  // 6. Firmware (/3/0/3 changes, /5/0/5)
  const fw = h.firmware;
  const fwRecent = fw?.since !== undefined && (rules.firmwareWindowDays === 0 || at - fw.since <= rules.firmwareWindowDays * DAY) && fw.since <= at;
  const fwChecks: string[] = [];
  const updateResult = num(v["/5/0/5"]);
  if (updateResult === UPDATE_RESULT_FAILED) {
    add("firmware-bug", { path: "/5/0/5", value: updateResult, rule: "Update Result 8: Firmware update failed" }, 0.85, "major");
    fwChecks.push("update failed");
  }
  if (fwRecent && fw) {
    const since = fw.since as number;
    const after = h.reboots.filter((r) => r.at > since && r.at <= at);
    const before = h.reboots.filter((r) => r.at <= since && r.at > since - rules.rebootWindowHours * HOUR);
    // the update's own restart comes before the new version is seen; two restarts after it are the device's own
    if (after.length >= 2 && after.length > before.length) {
      add("firmware-bug", { path: "/3/0/3", value: fw.version, rule: `${after.length} restarts since the firmware changed from ${fw.previous ?? "?"} at ${iso(since)}, ${before.length} in the ${fmt(rules.rebootWindowHours)} h before`, threshold: "≥ 2 after, more than before" }, 0.75, loop ? "critical" : "major");
      fwChecks.push("restarts began after a version change");
    }
    const newErrors = h.faults.filter((f) => unexplained.includes(f.code) && f.since > since);
    for (const f of newErrors) {
      add("firmware-bug", { path: "/3/0/11", value: f.code, rule: `error code ${f.code} (${errorCodeText(f.code)}) appeared at ${iso(f.since)}, after the firmware changed from ${fw.previous ?? "?"} to ${fw.version} at ${iso(since)}` }, 0.7, "major");
      fwChecks.push(`error ${f.code} began after a version change`);
    }
  }
  checks.push({
    step: "firmware",
    outcome: fwChecks.length ? "suspect" : fw || updateResult !== undefined ? "ok" : "no data",
    detail: [fw ? `version ${fw.version}${fw.since !== undefined ? ` since ${iso(fw.since)} (was ${fw.previous ?? "?"})` : ""}` : "", updateResult !== undefined ? `update result ${updateResult}` : "", ...fwChecks].filter(Boolean).join("; ") || undefined,
  });

  // 7. Hardware: codes 3 and 8, Battery Status 3 (above), and a fault that persisted across a reboot
  for (const c of h.persisted) {
    if (c === 1 || c === 4 || c === 5 || c === 3 || c === 8) continue; // explained above
    add("hardware-fault", { path: "/3/0/11", value: c, rule: `error code ${c} (${errorCodeText(c)}) persisted after a reboot` }, 0.85, "critical");
  }
  checks.push({ step: "hardware", outcome: found.has("hardware-fault") ? "fault" : "ok" });

  // The cause
  const order: Cause[] = ["hardware-fault", "poor-signal", "dying-battery", "memory-leak", "firmware-bug"];
  let cause: Cause | undefined = order.find((c) => found.has(c));
  const evidence: Evidence[] = [];
  let confidence = 0;
  let severity: Severity = "none";
  if (loop && cause !== undefined && cause !== "firmware-bug") evidence.push(loopEvidence);
  if (loop && (cause === undefined || cause === "firmware-bug")) {
    // a reboot loop with good signal, battery and memory: the firmware
    const missing = [signal.check, battery.check, memory.check].filter((c) => c.outcome === "no data").map((c) => c.step);
    cause = "firmware-bug";
    const good = ["signal", "battery", "memory"].filter((s) => !missing.includes(s));
    evidence.push({ ...loopEvidence, rule: `${loopEvidence.rule}: a reboot loop with ${good.length ? `good ${good.join(", ")}` : "nothing else known"}${missing.length ? ` (no data on ${missing.join(", ")})` : ""}` });
    const f = found.get("firmware-bug");
    confidence = Math.max(f?.weight ?? 0, missing.length ? 0.6 - 0.1 * missing.length : 0.7);
  }
  if (cause) {
    const f = found.get(cause);
    if (f) {
      evidence.push(...f.evidence);
      confidence = Math.max(confidence, f.weight);
      severity = f.severity;
    }
    confidence = Math.min(0.98, confidence + 0.05 * (evidence.length - 1));
    if (loop) severity = "critical";
  } else if (unexplained.length) {
    cause = "unknown";
    severity = "warning";
    confidence = 0.3;
    for (const c of unexplained) evidence.push({ path: "/3/0/11", value: c, rule: `error code ${c}: ${errorCodeText(c)}, not yet explained` });
  } else {
    const judged = [signal.check, battery.check, memory.check, codes === undefined ? { outcome: "no data" } : { outcome: "ok" }].filter((c) => c.outcome !== "no data").length;
    if (judged === 0 && recent.length === 0) {
      cause = "unknown";
      severity = "info";
      confidence = 0.2;
    } else {
      cause = "healthy";
      confidence = Math.round((0.5 + 0.1 * judged) * 100) / 100;
      if (recent.length) evidence.push(loopEvidence);
    }
  }
  const also = order.filter((c) => c !== cause && found.has(c));
  return {
    endpoint,
    at: iso(at),
    cause,
    severity,
    confidence: Math.round(confidence * 100) / 100,
    evidence,
    checks,
    remediation: remediation(cause, evidence, h, memory.daysLeft, signal.bearer),
    truckRoll: cause === "hardware-fault",
    also,
    reboots: recent.length,
  };
}

function rank(s: Severity): number {
  return ["none", "info", "warning", "major", "critical"].indexOf(s);
}

function checkSignal(v: Record<string, unknown>, rules: Rules): { check: Check; poor: Evidence[]; deep?: Evidence; bearer?: number } {
  const bearer = num(v["/4/0/0"]);
  const rss = num(v["/4/0/2"]);
  const sinr = num(v["/4/0/11"]);
  const ce = num(v["/4/0/13"]);
  if (bearer === undefined && rss === undefined) return { check: { step: "signal", outcome: "no data" }, poor: [] };
  const cls = bearer === undefined ? "other" : signalClass(bearer);
  const name = bearer === undefined ? "unknown bearer" : bearerName(bearer);
  const poor: Evidence[] = [];
  let deep: Evidence | undefined;
  if (cls === "nbiot" && ce !== undefined && ce >= rules.deepCoverageLevel) {
    deep = { path: "/4/0/13", value: ce, rule: `NB-IoT deep coverage (coverage enhancement level ${ce - 1}): repetitions drain the battery`, threshold: `≥ ${rules.deepCoverageLevel}` };
  }
  if (cls === "lte" || cls === "nbiot") {
    // in deep coverage a low NRSRP is what coverage enhancement is for: a battery drain, not a link failure
    if (!deep && rss !== undefined && rss < rules.rsrpMinDbm) poor.push({ path: "/4/0/2", value: rss, rule: `${name} RSRP below the floor`, threshold: `< ${rules.rsrpMinDbm} dBm` });
    if (!deep && sinr !== undefined && sinr < rules.sinrMinDb) poor.push({ path: "/4/0/11", value: sinr, rule: `${name} SINR below the floor`, threshold: `< ${rules.sinrMinDb} dB` });
  } else if (cls === "gsm") {
    if (rss !== undefined && rss < rules.gsmRssiMinDbm) poor.push({ path: "/4/0/2", value: rss, rule: "GSM RSSI below the floor", threshold: `< ${rules.gsmRssiMinDbm} dBm` });
  } else if (cls === "wlan") {
    if (rss !== undefined && rss < rules.wlanRssiMinDbm) poor.push({ path: "/4/0/2", value: rss, rule: "WLAN signal below the floor", threshold: `< ${rules.wlanRssiMinDbm} dBm` });
  } else if (cls === "wireline") {
    return { check: { step: "signal", outcome: "ok", detail: `${name}: wireline, no radio` }, poor, bearer };
  } else {
    return { check: { step: "signal", outcome: "not judged", detail: `${name}: no floor for this bearer` }, poor, bearer };
  }
  const detail = [`${name}`, rss !== undefined ? `/4/0/2 ${rss} dBm` : "", sinr !== undefined ? `SINR ${sinr} dB` : "", ce !== undefined ? `CE ${ce}` : ""].filter(Boolean).join(", ");
  return { check: { step: "signal", outcome: poor.length ? "poor" : deep ? "deep coverage" : rss === undefined && sinr === undefined ? "no data" : "ok", detail }, poor, deep, bearer };
}

function checkBattery(h: EndpointHistory, at: number, rules: Rules): { check: Check; low: Evidence[]; projected?: Evidence; damaged?: Evidence } {
  const v = h.values;
  const sources = instances(v["/3/0/6"]);
  const hasSources = Object.keys(sources).length > 0;
  const internal = Object.entries(sources).find(([, s]) => num(s) === INTERNAL_BATTERY)?.[0];
  const level = num(v["/3/0/9"]);
  const status = num(v["/3/0/20"]);
  const low: Evidence[] = [];
  if (hasSources && internal === undefined) {
    return { check: { step: "battery", outcome: "no battery", detail: "no internal battery among /3/0/6 power sources" }, low };
  }
  if (level === undefined && status === undefined && internal === undefined) return { check: { step: "battery", outcome: "no data" }, low };
  let damaged: Evidence | undefined;
  if (status === 3) damaged = { path: "/3/0/20", value: 3, rule: "Battery Status 3: Damaged" };
  if (status === 4) low.push({ path: "/3/0/20", value: 4, rule: "Battery Status 4: Low Battery" });
  if (level !== undefined && level < rules.batteryLevelMin) low.push({ path: "/3/0/9", value: level, rule: "battery level below the floor", threshold: `< ${rules.batteryLevelMin} %` });
  if (internal !== undefined && rules.batteryMinMv > 0) {
    const mv = num(instances(v["/3/0/7"])[internal]);
    if (mv !== undefined && mv < rules.batteryMinMv) low.push({ path: `/3/0/7/${internal}`, value: mv, rule: `internal battery voltage (power source instance ${internal}) below the floor`, threshold: `< ${rules.batteryMinMv} mV` });
  }
  let projected: Evidence | undefined;
  let tr: Trend | undefined;
  if (rules.batteryHorizonDays > 0 && status !== 1) {
    const segs = segments(h.battery.filter((s) => s.at <= at), [], (a, b) => b - a > BATTERY_RESET_POINTS);
    tr = trend(segs[segs.length - 1] ?? [], rules.minSamples);
    if (tr && tr.perDay < 0 && tr.steady >= STEADY_SHARE && tr.daysLeft <= rules.batteryHorizonDays) {
      projected = {
        path: "/3/0/9",
        value: tr.last.v,
        rule: `battery level falling ${fmt(-tr.perDay)} %/day over ${tr.samples} samples since ${iso(tr.first.at)}: empty in ${fmt(tr.daysLeft)} days`,
        threshold: `empty within ${fmt(rules.batteryHorizonDays)} days`,
      };
    }
  }
  const detail = [
    level !== undefined ? `level ${level} %` : "",
    status !== undefined ? `status ${status} ${BATTERY_STATUS[status] ?? ""}`.trim() : "",
    tr ? `${fmt(tr.perDay)} %/day` : "",
  ]
    .filter(Boolean)
    .join(", ");
  return { check: { step: "battery", outcome: damaged ? "damaged" : low.length ? "low" : projected ? "falling" : "ok", detail: detail || undefined }, low, projected, damaged };
}

function checkMemory(h: EndpointHistory, at: number, rules: Rules): { check: Check; leak?: Evidence; daysLeft?: number } {
  const samples = h.memory.filter((s) => s.at <= at);
  if (!samples.length) return { check: { step: "memory", outcome: "no data" } };
  const teeth = segments(
    samples,
    h.reboots.map((r) => r.at),
    (a, b) => b > a * (1 + MEMORY_RESET_SHARE),
  );
  const cur = trend(teeth[teeth.length - 1], rules.minSamples);
  const prev = teeth.length > 1 ? trend(teeth[teeth.length - 2], rules.minSamples) : undefined;
  const falling = (t: Trend | undefined) => !!t && t.perDay < 0 && t.steady >= STEADY_SHARE;
  // the current tooth decides; until it has enough samples, the last whole tooth does (it reset at the reboot)
  const t = cur ?? prev;
  // the teeth before the deciding one that fell too: the sawtooth repeating
  const earlier = teeth.slice(0, cur ? -1 : -2).filter((s) => falling(trend(s, rules.minSamples))).length;
  const last = samples[samples.length - 1];
  if (!t) return { check: { step: "memory", outcome: "ok", detail: `${last.v} kB free, too few samples for a trend` } };
  if (!falling(t)) return { check: { step: "memory", outcome: "ok", detail: `${last.v} kB free, ${fmt(t.perDay)} kB/day` } };
  const daysLeft = cur ? t.daysLeft : last.v / -t.perDay;
  const tooth = cur ? "since the last reboot" : "before the last reboot, then reset";
  const leak =
    rules.memoryHorizonDays > 0 && daysLeft <= rules.memoryHorizonDays
      ? {
          path: "/3/0/10",
          value: last.v,
          rule: `Memory Free falling ${fmt(-t.perDay)} kB/day ${tooth} (${t.samples} samples${earlier ? `; ${earlier} earlier ${earlier > 1 ? "teeth" : "tooth"} of the sawtooth fell too` : ""}): exhausted in ${fmt(daysLeft)} days`,
          threshold: `exhausted within ${fmt(rules.memoryHorizonDays)} days`,
        }
      : undefined;
  return { check: { step: "memory", outcome: leak ? "leak" : "falling", detail: `${last.v} kB free, ${fmt(t.perDay)} kB/day` }, leak, daysLeft };
}

function remediation(cause: Cause, evidence: Evidence[], h: EndpointHistory, memDays: number | undefined, bearer: number | undefined): Diagnosis["remediation"] {
  switch (cause) {
    case "healthy":
      return { remote: true, action: "none: keep observing" };
    case "poor-signal": {
      const alt = Object.values(instances(h.values["/4/0/1"]))
        .map(num)
        .filter((b): b is number => b !== undefined && b !== bearer);
      return {
        remote: true,
        action: `poor ${bearer === undefined ? "" : bearerName(bearer) + " "}signal: ${alt.length ? `switch to another available bearer (/4/0/1: ${alt.map(bearerName).join(", ")}), ` : ""}lengthen the reporting interval and rely on store-and-forward; check the cell with the operator; an external antenna only at the next planned visit`,
      };
    }
    case "dying-battery": {
      const deep = evidence.some((e) => e.path === "/4/0/13");
      return {
        remote: true,
        action: `${deep ? "deep NB-IoT coverage drains the battery: enable PSM/eDRX and " : ""}lengthen the reporting interval to save the battery; schedule a battery replacement with the next planned maintenance`,
      };
    }
    case "memory-leak":
      return {
        remote: true,
        action: `execute Reboot (/3/0/4) to reclaim memory${memDays !== undefined && Number.isFinite(memDays) ? ` within ${Math.max(0, Math.floor(memDays * 10) / 10)} days` : ""} and schedule it until a firmware fix is rolled out (Object 5); report the sawtooth to the vendor`,
      };
    case "firmware-bug": {
      const fw = h.firmware;
      return {
        remote: true,
        action: `${fw?.previous ? `roll back from ${fw.version} to ${fw.previous}` : "update to a fixed firmware"} through Object 5 and pause the rollout; check /3/0/3 after the update`,
      };
    }
    case "hardware-fault": {
      const part = evidence.map(partFor).find((p) => p) ?? "device";
      return { remote: false, action: `dispatch a technician with a replacement ${part}`, part };
    }
    default: {
      const codes = evidence.filter((e) => e.path === "/3/0/11").map((e) => e.value);
      return codes.length
        ? { remote: true, action: `execute Reboot (/3/0/4) and diagnose again: an error code that persists after a reboot (${codes.join(", ")}) is a hardware fault` }
        : { remote: true, action: "read /3/0, /4/0, /5/0 and /7/0 and diagnose again" };
    }
  }
}

function partFor(e: Evidence): string | undefined {
  if (e.path === "/3/0/20") return "internal battery";
  if (e.path !== "/3/0/11") return undefined;
  if (e.value === 3) return "GPS module";
  if (e.value === 8) return "peripheral (see Event Log, Object 20)";
  if (e.value === 2) return "external power supply";
  if (e.value === 6 || e.value === 7) return "radio module";
  return undefined;
}
