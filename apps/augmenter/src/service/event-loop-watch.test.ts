import { describe, expect, it } from "vitest";
import { EventLoopWatch } from "./event-loop-watch";

describe("EventLoopWatch", () => {
  it("is alive while ticks come on time, and says how long the loop was blocked when one comes late", () => {
    let now = 0;
    const w = new EventLoopWatch(1_000, 10_000, () => now);
    now = 1_050;
    w.tick();
    expect(w.report()).toEqual({ alive: true, eventLoopLagMs: 50 });
    now = 1_050 + 1_000 + 12_000;
    w.tick();
    expect(w.report()).toEqual({
      alive: false,
      eventLoopLagMs: 12_000,
      reason: "the event loop was blocked for 12000 ms",
    });
    // Still said by a probe that comes several ticks later; forgotten after the window.
    for (let i = 0; i < 5; i++) {
      now += 1_000;
      w.tick();
    }
    expect(w.report().alive).toBe(false);
    for (let i = 0; i < 30; i++) {
      now += 1_000;
      w.tick();
    }
    expect(w.report()).toEqual({ alive: true, eventLoopLagMs: 0 });
    w.close();
  });
});
