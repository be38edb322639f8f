import * as grpc from "@grpc/grpc-js";
import {
  MemoryStore,
  TwoTierCache,
  pairKey,
  pairText,
  storedKey,
  type Pair,
  type SeniorityStore,
} from "@rl/cache";
import { loadSeniorityProto } from "@rl/proto";
import type { Coordinator } from "../coordination/coordinator";
import { describe, expect, it } from "vitest";
import { InferenceScheduler, type SchedulerOptions } from "./inference-scheduler";
import type { ModelAnswer, ModelRequest as SeniorityRequest, SeniorityModel } from "./seniority-model";

const truth = (r: SeniorityRequest) => (r.title.length % 7) + 1;

/** A fake model: records every call; `script` may corrupt or fail the n-th call. */
function fakeModel(
  script: (call: number, batch: SeniorityRequest[]) => ModelAnswer[] | Error | undefined = () => undefined,
) {
  const calls: Array<{ batch: SeniorityRequest[]; at: number }> = [];
  const model: SeniorityModel = {
    async infer(batch) {
      calls.push({ batch, at: performance.now() });
      await new Promise((r) => setTimeout(r, 2));
      const s = script(calls.length, batch);
      if (s instanceof Error) throw s;
      return s ?? batch.map((r) => ({ uuid: r.uuid, seniority: truth(r) }));
    },
    close() {},
  };
  return { model, calls };
}
/** An L2 that fails every call while `l2.down` is set, over a MemoryStore (`inner`). */
function flakyStore(down: boolean) {
  const l2 = { down };
  const inner = new MemoryStore();
  const flaky: SeniorityStore = {
    description: "flaky",
    getMany: async (k) => {
      if (l2.down) throw new Error("ECONNREFUSED");
      return inner.getMany(k);
    },
    setMany: async (e) => {
      if (l2.down) throw new Error("ECONNREFUSED");
      return inner.setMany(e);
    },
    close: async () => {},
  };
  return { flaky, inner, l2 };
}

const grpcError = (code: grpc.status) =>
  Object.assign(new Error(grpc.status[code]), { code, details: "injected" });
const fast: Partial<SchedulerOptions> = {
  pairsPerSecond: 1e6,
  lingerMs: 5,
  backoffBaseMs: 1,
  backoffMaxMs: 5,
};
const mkPair = (company: string, title: string): Pair => ({ company, title, key: pairText(company, title) });
const pair = (i: number) => mkPair(`company ${i % 13}`, `title ${"x".repeat(i % 11)} ${i}`);
const expected = (p: Pair) => truth({ uuid: 0, company: "", title: p.title });

