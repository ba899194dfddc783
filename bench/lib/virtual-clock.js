// A virtual clock for simulating hours of slow traffic in seconds: setTimeout, setInterval and Date.now are
// replaced for the whole process, and the driver skips the time in which nothing happens. Real work is not
// skipped: while an fs callback (an fsync, a close) is in flight, or setImmediate work is queued, the driver
// waits in real time and the virtual clock runs with the real one. So an fsync still takes as long as it
// takes, and appends arriving meanwhile still wait for the next one (group commit), as they would.
// Install it before requiring the code under test.
"use strict";
const fs = require("fs");

function installVirtualClock() {
  const real = { setTimeout, clearTimeout, setImmediate, DateNow: Date.now };
  let offset = 0;
  const now = () => real.DateNow() + offset;
  const timers = new Map();
  let nextId = 1;
  class Handle {
    constructor(id) {
      this.id = id;
    }
    ref() {
      return this;
    }
    unref() {
      return this;
    }
    hasRef() {
      return true;
    }
    refresh() {
      const t = timers.get(this.id);
      if (t) t.at = now() + t.ms;
      return this;
    }
    [Symbol.toPrimitive]() {
      return this.id;
    }
  }
  const add = (fn, ms, args, repeat) => {
    const id = nextId++;
    const delay = Math.max(1, Number(ms) || 0);
    timers.set(id, { at: now() + delay, ms: delay, fn: () => fn(...args), repeat });
    return new Handle(id);
  };
  const clear = (h) => {
    if (h !== undefined && h !== null) timers.delete(typeof h === "object" ? h.id : Number(h));
  };
  global.setTimeout = (fn, ms, ...args) => add(fn, ms, args, false);
  global.setInterval = (fn, ms, ...args) => add(fn, ms, args, true);
  global.clearTimeout = clear;
  global.clearInterval = clear;
  Date.now = now;

  // fs callbacks in flight (the journal's fsyncs and closes run on libuv's thread pool)
  let inflight = 0;
  let counts = {};
  for (const name of ["fsync", "fdatasync", "close", "write", "writeFile", "rename", "unlink", "rm", "open", "read"]) {
    const orig = fs[name];
    fs[name] = function (...args) {
      const cb = args[args.length - 1];
      if (typeof cb !== "function") return orig.apply(this, args);
      inflight++;
      counts[name] = (counts[name] || 0) + 1;
      args[args.length - 1] = function (...r) {
        inflight--;
        return cb.apply(this, r);
      };
      return orig.apply(this, args);
    };
  }
  for (const name of ["fsyncSync", "fdatasyncSync"]) {
    const orig = fs[name];
    fs[name] = function (...args) {
      counts[name] = (counts[name] || 0) + 1;
      return orig.apply(this, args);
    };
  }

  const tick = () => new Promise((r) => real.setImmediate(r));
  const sleep = (ms) => new Promise((r) => real.setTimeout(r, ms));

  /** Run due timers in time order. */
  function fireDue() {
    let fired = 0;
    for (;;) {
      let first;
      for (const [id, t] of timers) if (t.at <= now() && (!first || t.at < first[1].at)) first = [id, t];
      if (!first) return fired;
      const [id, t] = first;
      if (t.repeat) t.at += t.ms;
      else timers.delete(id);
      t.fn();
      fired++;
    }
  }

  /**
   * Drive events until virtual time `until`: `events` is a sorted array of virtual times at which `onEvent(i)`
   * runs (an arriving reading); timers fire when due. Idle time is skipped.
   */
  async function drive(until, events, onEvent) {
    let i = 0;
    for (;;) {
      let busy = false;
      while (i < events.length && events[i] <= now()) {
        onEvent(i++);
        busy = true;
      }
      if (fireDue()) busy = true;
      await tick();
      await tick();
      if (inflight > 0) {
        await sleep(0);
        continue;
      }
      if (busy) continue;
      const nextTimer = Math.min(Infinity, ...[...timers.values()].map((t) => t.at));
      const next = Math.min(i < events.length ? events[i] : Infinity, nextTimer);
      if (next > until) {
        if (until > now()) offset += until - now();
        return;
      }
      if (next > now()) offset += next - now();
    }
  }

  return {
    now,
    drive,
    counts: () => ({ ...counts }),
    resetCounts: () => {
      counts = {};
    },
    pendingTimers: () => timers.size,
  };
}

module.exports = { installVirtualClock };
