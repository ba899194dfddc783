import { test, mock } from "node:test";
import assert from "node:assert/strict";
import { StatusReporter } from "../../nodes/shared/status";

/** A StatusReporter on a fake node, with a clock the test moves (setTimeout is mocked alongside). */
function setup() {
  const drawn: Record<string, unknown>[] = [];
  let t = 1_000_000;
  const status = new StatusReporter({ status: (s: Record<string, unknown>) => void drawn.push(s) } as never, 1000, () => t);
  mock.timers.enable({ apis: ["setTimeout"] });
  const tick = (ms: number) => {
    t += ms;
    mock.timers.tick(ms);
  };
  return { status, drawn, tick, texts: () => drawn.map((s) => s.text) };
}

test("status: the last update of a throttled burst is drawn when the throttle window ends", (t) => {
  t.after(() => mock.timers.reset());
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
  // a change of kind shows at once and drops the pending update
  status.ok("4");
  tick(10);
  status.ok("5");
  status.warn("w");
  tick(2000);
  assert.deepEqual(texts(), ["1", "3", "4", "w"]);
  // a burst that ends on the text already shown draws nothing more
  status.warn("v");
  status.warn("x");
  status.warn("v");
  tick(2000);
  assert.deepEqual(texts(), ["1", "3", "4", "w", "v"]);
});

test("status: clear() and close() cancel a pending trailing update; nothing is drawn after close()", (t) => {
  t.after(() => mock.timers.reset());
  const { status, drawn, texts, tick } = setup();
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
});