describe("InferenceScheduler", () => {
  it("sends a pair requested many times once (single-flight) and resolves every requester", async () => {
    const { model, calls } = fakeModel();
    const s = new InferenceScheduler(model, new TwoTierCache(new MemoryStore(), 100), fast);
    const reqs = [s.request(pair(1)), s.request(pair(1)), s.request(pair(2)), s.request(pair(1))];
    expect(reqs.map((r) => r.fresh)).toEqual([true, false, true, false]);
    expect(await Promise.all(reqs.map((r) => r.value))).toEqual(
      [pair(1), pair(1), pair(2), pair(1)].map(expected),
    );
    expect(calls.flatMap((c) => c.batch)).toHaveLength(2);
    expect(s.stats()).toMatchObject({ requested: 2, joined: 2, pairsSent: 2, rpcs: 1 });
  });

  it("fills batches of at most batchSize with index uuids", async () => {
    const { model, calls } = fakeModel();
    const s = new InferenceScheduler(model, new TwoTierCache(new MemoryStore(), 10_000), {
      ...fast,
      batchSize: 1000,
    });
    const values = await Promise.all(Array.from({ length: 2500 }, (_, i) => s.request(pair(i)).value));
    expect(values).toEqual(Array.from({ length: 2500 }, (_, i) => expected(pair(i))));
    expect(calls.map((c) => c.batch.length)).toEqual([1000, 1000, 500]);
    for (const c of calls) expect(c.batch.map((r) => r.uuid)).toEqual(c.batch.map((_, i) => i));
  });

  it("writes answers to L2 before resolving the waiters", async () => {
    const l2 = new MemoryStore();
    const { model } = fakeModel();
    const s = new InferenceScheduler(model, new TwoTierCache(l2, 10), fast);
    const v = await s.request(pair(5)).value;
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
    await Promise.all(Array.from({ length: 2000 }, (_, i) => s.request(pair(i)).value));
    const gaps = calls.slice(1).map((c, i) => c.at - (calls[i]?.at ?? 0));
    // 500 pairs at 5000/s: one batch every 100 ms.
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(95);
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
    expect(await Promise.all(texts.map((t) => s.request(t).value))).toEqual(texts.map(expected));
    expect(calls.length).toBeLessThanOrEqual(2);
  });

  it("retries UNAVAILABLE, DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED with backoff", async () => {
    const codes = [grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.RESOURCE_EXHAUSTED];
    const { model, calls } = fakeModel((n) => (n <= 3 ? grpcError(codes[n - 1] as grpc.status) : undefined));
    const s = new InferenceScheduler(model, new TwoTierCache(new MemoryStore(), 100), fast);
    expect(await s.request(pair(7)).value).toBe(expected(pair(7)));
    expect(calls).toHaveLength(4);
    expect(s.stats()).toMatchObject({ retries: 3, failedRpcs: 3 });
  });

  it("fails the batch after maxAttempts, and at once on a non-retryable status", async () => {
    const always = fakeModel(() => grpcError(grpc.status.UNAVAILABLE));
    const s = new InferenceScheduler(always.model, new TwoTierCache(new MemoryStore(), 100), {
      ...fast,
      maxAttempts: 3,
    });
    await expect(s.request(pair(1)).value).rejects.toThrow(/UNAVAILABLE.*after 3 attempts/);
    expect(always.calls).toHaveLength(3);

    const internal = fakeModel(() => grpcError(grpc.status.INTERNAL));
    const t = new InferenceScheduler(internal.model, new TwoTierCache(new MemoryStore(), 100), fast);
    await expect(t.request(pair(1)).value).rejects.toThrow(/INTERNAL.*after 1 attempt\)/);
    expect(internal.calls).toHaveLength(1);
    // A failed pair can be asked for again later.
    expect(t.request(pair(1)).fresh).toBe(true);
    t.close();
  });

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
    const v = await s.request(pair(4)).value;
    expect(cache.peekL1(pair(4).key)).toBe(v);
    expect(errors).toEqual(["READONLY"]);
    expect(s.stats().cacheWriteErrors).toBe(1);
  });
});

