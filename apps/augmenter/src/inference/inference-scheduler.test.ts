import * as grpc from "@grpc/grpc-js";
import { MemoryStore, TwoTierCache, pairKey } from "@rl/cache";
import { loadSeniorityProto } from "@rl/proto";
import { describe, expect, it, vi } from "vitest";
import type { ModelRequest as SeniorityRequest, SeniorityModel } from "../model/seniority-model";
import { InferenceScheduler } from "./inference-scheduler";
import { expected, fakeModel, fast, grpcError, mkPair, pair, truth, value } from "./scheduler-fakes";

describe("InferenceScheduler", () => {
  it("sends a pair requested many times once (single-flight) and resolves every requester", async () => {
    const { model, calls } = fakeModel();
    const s = new InferenceScheduler(model, new TwoTierCache(new MemoryStore(), 100), fast);
    const reqs = [s.request(pair(1)), s.request(pair(1)), s.request(pair(2)), s.request(pair(1))];
    expect(reqs.map((r) => r.joined)).toEqual([false, true, false, true]);
    expect(await Promise.all(reqs.map(value))).toEqual([pair(1), pair(1), pair(2), pair(1)].map(expected));
    expect(calls.flatMap((c) => c.batch)).toHaveLength(2);
    expect(s.stats()).toMatchObject({ requested: 2, joined: 2, pairsSent: 2, rpcs: 1 });
  });

  it("fills batches of at most batchSize with index uuids", async () => {
    const { model, calls } = fakeModel();
    const s = new InferenceScheduler(model, new TwoTierCache(new MemoryStore(), 10_000), {
      ...fast,
      batchSize: 1000,
    });
    const values = await Promise.all(Array.from({ length: 2500 }, (_, i) => value(s.request(pair(i)))));
    expect(values).toEqual(Array.from({ length: 2500 }, (_, i) => expected(pair(i))));
    expect(calls.map((c) => c.batch.length)).toEqual([1000, 1000, 500]);
    for (const c of calls) expect(c.batch.map((r) => r.uuid)).toEqual(c.batch.map((_, i) => i));
  });

  it("writes answers to L2 before resolving the waiters", async () => {
    const l2 = new MemoryStore();
    const { model } = fakeModel();
    const s = new InferenceScheduler(model, new TwoTierCache(l2, 10), fast);
    const v = await value(s.request(pair(5)));
    expect(await l2.getMany([pairKey(pair(5).key)])).toEqual([v]);
  });

  it("paces batches at the model's rate", async () => {
    const { model, calls } = fakeModel();
    const s = new InferenceScheduler(model, new TwoTierCache(new MemoryStore(), 10_000), {
      ...fast,
      pairsPerSecond: 5000,
      batchSize: 500,
      maxInFlight: 4,
    });
    await Promise.all(Array.from({ length: 2000 }, (_, i) => value(s.request(pair(i)))));
    // 500 pairs at 5000/s: one batch every 100 ms, on an absolute schedule: a batch sent late
    // (a loaded machine) does not push the next ones back, so consecutive gaps may be shorter,
    // but the i-th batch never goes before its slot.
    const first = calls[0]?.at ?? 0;
    calls.forEach((c, i) => expect(c.at - first).toBeGreaterThanOrEqual(i * 100 - 5));
  });

  it("paces batches at the model's rate, neither slower nor faster (fake clock)", async () => {
    vi.useFakeTimers();
    try {
      const at: number[] = [];
      const model: SeniorityModel = {
        async infer(batch) {
          at.push(Date.now());
          return batch.map((r) => ({ uuid: r.uuid, seniority: truth(r) }));
        },
        close() {},
      };
      const options = { ...fast, pairsPerSecond: 1000, batchSize: 100, maxInFlight: 4 };
      const cache = new TwoTierCache(new MemoryStore(), 10_000);
      const s = new InferenceScheduler(model, cache, options, {}, () => Date.now());
      const all = Promise.all(Array.from({ length: 1000 }, (_, i) => value(s.request(pair(i)))));
      await vi.advanceTimersByTimeAsync(5_000);
      expect(await all).toEqual(Array.from({ length: 1000 }, (_, i) => expected(pair(i))));
      expect(at).toHaveLength(10);
      // 10 batches of 100 pairs at 1000 pairs/s occupy a second: the first send to the end of
      // the last batch's slot.
      const span = (at.at(-1) ?? 0) - (at[0] ?? 0) + 100;
      expect(span).toBeGreaterThanOrEqual(900);
      expect(span).toBeLessThanOrEqual(1100);
    } finally {
      vi.useRealTimers();
    }
  });

  it.each([
    ["a missing uuid", (b: SeniorityRequest[]) => b.slice(1).map((r) => ({ uuid: r.uuid, seniority: 1 }))],
    [
      "a duplicated uuid",
      (b: SeniorityRequest[]) => b.map((r) => ({ uuid: r.uuid === 1 ? 0 : r.uuid, seniority: truth(r) })),
    ],
    [
      "a duplicated uuid plus an extra answer",
      (b: SeniorityRequest[]) => [
        ...b.map((r) => ({ uuid: r.uuid, seniority: truth(r) })),
        { uuid: 0, seniority: 7 },
      ],
    ],
    [
      "an unknown uuid",
      (b: SeniorityRequest[]) => b.map((r, i) => ({ uuid: i === 0 ? 999 : r.uuid, seniority: 1 })),
    ],
    [
      "a seniority outside 1..7",
      (b: SeniorityRequest[]) => b.map((r) => ({ uuid: r.uuid, seniority: r.uuid === 1 ? 8 : 1 })),
    ],
    [
      "answers in another order (valid)",
      (b: SeniorityRequest[]) => [...b].reverse().map((r) => ({ uuid: r.uuid, seniority: truth(r) })),
    ],
  ])("never assigns a wrong value on %s: retries until a valid answer", async (_name, corrupt) => {
    const { model, calls } = fakeModel((n, b) => (n === 1 ? corrupt(b) : undefined));
    const s = new InferenceScheduler(model, new TwoTierCache(new MemoryStore(), 100), fast);
    const texts = [pair(1), pair(2), pair(3)];
    expect(await Promise.all(texts.map((t) => value(s.request(t))))).toEqual(texts.map(expected));
    expect(calls.length).toBeLessThanOrEqual(2);
  });

  it("retries UNAVAILABLE, DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED with backoff", async () => {
    const codes = [grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.RESOURCE_EXHAUSTED];
    const { model, calls } = fakeModel((n) => (n <= 3 ? grpcError(codes[n - 1] as grpc.status) : undefined));
    const s = new InferenceScheduler(model, new TwoTierCache(new MemoryStore(), 100), fast);
    expect(await value(s.request(pair(7)))).toBe(expected(pair(7)));
    expect(calls).toHaveLength(4);
    expect(s.stats()).toMatchObject({ retries: 3, failedRpcs: 3 });
  });

  it("fails the batch after maxAttempts, and at once on a non-retryable status", async () => {
    const always = fakeModel(() => grpcError(grpc.status.UNAVAILABLE));
    const s = new InferenceScheduler(always.model, new TwoTierCache(new MemoryStore(), 100), {
      ...fast,
      maxAttempts: 3,
    });
    await expect(value(s.request(pair(1)))).rejects.toThrow(/UNAVAILABLE.*after 3 attempts/);
    expect(always.calls).toHaveLength(3);

    const internal = fakeModel(() => grpcError(grpc.status.INTERNAL));
    const t = new InferenceScheduler(internal.model, new TwoTierCache(new MemoryStore(), 100), fast);
    await expect(value(t.request(pair(1)))).rejects.toThrow(/INTERNAL.*after 1 attempt\)/);
    expect(internal.calls).toHaveLength(1);
    // A failed pair can be asked for again later.
    expect(t.request(pair(1)).joined).toBe(false);
    t.close();
  });
});

