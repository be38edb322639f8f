import { pairText, pairWireBytes, type Pair } from "@rl/cache";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BatchQueue, type BatchQueueOptions } from "./batch-queue";

const pair = (i: number, title = `title ${i}`): Pair => ({
  company: `c${i}`,
  title,
  key: pairText(`c${i}`, title),
});
const keys = (pairs: readonly Pair[] | undefined) => (pairs ?? []).map((p) => p.company);

/** A queue whose `onReady` calls are counted. */
function queue(options: Partial<BatchQueueOptions> = {}) {
  const ready = { calls: 0 };
  const q = new BatchQueue({ batchSize: 3, maxRequestBytes: 1_000_000, lingerMs: 50, ...options }, () => {
    ready.calls += 1;
  });
  return { q, ready };
}

describe("BatchQueue", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("lingers with a partial batch, then is ready with it", () => {
    const { q, ready } = queue();
    q.add([pair(1)]);
    q.add([pair(2)]);
    expect(q.ready).toBe(false);
    expect(q.take()).toBeUndefined();
    vi.advanceTimersByTime(49);
    expect(q.ready).toBe(false);
    vi.advanceTimersByTime(1);
    expect(ready.calls).toBe(1);
    expect(keys(q.take()?.pairs)).toEqual(["c1", "c2"]);
    expect(q.ready).toBe(false);
  });

  it("cuts by count: ready at once when a batch fills, and the rest lingers", () => {
    const { q, ready } = queue({ batchSize: 3 });
    for (let i = 1; i <= 2; i += 1) q.add([pair(i)]);
    expect(ready.calls).toBe(0);
    q.add([pair(3)]);
    expect(ready.calls).toBe(1); // the third pair filled a batch
    q.add([pair(4)]);
    expect(keys(q.take()?.pairs)).toEqual(["c1", "c2", "c3"]);
    expect(q.ready).toBe(false); // c4 waits out the linger started by c1
    vi.advanceTimersByTime(50);
    expect(keys(q.take()?.pairs)).toEqual(["c4"]);
  });

  it("cuts by encoded bytes, with one pair at least even when it alone is larger", () => {
    const big = (i: number) => pair(i, "x".repeat(400));
    const each = pairWireBytes(big(1));
    const { q } = queue({ batchSize: 100, maxRequestBytes: each * 2 + 10 });
    for (let i = 1; i <= 5; i += 1) q.add([big(i)]);
    expect(keys(q.take()?.pairs)).toEqual(["c1", "c2"]);
    expect(keys(q.take()?.pairs)).toEqual(["c3", "c4"]);
    expect(q.take()).toBeUndefined(); // c5 alone is a partial batch: it lingers

    const { q: tiny } = queue({ batchSize: 100, maxRequestBytes: 10 });
    tiny.add([big(7)]);
    tiny.add([big(8)]);
    expect(keys(tiny.take()?.pairs)).toEqual(["c7"]);
    expect(keys(tiny.take()?.pairs)).toEqual(["c8"]);
  });

  it("hands out retries before new pairs, and a batch put back before either", () => {
    const { q, ready } = queue({ batchSize: 2 });
    q.add([pair(1)]);
    q.add([pair(2)]);
    q.retry({ pairs: [pair(8)], attempt: 2 });
    q.retry({ pairs: [pair(9)], attempt: 3 });
    q.putBack({ pairs: [pair(7)], attempt: 1 });
    expect(ready.calls).toBe(3); // the full batch, then each retry
    expect(keys(q.take()?.pairs)).toEqual(["c7"]);
    expect(q.take()).toMatchObject({ attempt: 2 });
    expect(q.take()).toMatchObject({ attempt: 3 });
    expect(q.take()).toEqual({ pairs: [pair(1), pair(2)], attempt: 1 });
    expect(q.take()).toBeUndefined();
  });

  it("sends taken-over pairs without lingering", () => {
    const { q, ready } = queue();
    q.addNow([pair(1)]);
    expect(ready.calls).toBe(1);
    expect(keys(q.take()?.pairs)).toEqual(["c1"]);
  });

  it("a linger that expires on an empty queue does not let the next pair skip its own", () => {
    const { q } = queue({ batchSize: 2 });
    q.add([pair(1)]);
    q.add([pair(2)]);
    q.take(); // cut by count; c1's linger timer still runs
    vi.advanceTimersByTime(50);
    q.add([pair(3)]);
    expect(q.ready).toBe(false);
    vi.advanceTimersByTime(50);
    expect(q.ready).toBe(true);
  });

  it("clear() empties it and stops the linger", () => {
    const { q, ready } = queue();
    q.add([pair(1)]);
    q.retry({ pairs: [pair(2)], attempt: 2 });
    q.clear();
    vi.advanceTimersByTime(100);
    expect(ready.calls).toBe(1); // the retry's only
    expect(q.length).toBe(0);
    expect(q.take()).toBeUndefined();
  });
});
