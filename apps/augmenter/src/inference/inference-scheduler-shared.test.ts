import { MemoryStore, TwoTierCache, pairKey, storedKey } from "@rl/cache";
import { describe, expect, it } from "vitest";
import type { Coordinator } from "../coordination/coordinator";
import type { SeniorityModel } from "../model/seniority-model";
import { InferenceScheduler } from "./inference-scheduler";
import { expected, fakeModel, fast, pair, shared, truth, value } from "./scheduler-fakes";

describe("InferenceScheduler in shared mode", () => {
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
      ...shared(coordinator("a")),
    });
    const sb = new InferenceScheduler(b.model, new TwoTierCache(l2, 100), {
      ...opts,
      ...shared(coordinator("b")),
    });
    const texts = Array.from({ length: 50 }, (_, i) => pair(i));
    const values = await Promise.all([
      ...texts.map((t) => value(sa.request(t))),
      ...texts.map((t) => value(sb.request(t))),
    ]);
    expect(values).toEqual([...texts, ...texts].map(expected));
    const sent = [...a.calls, ...b.calls].flatMap((c) => c.batch.map((r) => `${r.company}\u0000${r.title}`));
    expect(sent.sort()).toEqual(texts.map((p) => p.key).sort()); // each pair once across both
    expect(sa.stats().remoteResolved + sb.stats().remoteResolved).toBeGreaterThan(0);

    // A claim held by a worker that died (never released) lapses; the other infers the pair.
    const orphan = pair(999);
    claims.set(storedKey(pairKey(orphan.key)).toString("hex"), { owner: "dead", until: Date.now() + 100 });
    expect(await value(sa.request(orphan))).toBe(expected(orphan));
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
      ...shared(coordinator),
      claimRenewMs: 25,
    });
    expect(await value(s.request(pair(9)))).toBe(expected(pair(9)));
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