describe("InferenceScheduler stopping", () => {
  it("drain() sends no batch that is still waiting for its pacing slot, and close() ends the wait", async () => {
    const { model, calls } = fakeModel();
    // A shared schedule that is far behind: every batch must wait 60 s for its slot.
    const pacer = { readyIn: () => 0, reserve: async () => 60_000 };
    const s = new InferenceScheduler(model, new TwoTierCache(new MemoryStore(), 100), { ...fast, pacer });
    const r = s.request(pair(1));
    await new Promise((res) => setTimeout(res, 50)); // the batch is taken and waits for its slot
    const t0 = Date.now();
    await s.drain(5_000);
    expect(Date.now() - t0).toBeLessThan(1_000); // drained at once, not after the 60 s wait
    s.close();
    await expect(r.result).rejects.toThrow(/closed/);
    expect(calls).toHaveLength(0);
  });
});

describe("InferenceScheduler batches", () => {
  it("cuts batches by encoded bytes too: no request passes maxRequestBytes, whatever the titles", async () => {
    const { model, calls } = fakeModel();
    const s = new InferenceScheduler(model, new TwoTierCache(new MemoryStore(), 1000), {
      ...fast,
      maxRequestBytes: 10_000,
      lingerMs: 20,
    });
    const pairs = Array.from({ length: 20 }, (_, i) => mkPair(`c${i}`, `${"é".repeat(1200 + i)}`));
    const values = await Promise.all(pairs.map((p) => value(s.request(p))));
    expect(values).toEqual(pairs.map(expected));
    const serialize = loadSeniorityProto().SeniorityModel.service.InferSeniority.requestSerialize;
    for (const c of calls) {
      const bytes = serialize({ batch: c.batch }).length;
      expect(bytes).toBeLessThanOrEqual(10_000);
      expect(c.batch.map((r) => r.uuid)).toEqual(c.batch.map((_, i) => i));
    }
    // 2,400–2,438 bytes of title a pair: four fit in 10,000 bytes, a fifth does not.
    expect(calls.map((c) => c.batch.length)).toEqual([4, 4, 4, 4, 4]);
    expect(calls.flatMap((c) => c.batch)).toHaveLength(20);
  });

  it("sends the two strings of a pair as they are, NULs and all", async () => {
    const { model, calls } = fakeModel();
    const s = new InferenceScheduler(model, new TwoTierCache(new MemoryStore(), 100), fast);
    const a = mkPair("Acme\u0000CEO", "Intern");
    const b = mkPair("Acme", "CEO\u0000Intern");
    expect(a.key).not.toBe(b.key);
    await Promise.all([value(s.request(a)), value(s.request(b))]);
    const sent = calls.flatMap((c) => c.batch.map((r) => [r.company, r.title]));
    expect(sent).toEqual([
      ["Acme\u0000CEO", "Intern"],
      ["Acme", "CEO\u0000Intern"],
    ]);
  });

  it("answers a pair already in L1 without asking the model (it may have arrived while the caller waited on L2)", async () => {
    const { model, calls } = fakeModel();
    const cache = new TwoTierCache(new MemoryStore(), 100);
    cache.storeL1([[pair(3).key, 5]]);
    const s = new InferenceScheduler(model, cache, fast);
    const r = s.request(pair(3));
    expect(r.joined).toBe(true);
    expect(await value(r)).toBe(5);
    expect(calls).toHaveLength(0);
  });
});

