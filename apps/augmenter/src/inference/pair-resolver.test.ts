import {
  MemoryStore,
  TwoTierCache,
  pairKey,
  pairText,
  storedKey,
  type Pair,
  type SeniorityStore,
} from "@rl/cache";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Coordinator } from "../coordination/coordinator";
import { CoordinationFailures } from "./coordination-failures";
import { PairClaims } from "./pair-claims";
import { PairResolver } from "./pair-resolver";

const pair = (i: number): Pair => ({ company: `c${i}`, title: `t${i}`, key: pairText(`c${i}`, `t${i}`) });
const hex = (p: Pair) => storedKey(pairKey(p.key)).toString("hex");

/** Everything the resolver does, in order: L2 writes, claims, releases, hooks. */
type Log = string[];

/** An L2 over a MemoryStore (`inner`) that fails every call while `state.down` is set. */
function flakyL2(log: Log) {
  const state = { down: false };
  const inner = new MemoryStore();
  const store: SeniorityStore = {
    description: "flaky",
    getMany: async (k) => {
      if (state.down) throw new Error("ECONNREFUSED");
      return inner.getMany(k);
    },
    setMany: async (e) => {
      if (state.down) throw new Error("ECONNREFUSED");
      log.push(`set ${e.length}`);
      return inner.setMany(e);
    },
    close: async () => {},
  };
  return { store, inner, state };
}

/** A coordinator with the Redis one's rules; `owners` holds claims of other workers (hex → until). */
function fakeCoordinator(log: Log, owners = new Map<string, number>()): Coordinator {
  return {
    shared: true,
    workerId: "me",
    reserveModelPairs: async () => 0,
    claimPairs: async (keys) => {
      log.push(`claim ${keys.length}`);
      return keys.map((k) => !((owners.get(k.toString("hex")) ?? 0) > Date.now()));
    },
    releasePairs: async (keys) => {
      log.push(`release ${keys.map((k) => k.toString("hex")).join(",")}`);
    },
    close: async () => {},
  };
}

function resolver(o: { owners?: Map<string, number>; renewMs?: number } = {}) {
  const log: Log = [];
  const l2 = flakyL2(log);
  const cache = new TwoTierCache(l2.store, 100, { probeMs: 10 });
  const failures = new CoordinationFailures();
  const claims = new PairClaims(fakeCoordinator(log, o.owners), failures, o.renewMs ?? 60_000);
  const found = new Map<string, number>();
  const takenOver: Pair[] = [];
  const r = new PairResolver(
    cache,
    {
      found: (k, v) => found.set(k, v),
      takenOver: (pairs) => takenOver.push(...pairs),
      l2Back: () => log.push("l2 back"),
    },
    { claims, failures, watchIntervalMs: 5 },
  );
  cleanup.push(() => {
    r.close();
    cache.availability.close();
  });
  return { r, log, l2, cache, found, takenOver, failures };
}

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

describe("PairResolver", () => {
  it("infers only what L2 lacks, and gives each claim back once its value is stored", async () => {
    const { r, log, l2, found } = resolver();
    await l2.inner.setMany([[pairKey(pair(2).key), 4]]); // another worker stored it meanwhile
    const toInfer = await r.beforeCall([pair(1), pair(2)]);
    expect(toInfer).toEqual([pair(1)]);
    expect([...found]).toEqual([[pair(2).key, 4]]);
    expect(await r.store([[pair(1).key, 6]])).toBeGreaterThanOrEqual(0);
    await vi.waitFor(() => expect(log).toContain(`release ${hex(pair(1))}`));
    expect(log).toEqual(["claim 2", `release ${hex(pair(2))}`, "set 1", `release ${hex(pair(1))}`]);
    expect(await l2.inner.getMany([pairKey(pair(1).key)])).toEqual([6]);
  });

  it("keeps answers L2 refused, with their claims, and stores them when L2 is back", async () => {
    const { r, log, l2, cache } = resolver();
    await r.beforeCall([pair(1)]);
    l2.state.down = true;
    expect(await r.store([[pair(1).key, 3]])).toBe(0);
    expect(cache.l1Value(pair(1).key)).toBe(3); // serves this process meanwhile
    expect(r.stats()).toMatchObject({ unstored: 1, cacheWriteErrors: 1 });
    expect(log.some((l) => l.startsWith("release"))).toBe(false); // still this worker's
    l2.state.down = false;
    await vi.waitFor(() => expect(log).toContain("l2 back"));
    // Claims taken back first, then the answers written, then given back, then calls resume.
    expect(log.slice(1)).toEqual(["claim 1", "set 1", `release ${hex(pair(1))}`, "l2 back"]);
    expect(r.stats().unstored).toBe(0);
    expect(await l2.inner.getMany([pairKey(pair(1).key)])).toEqual([3]);
  });

  it("answers a pair claimed elsewhere once its value appears in L2", async () => {
    const owners = new Map([[hex(pair(5)), Date.now() + 60_000]]);
    const { r, l2, found, cache, takenOver } = resolver({ owners });
    expect(await r.beforeCall([pair(5)])).toEqual([]);
    await new Promise((res) => setTimeout(res, 30));
    expect(found.size).toBe(0);
    await l2.inner.setMany([[pairKey(pair(5).key), 2]]);
    await vi.waitFor(() => expect(found.get(pair(5).key)).toBe(2));
    expect(cache.l1Value(pair(5).key)).toBe(2);
    expect(r.stats().remoteResolved).toBe(1);
    expect(takenOver).toEqual([]);
  });

  it("takes a pair over when the other worker's claim lapses", async () => {
    const owners = new Map([[hex(pair(6)), Date.now() + 60]]);
    const { r, found, takenOver, log } = resolver({ owners });
    expect(await r.beforeCall([pair(6)])).toEqual([]);
    await new Promise((res) => setTimeout(res, 30));
    expect(takenOver).toEqual([]); // still claimed there
    await vi.waitFor(() => expect(takenOver).toEqual([pair(6)]));
    expect(found.size).toBe(0);
    // Now held here: the watch stops asking for it.
    const claims = log.filter((l) => l.startsWith("claim")).length;
    await new Promise((res) => setTimeout(res, 30));
    expect(log.filter((l) => l.startsWith("claim")).length).toBe(claims);
  });

  it("renews the claims it holds until they are given back", async () => {
    const { r, log } = resolver({ renewMs: 10 });
    await r.beforeCall([pair(1)]);
    await vi.waitFor(() => expect(log.filter((l) => l === "claim 1").length).toBeGreaterThanOrEqual(3));
    await r.store([[pair(1).key, 1]]);
    await new Promise((res) => setTimeout(res, 30));
    const after = log.filter((l) => l === "claim 1").length;
    await new Promise((res) => setTimeout(res, 50));
    expect(log.filter((l) => l === "claim 1").length).toBe(after);
  });
});
