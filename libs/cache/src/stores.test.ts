import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LmdbStore } from "./lmdb-store";
import { MemoryStore } from "./memory-store";
import { redactUrl, validateCacheUrl } from "./cache-url";
import { openSeniorityStore } from "./open-store";
import { PACKED_PAIR_BYTES, packPair, pairKey } from "./pair-key";
import { redisBucketStats, redisEntries } from "./redis-admin";
import { RedisStore, bucketCountFor } from "./redis-store";
import type { SeniorityStore } from "./seniority-store";
import { startLocalMemcached, startLocalRedis, type LocalRedisServer } from "./testing";
import { HashRing, MemcachedStore } from "./memcached-store";
import { TwoTierCache } from "./two-tier-cache";

let redis: LocalRedisServer;
let dir: string;
let memcached: Array<{ address: string; stop(): Promise<void> }>;
beforeAll(async () => {
  redis = await startLocalRedis();
  memcached = await Promise.all([startLocalMemcached(), startLocalMemcached()]);
  dir = await mkdtemp(join(tmpdir(), "lmdb-"));
});
afterAll(async () => {
  await Promise.all(memcached.map((m) => m.stop()));
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

const keys = (n: number, p = "k") =>
  Array.from({ length: n }, (_, i) => pairKey(`${p} company ${i}\u0000title ${i}`));

function contract(name: string, open: (ns: string) => Promise<SeniorityStore>) {
  describe(`${name} store`, () => {
    it("returns what was set, undefined for the rest, in order, in one batch", async () => {
      const s = await open(`test-${randomUUID()}`);
      const ks = keys(2000);
      await s.setMany(ks.slice(0, 1000).map((k, i) => [k, (i % 7) + 1] as const));
      const got = await s.getMany(ks);
      expect(got.slice(0, 1000)).toEqual(ks.slice(0, 1000).map((_, i) => (i % 7) + 1));
      expect(got.slice(1000).every((v) => v === undefined)).toBe(true);
      expect(await s.getMany([])).toEqual([]);
      await s.close();
    });

    it("keeps model versions apart", async () => {
      const a = await open(`v1-${randomUUID()}`);
      const b = await open(`v2-${randomUUID()}`);
      const [k] = keys(1, "ns");
      await a.setMany([[k as Buffer, 5]]);
      expect(await b.getMany([k as Buffer])).toEqual([undefined]);
      await a.close();
      await b.close();
    });
  });
}

contract("memory", async () => new MemoryStore());
contract("LMDB", async (ns) => LmdbStore.open(join(dir, "db"), ns));
contract("memcached (two real memcached servers)", async (ns) =>
  openSeniorityStore(`memcached://${memcached.map((m) => m.address).join(",")}`, { modelVersion: ns }),
);
contract("Redis (real redis-server)", async (ns) =>
  openSeniorityStore(redis.url, { modelVersion: ns, expectedPairs: 100_000 }),
);

describe("LMDB store", () => {
  it("survives closing and reopening (persistence)", async () => {
    const path = join(dir, "persist");
    const ks = keys(100, "persist");
    const a = LmdbStore.open(path, "v1");
    await a.setMany(ks.map((k) => [k, 4] as const));
    await a.close();
    const b = LmdbStore.open(path, "v1");
    expect(await b.getMany(ks)).toEqual(ks.map(() => 4));
    expect(b.size).toBe(100);
    await b.close();
  });
});

describe("Redis compact layout", () => {
  it("derives the bucket count from expected pairs and keeps buckets listpack-encoded", async () => {
    expect(bucketCountFor(20_000_000)).toBe(131_072);
    expect(bucketCountFor(1_000_000)).toBe(8_192);
    const client = new Redis(redis.url);
    const ns = `layout-${randomUUID()}`;
    const store = await RedisStore.open(client, { modelVersion: ns, expectedPairs: 100_000 });
    expect(store.bucketCount).toBe(512);
    const ks = keys(100_000, "layout");
    for (let i = 0; i < ks.length; i += 10_000) {
      await store.setMany(ks.slice(i, i + 10_000).map((k) => [k, 3] as const));
    }
    const sample = ks.slice(0, 50).map((k) => store.bucketKey(k));
    for (const b of new Set(sample)) expect(await client.object("ENCODING", b)).toBe("listpack");
    const fields = await client.hlen(sample[0] as string);
    expect(fields).toBeGreaterThan(100);
    expect(fields).toBeLessThan(512);
    await store.close();
  });

  it("keeps the bucket count a namespace was created with, and warns", async () => {
    const ns = `fixed-${randomUUID()}`;
    const a = await RedisStore.open(new Redis(redis.url), { modelVersion: ns, expectedPairs: 1_000_000 });
    const warnings: string[] = [];
    const b = await RedisStore.open(new Redis(redis.url), {
      modelVersion: ns,
      expectedPairs: 10,
      onWarning: (w) => warnings.push(w),
    });
    expect(b.bucketCount).toBe(a.bucketCount);
    expect(warnings[0]).toMatch(/was created with 8192 buckets/);
    await a.close();
    await b.close();
  });

  it("treats a corrupted value as absent rather than using it", async () => {
    const client = new Redis(redis.url);
    const store = await RedisStore.open(client, { modelVersion: `bad-${randomUUID()}`, expectedPairs: 1000 });
    const [k] = keys(1, "bad") as [Buffer];
    await client.hset(store.bucketKey(k), k.subarray(0, 8), "9");
    expect(await store.getMany([k])).toEqual([undefined]);
    await store.close();
  });
});

describe("Redis admin scans", () => {
  it("read only bucket keys: a running service's pair claims under the namespace do not break export or stats", async () => {
    const client = new Redis(redis.url);
    const ns = `scan-${randomUUID()}`;
    const store = await RedisStore.open(client, { modelVersion: ns, expectedPairs: 1000 });
    await store.setMany([[pairKey("a\u0000b"), 3]]);
    // What the Redis coordinator writes while a batch is at the model.
    await client.set(`sen:${ns}:claim:0011223344556677`, "worker-1", "PX", 60_000);
    let exported = 0;
    for await (const page of redisEntries(store)) exported += page.length;
    expect(exported).toBe(1);
    expect((await redisBucketStats(store)).pairs).toBe(1);
    await store.close();
  });
});

describe("Cache administration (the port the cache commands use)", () => {
  const entries = (n: number) => keys(n, "adm").map((k, i) => [k.subarray(0, 8), (i % 7) + 1] as const);
  const drain = async (it: AsyncIterable<Array<readonly [Buffer, number]>>) => {
    const out: Array<readonly [Buffer, number]> = [];
    for await (const page of it) out.push(...page);
    return out.sort(([a], [b]) => Buffer.compare(a, b));
  };

  it("is offered by Redis and LMDB, which export what was restored, count it and drop it", async () => {
    const ns = `adm-${randomUUID()}`;
    const want = entries(50);
    const redisStore = await RedisStore.open(new Redis(redis.url), { modelVersion: ns, expectedPairs: 1000 });
    const lmdbStore = LmdbStore.open(join(dir, `adm-${randomUUID()}`), ns);
    for (const [store, unit] of [
      [redisStore, "keys unlinked"],
      [lmdbStore, "pairs"],
    ] as const) {
      const admin = store.admin;
      await admin.putStored(want);
      expect(await drain(admin.entries())).toEqual([...want].sort(([a], [b]) => Buffer.compare(a, b)));
      expect(await admin.stats()).toMatchObject({ created: true, pairs: 50 });
      const dropped = await admin.drop();
      expect(dropped.unit).toBe(unit);
      expect(dropped.count).toBeGreaterThan(0);
      expect(await drain(admin.entries())).toEqual([]);
      await store.close();
    }
  });

  it("lists Redis namespaces; memcached and memory: offer no administration", async () => {
    const ns = `list-${randomUUID()}`;
    const store = await RedisStore.open(new Redis(redis.url), { modelVersion: ns, expectedPairs: 1000 });
    expect(await store.admin.namespaces?.()).toContain(ns);
    await store.close();
    const mem: SeniorityStore = new MemcachedStore(
      memcached.map((m) => ({ host: "127.0.0.1", port: Number(m.address.split(":")[1]) })),
      ns,
    );
    expect(mem.admin).toBeUndefined();
    await mem.close();
    const memory: SeniorityStore = new MemoryStore();
    expect(memory.admin).toBeUndefined();
  });
});

describe("Redis bulk import (importPacked)", () => {
  // Few buckets put many pairs in one bucket (the HMGET/HSET path); many buckets leave one
  // pair in most (the HSETNX path). Both must count and keep values the same way.
  it.each([16, 1 << 20])("settles new, unchanged, conflicts and repeats with %i buckets", async (buckets) => {
    const store = await RedisStore.open(new Redis(redis.url), {
      modelVersion: `imp-${randomUUID()}`,
      expectedPairs: buckets * 150,
    });
    expect(store.bucketCount).toBe(buckets);
    const texts = Array.from({ length: 3000 }, (_, i) => `c ${i}\u0000t ${i}`);
    const pack = (rows: Array<readonly [string, number]>) => {
      const b = Buffer.alloc(rows.length * PACKED_PAIR_BYTES);
      rows.forEach(([t, v], i) => packPair(b, i, t, v));
      return b;
    };
    // 3,000 new pairs, then a repeat of pair 0 with the same value and of pair 1 with another.
    const first = [...texts.map((t) => [t, 3] as const), [texts[0]!, 3] as const, [texts[1]!, 5] as const];
    expect(await store.importPacked(pack(first), first.length, false)).toEqual({
      imported: 3000,
      unchanged: 1,
      kept: 1,
      overwritten: 0,
    });
    const second = [[texts[0]!, 3] as const, [texts[2]!, 6] as const, ["new\u0000pair", 7] as const];
    expect(await store.importPacked(pack(second), 3, false)).toEqual({
      imported: 1,
      unchanged: 1,
      kept: 1,
      overwritten: 0,
    });
    expect(await store.getMany([pairKey(texts[1]!), pairKey(texts[2]!)])).toEqual([3, 3]);
    expect(await store.importPacked(pack(second), 3, true)).toEqual({
      imported: 0,
      unchanged: 2,
      kept: 0,
      overwritten: 1,
    });
    expect(await store.getMany([pairKey(texts[2]!), pairKey("new\u0000pair")])).toEqual([6, 7]);
    const stats = await redisBucketStats(store);
    expect(Object.keys(stats.encodings)).toEqual(["listpack"]);
    await store.close();
  });
});

describe("Redis bulk import, a bucket past one Lua call's run", () => {
  it("splits a bucket's pairs over several HMGET/HSET runs and still counts each pair once", async () => {
    const store = await RedisStore.open(new Redis(redis.url), {
      modelVersion: `run-${randomUUID()}`,
      expectedPairs: 1,
    });
    const n = 40_000; // 16 buckets: ~2,500 pairs each, more than one run of 2,000
    const b = Buffer.alloc(n * PACKED_PAIR_BYTES);
    for (let i = 0; i < n; i++) packPair(b, i, `c\u0000t ${i}`, (i % 7) + 1);
    expect((await store.importPacked(b, n, false)).imported).toBe(n);
    expect((await store.importPacked(b, n, false)).unchanged).toBe(n);
    expect(await store.getMany([pairKey("c\u0000t 39999")])).toEqual([(39_999 % 7) + 1]);
    await store.close();
  });
});

describe("Redis layout versions", () => {
  it("refuses a namespace written in another layout, saying what to do", async () => {
    const client = new Redis(redis.url);
    const ns = `old-${randomUUID()}`;
    await client.hset(`sen:${ns}:meta`, "buckets", "1024", "layout", "hash-buckets-v1");
    await expect(RedisStore.open(client, { modelVersion: ns })).rejects.toThrow(
      /uses layout hash-buckets-v1; this version reads hash-buckets-v2: drop it/,
    );
    client.disconnect();
  });
});

describe("memcached store", () => {
  it("spreads keys over the servers by consistent hashing; a removed server moves only its own keys", async () => {
    const addrs = memcached.map((m) => m.address);
    const store = new MemcachedStore(
      addrs.map((a) => ({ host: "127.0.0.1", port: Number(a.split(":")[1]) })),
      `ring-${randomUUID()}`,
    );
    const ks = keys(2000, "ring");
    const owners = ks.map((k) => store.serverOf(k));
    const share = owners.filter((o) => o === 0).length / owners.length;
    expect(share).toBeGreaterThan(0.3);
    expect(share).toBeLessThan(0.7);
    await store.close();
    const three = new HashRing(["a:1", "b:2", "c:3"]);
    const two = new HashRing(["a:1", "b:2"]);
    const moved = ks.filter((k) => three.serverOf(k) !== 2 && three.serverOf(k) !== two.serverOf(k)).length;
    expect(moved).toBe(0); // keys on the servers that stay do not move
  });

  it("fails clearly when a server is down: at open, as Redis does", async () => {
    await expect(openSeniorityStore("memcached://127.0.0.1:1", { modelVersion: "x" })).rejects.toThrow(
      /^cannot connect to memcached at memcached:\/\/127\.0\.0\.1:1: memcached 127\.0\.0\.1:1: connect ECONNREFUSED/,
    );
  });

  it("fails clearly when a server goes down after open", async () => {
    const server = await startLocalMemcached();
    const s = await openSeniorityStore(`memcached://${server.address}`, { modelVersion: "x" });
    await server.stop();
    await expect(s.getMany(keys(1, "down"))).rejects.toThrow(`memcached ${server.address}`);
    await s.close();
  });
});

describe("openSeniorityStore", () => {
  it("validates the URL form and redacts passwords", async () => {
    expect(() => validateCacheUrl("mysql://x")).toThrow(/expected redis:\/\//);
    expect(() => validateCacheUrl("lmdb:")).toThrow(/lmdb:\/\/\/absolute\/path/);
    expect(redactUrl("redis://user:secret@host:6379/0")).toBe("redis://user:***@host:6379/0");
    expect(redactUrl("redis://:secret@host:6379")).toBe("redis://:***@host:6379");
  });

  it("fails fast with the redacted address when Redis is unreachable", async () => {
    const err = await openSeniorityStore("redis://:hunter2@127.0.0.1:1", { modelVersion: "x" }).catch(
      (e: Error) => e,
    );
    expect(String(err)).toMatch(/cannot connect to Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
    expect(String(err)).not.toContain("hunter2");
  });
});

describe("TwoTierCache", () => {
  it("answers from L1, then L2 in one read, and reports misses", async () => {
    const l2 = new MemoryStore();
    const cache = new TwoTierCache(l2, 10);
    await l2.setMany([[pairKey("a\u0000x"), 2]]);
    await cache.storeMany([["b\u0000y", 6]]);
    const r = await cache.lookupMany(["a\u0000x", "b\u0000y", "c\u0000z"]);
    expect(Object.fromEntries(r.found)).toEqual({ "a\u0000x": 2, "b\u0000y": 6 });
    expect(r).toMatchObject({ misses: ["c\u0000z"], l1Hits: 1, l2Hits: 1 });
    expect((await cache.lookupMany(["a\u0000x"])).l1Hits).toBe(1); // promoted to L1
  });

  it("looks up by position: each value at its pair's index, the misses as indices", async () => {
    const l2 = new MemoryStore();
    const cache = new TwoTierCache(l2, 10);
    await l2.setMany([[pairKey("a\u0000x"), 2]]);
    cache.storeL1([["b\u0000y", 6]]);
    const values = new Uint8Array(4);
    const r = await cache.lookupInto(["c\u0000z", "a\u0000x", "b\u0000y", "d\u0000w"], values);
    expect([...values]).toEqual([0, 2, 6, 0]);
    expect(r).toMatchObject({ misses: [0, 3], l1Hits: 1, l2Hits: 1 });
  });
});