describe("InferenceScheduler shares of a call", () => {
  it("shares each batch's call and write time among the pairs it carried; a joined request gets none", async () => {
    const s = new InferenceScheduler(fakeModel().model, new TwoTierCache(new MemoryStore(), 100), {
      ...fast,
      lingerMs: 20,
    });
    const reqs = [1, 2, 3, 4].map((i) => s.request(pair(i)));
    const joined = s.request(pair(4)); // the pair was already pending
    const [r1, r2, r3, r4, rj] = await Promise.all([...reqs, joined].map((r) => r.result));
    const a = [r1, r2, r3].map((r) => r?.modelCallMs ?? Number.NaN);
    expect(r4?.modelCallMs).toBeGreaterThan(0);
    for (const ms of a) expect(ms).toBeCloseTo(r4?.modelCallMs ?? Number.NaN, 5);
    expect(rj).toEqual({ seniority: expected(pair(4)), modelCallMs: 0, cacheWriteMs: 0 });
    expect(joined.joined).toBe(true);
    const total = [r1, r2, r3, r4].reduce((t, r) => t + (r?.modelCallMs ?? Number.NaN), 0);
    expect(total).toBeCloseTo(s.stats().modelMs, 5);
    const writes = [r1, r2, r3, r4].reduce((t, r) => t + (r?.cacheWriteMs ?? Number.NaN), 0);
    expect(writes).toBeCloseTo(s.stats().cacheWriteMs, 5);
  });
});
