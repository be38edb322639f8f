import { TwoTierCache, pairKey, type SeniorityStore } from "@rl/cache";
import { describe, expect, it } from "vitest";
import { InferenceScheduler } from "./inference-scheduler";
import { expected, fakeModel, fast, flakyStore, pair, value } from "./scheduler-fakes";

describe("InferenceScheduler while L2 cannot store", () => {
  it("still answers when the L2 write fails, serving from L1 and counting the error", async () => {
    const broken: SeniorityStore = {
      description: "broken",
      getMany: async (k) => k.map(() => undefined),
      setMany: async () => {
        throw new Error("READONLY");
      },
      close: async () => {},
    };
    const cache = new TwoTierCache(broken, 100);
    const errors: string[] = [];
    const s = new InferenceScheduler(fakeModel().model, cache, fast, {
      onCacheWriteError: (e) => errors.push(e.message),
    });
    const v = await value(s.request(pair(4)));
    expect(cache.l1Value(pair(4).key)).toBe(v);
    expect(errors).toEqual(["READONLY"]);
    expect(s.stats().cacheWriteErrors).toBe(1);
  });
  it("pauses model calls while L2 cannot store, then stores what waited and goes on", async () => {
    const { flaky, inner, l2 } = flakyStore(true);
    const outages: string[] = [];
    const cache = new TwoTierCache(flaky, 100, {
      probeMs: 20,
      events: { onDown: (e) => outages.push(`down: ${e.message}`), onUp: () => outages.push("up") },
    });
    const { model, calls } = fakeModel();
    const s = new InferenceScheduler(model, cache, fast);
    // Answered, but cannot be stored: serves from L1 and waits to be stored.
    const first = await value(s.request(pair(1)));
    expect(first).toBe(expected(pair(1)));
    expect(s.stats()).toMatchObject({ unstored: 1, cacheWriteErrors: 1 });
    // While L2 is down no new pair goes to the model.
    const second = value(s.request(pair(2)));
    await new Promise((r) => setTimeout(r, 150));
    expect(calls).toHaveLength(1);
    l2.down = false;
    expect(await second).toBe(expected(pair(2)));
    expect(calls).toHaveLength(2);
    expect(await inner.getMany([pairKey(pair(1).key), pairKey(pair(2).key)])).toEqual([
      expected(pair(1)),
      expected(pair(2)),
    ]);
    expect(s.stats().unstored).toBe(0);
    expect(outages).toEqual(["down: ECONNREFUSED", "up"]);
    s.close();
    cache.availability.close();
  });

  it("stores answers that waited for L2 as soon as it is back, even when no other work comes", async () => {
    const { flaky, inner, l2 } = flakyStore(false);
    const cache = new TwoTierCache(flaky, 100, { probeMs: 20 });
    const { model } = fakeModel(() => {
      l2.down = true; // L2 goes while the pair is at the model
      return undefined;
    });
    const s = new InferenceScheduler(model, cache, fast);
    expect(await value(s.request(pair(7)))).toBe(expected(pair(7)));
    expect(s.stats().unstored).toBe(1);
    l2.down = false;
    await new Promise((r) => setTimeout(r, 150));
    expect(s.stats().unstored).toBe(0);
    expect(await inner.getMany([pairKey(pair(7).key)])).toEqual([expected(pair(7))]);
    s.close();
    cache.availability.close();
  });
});
