import { describe, expect, it } from "vitest";
import { PairThrottle } from "./pair-throttle";

describe("PairThrottle", () => {
  it("serves pairs FIFO at the configured rate and queues beyond it", () => {
    let now = 0;
    const t = new PairThrottle(1000, () => now);
    expect(t.admit(1000)).toBe(1000);
    expect(t.admit(500)).toBe(1500); // waits for the first batch
    expect(t.depth).toEqual({ pairs: 1500, batches: 2, maxPairs: 1500 });
    now = 1000;
    t.release(1000);
    expect(t.pending).toBe(500);
    now = 5000; // idle: no credit accumulates for idle time
    expect(t.admit(100)).toBe(100);
  });
});
