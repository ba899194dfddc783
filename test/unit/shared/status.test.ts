import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { StatusReporter, type StatusClock } from "../../../nodes/shared/status";

/** A clock the test moves by hand, with the timers it fires. */
export function fakeClock(start = 1_000_000): StatusClock & { tick(ms: number): void; pending(): number } {
  let t = start;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let next = 1;
  return {
    now: () => t,
    setTimeout(fn, ms) {
      const id = next++;
      timers.push({ at: t + ms, fn, id });
      return id;
    },
    clearTimeout(id) {
      timers = timers.filter((x) => x.id !== id);
    },
    tick(ms) {
      const end = t + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const due = timers[0];
        if (!due || due.at > end) break;
        timers.shift();
        t = due.at;
        due.fn();
      }
      t = end;
    },
    pending: () => timers.length,
  };
}

function setup() {
  const drawn: Record<string, unknown>[] = [];
  const clock = fakeClock();
  const status = new StatusReporter({ status: (s: Record<string, unknown>) => void drawn.push(s) } as never, 1000, clock);
  return { status, drawn, tick: clock.tick, clock, texts: () => drawn.map((s) => s.text) };
}

describe("shared/status", () => {
  it("the last update of a throttled burst is drawn when the throttle window ends", () => {
    const { status, texts, tick } = setup();
    status.ok("1");
    tick(100);
    status.ok("2");
    tick(100);
    status.ok(() => "3");
    assert.deepEqual(texts(), ["1"], "throttled within the second");
    tick(799);
    assert.deepEqual(texts(), ["1"]);
    tick(1);
    assert.deepEqual(texts(), ["1", "3"], "the last of the burst, once the window ends");
    tick(5000);
    assert.deepEqual(texts(), ["1", "3"], "drawn once");
    // a burst that ends on the text already shown draws nothing more
    status.warn("v");
    status.warn("x");
    status.warn("v");
    tick(2000);
    assert.deepEqual(texts(), ["1", "3", "v"]);
  });

  it("alternating kinds are throttled on time too: 1,000 ok/warn updates within 1 ms draw once, then the last", () => {
    const { status, drawn, tick, clock } = setup();
    for (let i = 0; i < 1000; i++) (i % 2 ? status.warn : status.ok).call(status, `n${i}`);
    assert.equal(drawn.length, 1, "one draw, not 1,000");
    tick(1000);
    assert.equal(drawn.length, 2);
    assert.deepEqual(drawn[1], { fill: "yellow", shape: "ring", text: "n999" });
    assert.equal(clock.pending(), 0);
  });

  it("a move to error is drawn at once; repeated errors are throttled", () => {
    const { status, texts, tick } = setup();
    status.ok("a");
    status.error("e1");
    status.error("e2");
    status.ok("b");
    assert.deepEqual(texts(), ["a", "e1"]);
    tick(1000);
    assert.deepEqual(texts(), ["a", "e1", "b"]);
  });

  it("clear() and close() cancel a pending trailing update; nothing is drawn after close()", () => {
    const { status, drawn, texts, tick, clock } = setup();
    status.ok("1");
    status.ok("2");
    status.clear();
    tick(2000);
    assert.deepEqual(drawn, [{ fill: "green", shape: "dot", text: "1" }, {}]);
    status.error("e1");
    status.error("e2");
    status.close();
    tick(2000);
    status.ok("after close");
    status.clear();
    tick(2000);
    assert.deepEqual(texts(), ["1", undefined, "e1"]);
    assert.equal(clock.pending(), 0, "no timer left behind");
  });
});