describe("InferenceScheduler time accounts", () => {
  it("shares each batch's call and write time among the files whose pairs it carried", async () => {
    const s = new InferenceScheduler(fakeModel().model, new TwoTierCache(new MemoryStore(), 100), {
      ...fast,
      lingerMs: 20,
    });
    const a = { modelCallMs: 0, cacheWriteMs: 0 };
    const b = { modelCallMs: 0, cacheWriteMs: 0 };
    const joined = { modelCallMs: 0, cacheWriteMs: 0 };
    await Promise.all([
      s.request(pair(1), a).value,
      s.request(pair(2), a).value,
      s.request(pair(3), a).value,
      s.request(pair(4), b).value,
      s.request(pair(4), joined).value, // joined: the pair was already b's
    ]);
    expect(a.modelCallMs).toBeGreaterThan(0);
    expect(a.modelCallMs / b.modelCallMs).toBeCloseTo(3, 5);
    expect(joined).toEqual({ modelCallMs: 0, cacheWriteMs: 0 });
    expect(a.modelCallMs + b.modelCallMs).toBeCloseTo(s.stats().modelMs, 5);
  });

  it("shared mode: two schedulers on one L2 and one coordinator infer a pair once; a lapsed claim is taken over", async () => {
    // A fake coordinator with the Redis one's rules: a claim is the worker's until released or expired.
    const claims = new Map<string, { owner: string; until: number }>();
    const coordinator = (workerId: string): Coordinator => ({
      shared: true,
      workerId,
      reserveModelPairs: async () => 0,
      claimPairs: async (keys) =>
        keys.map((k) => {
          const c = claims.get(k.toString("hex"));
          if (c && c.owner !== workerId && c.until > Date.now()) return false;
          claims.set(k.toString("hex"), { owner: workerId, until: Date.now() + 200 });
          return true;
        }),
      releasePairs: async (keys) => {
        for (const k of keys)
          if (claims.get(k.toString("hex"))?.owner === workerId) claims.delete(k.toString("hex"));
      },
      close: async () => {},
    });
    const l2 = new MemoryStore();
    const a = fakeModel();
    const b = fakeModel();
    const opts = { ...fast, watchIntervalMs: 10 };
    const sa = new InferenceScheduler(a.model, new TwoTierCache(l2, 100), {
      ...opts,
      coordinator: coordinator("a"),
    });
    const sb = new InferenceScheduler(b.model, new TwoTierCache(l2, 100), {
      ...opts,
      coordinator: coordinator("b"),
    });
    const texts = Array.from({ length: 50 }, (_, i) => pair(i));
    const values = await Promise.all([
      ...texts.map((t) => sa.request(t).value),
      ...texts.map((t) => sb.request(t).value),
    ]);
    expect(values).toEqual([...texts, ...texts].map(expected));
    const sent = [...a.calls, ...b.calls].flatMap((c) => c.batch.map((r) => `${r.company}\u0000${r.title}`));
    expect(sent.sort()).toEqual(texts.map((p) => p.key).sort()); // each pair once across both
    expect(sa.stats().remoteResolved + sb.stats().remoteResolved).toBeGreaterThan(0);

    // A claim held by a worker that died (never released) lapses; the other infers the pair.
    const orphan = pair(999);
    claims.set(storedKey(pairKey(orphan.key)).toString("hex"), { owner: "dead", until: Date.now() + 100 });
    expect(await sa.request(orphan).value).toBe(expected(orphan));
  });

  it("cuts batches by encoded bytes too: no request passes maxRequestBytes, whatever the titles", async () => {
    const { model, calls } = fakeModel();
    const s = new InferenceScheduler(model, new TwoTierCache(new MemoryStore(), 1000), {
      ...fast,
      maxRequestBytes: 10_000,
      lingerMs: 20,
    });
    const pairs = Array.from({ length: 20 }, (_, i) => mkPair(`c${i}`, `${"é".repeat(1200 + i)}`));
    const values = await Promise.all(pairs.map((p) => s.request(p).value));
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
    await Promise.all([s.request(a).value, s.request(b).value]);
    const sent = calls.flatMap((c) => c.batch.map((r) => [r.company, r.title]));
    expect(sent).toEqual([
      ["Acme\u0000CEO", "Intern"],
      ["Acme", "CEO\u0000Intern"],
    ]);
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
    const first = await s.request(pair(1)).value;
    expect(first).toBe(expected(pair(1)));
    expect(s.stats()).toMatchObject({ unstored: 1, cacheWriteErrors: 1 });
    // While L2 is down no new pair goes to the model.
    const second = s.request(pair(2)).value;
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
    expect(await s.request(pair(7)).value).toBe(expected(pair(7)));
    expect(s.stats().unstored).toBe(1);
    l2.down = false;
    await new Promise((r) => setTimeout(r, 150));
    expect(s.stats().unstored).toBe(0);
    expect(await inner.getMany([pairKey(pair(7).key)])).toEqual([expected(pair(7))]);
    s.close();
    cache.availability.close();
  });

  it("answers a pair already in L1 without asking the model (it may have arrived while the caller waited on L2)", async () => {
    const { model, calls } = fakeModel();
    const cache = new TwoTierCache(new MemoryStore(), 100);
    cache.storeL1([[pair(3).key, 5]]);
    const s = new InferenceScheduler(model, cache, fast);
    const r = s.request(pair(3));
    expect(r.fresh).toBe(false);
    expect(await r.value).toBe(5);
    expect(calls).toHaveLength(0);
  });

  it("renews the claims it holds while the model takes longer than their TTL, and stops once released", async () => {
    const renewals: string[][] = [];
    const coordinator: Coordinator = {
      shared: true,
      workerId: "w",
      reserveModelPairs: async () => 0,
      claimPairs: async (keys) => {
        renewals.push(keys.map((k) => k.toString("hex")));
        return keys.map(() => true);
      },
      releasePairs: async () => {},
      close: async () => {},
    };
    const slow: SeniorityModel = {
      async infer(batch) {
        await new Promise((r) => setTimeout(r, 120));
        return batch.map((r) => ({ uuid: r.uuid, seniority: truth(r) }));
      },
      close() {},
    };
    const s = new InferenceScheduler(slow, new TwoTierCache(new MemoryStore(), 100), {
      ...fast,
      coordinator,
      claimRenewMs: 25,
    });
    expect(await s.request(pair(9)).value).toBe(expected(pair(9)));
    const key = storedKey(pairKey(pair(9).key)).toString("hex");
    // The first claim, then renewals of the same claim while the call was out.
    expect(renewals.length).toBeGreaterThanOrEqual(3);
    expect(renewals.every((r) => r.length === 1 && r[0] === key)).toBe(true);
    const after = renewals.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(renewals.length).toBeLessThanOrEqual(after + 1); // released: no more renewals
    s.close();
  });
});
