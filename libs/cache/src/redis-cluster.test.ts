import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterSlot } from "./cluster-slot";
import { parseRedisClusterUrl, redactUrl } from "./cache-url";
import { openSeniorityStore } from "./open-store";
import { PACKED_PAIR_BYTES, packPair, pairKey, storageNamespace, storedKey } from "./pair-key";
import { redisBucketStats, redisDrop, redisEntries, redisNamespaces } from "./redis-admin";
import { RedisStore } from "./redis-store";
import { startLocalRedisCluster, type LocalRedisCluster } from "./testing";

let cluster: LocalRedisCluster;
beforeAll(async () => {
  cluster = await startLocalRedisCluster({ masters: 3, replicas: 1 });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

const open = async (modelVersion: string) => {
  const store = await openSeniorityStore(cluster.url, { modelVersion, expectedPairs: 150_000 });
  if (!(store instanceof RedisStore)) throw new Error("expected a RedisStore");
  return store;
};

describe("cluster URLs", () => {
  it("parses seed nodes and credentials, and refuses what is not host:port", () => {
    expect(parseRedisClusterUrl("rediss-cluster://u:p%40ss@10.0.0.1:7000,[::1]:7001")).toEqual({
      nodes: [
        { host: "10.0.0.1", port: 7000 },
        { host: "::1", port: 7001 },
      ],
      username: "u",
      password: "p@ss",
      tls: true,
    });
    expect(() => parseRedisClusterUrl("redis-cluster://:secret@host")).toThrow(/"host" is not host:port/);
    expect(() => parseRedisClusterUrl("redis-cluster://:secret@host")).not.toThrow(/secret/);
    expect(redactUrl("redis-cluster://u:secret@h:1,h:2")).toBe("redis-cluster://u:***@h:1,h:2");
  });
});

describe("Redis Cluster (3 masters, 3 replicas, local processes)", () => {
  it("computes the slot Redis computes, hash tags included", async () => {
    const c = new Redis(cluster.nodes[0]!.port, "127.0.0.1");
    for (const key of ["foo", "sen:v1:0", "sen:v1:2bi", "{user1000}.following", "a{}b", "x{y}z{w}", "é"])
      expect(clusterSlot(key)).toBe(Number(await c.cluster("KEYSLOT", key)));
    c.disconnect();
  });

  it("stores, reads, imports, lists, exports and drops a namespace spread over every master", async () => {
    const version = `cl-${randomUUID().slice(0, 8)}`;
    const store = await open(version);
    expect(store.isCluster).toBe(true);
    expect(store.bucketCount).toBe(1024);
    const keys = Array.from({ length: 3000 }, (_, i) => pairKey(`c ${i}\u0000t ${i}`));
    await store.setMany(keys.slice(0, 2000).map((k, i) => [k, (i % 7) + 1] as const));
    const got = await store.getMany(keys);
    expect(got.slice(0, 2000)).toEqual(keys.slice(0, 2000).map((_, i) => (i % 7) + 1));
    expect(got.slice(2000).every((v) => v === undefined)).toBe(true);

    // Import: 1,000 new pairs plus 500 already there (same value) and 1 conflict.
    const rows: Array<readonly [string, number]> = [
      ...Array.from(
        { length: 1500 },
        (_, i) => [`c ${i + 1000}\u0000t ${i + 1000}`, ((i + 1000) % 7) + 1] as const,
      ),
      ["c 0\u0000t 0", 7],
    ];
    const packed = Buffer.alloc(rows.length * PACKED_PAIR_BYTES);
    rows.forEach(([t, v], i) => packPair(packed, i, t, v));
    expect(await store.importPacked(packed, rows.length, false)).toEqual({
      imported: 500,
      unchanged: 1000,
      kept: 1,
      overwritten: 0,
    });

    // Every master holds part of the namespace; stats and export see all of it.
    const perMaster = await Promise.all(
      cluster.nodes.slice(0, 3).map(async (n) => {
        const c = new Redis(n.port, "127.0.0.1");
        const size = await c.dbsize();
        c.disconnect();
        return size;
      }),
    );
    expect(perMaster.every((n) => n > 100)).toBe(true);
    const stats = await redisBucketStats(store);
    expect(stats.pairs).toBe(2500);
    expect(Object.keys(stats.encodings)).toEqual(["listpack"]);
    let exported = 0;
    for await (const page of redisEntries(store)) exported += page.length;
    expect(exported).toBe(2500);
    const ns = storageNamespace(version); // what openSeniorityStore names it
    expect(await redisNamespaces(store.client)).toContain(ns);

    await redisDrop(store.client, ns);
    expect(await redisNamespaces(store.client)).not.toContain(ns);
    expect(await store.getMany(keys.slice(0, 5))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    await store.close();
  }, 60_000);

  // Last: it leaves the cluster with one master fewer replica.
  it("loses no pair when a master dies: its replica takes over and reads and writes go on", async () => {
    const store = await open(`fo-${randomUUID().slice(0, 8)}`);
    const keys = Array.from({ length: 2000 }, (_, i) => pairKey(`f ${i}\u0000t ${i}`));
    const values = keys.map((_, i) => (i % 7) + 1);
    await store.setMany(keys.map((k, i) => [k, values[i]!] as const));
    const master = await cluster.masterOf(clusterSlot(store.bucketKey(storedKey(keys[0]!))));
    await waitReplicated(master.port);
    await master.stop();
    const t0 = Date.now();
    let got: Array<number | undefined> | undefined;
    while (got === undefined) {
      try {
        got = await store.getMany(keys);
      } catch (err) {
        if (Date.now() - t0 > 30_000) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    expect(got).toEqual(values);
    const extra = pairKey("after\u0000failover");
    await store.setMany([[extra, 4]]);
    expect(await store.getMany([extra, keys[0]!])).toEqual([4, values[0]]);
    await store.close();
  }, 60_000);
});

/** Waits until every replica of the master on `port` has acknowledged all of its writes. */
async function waitReplicated(port: number): Promise<void> {
  const c = new Redis(port, "127.0.0.1");
  try {
    for (let i = 0; i < 100; i++) {
      const info = await c.info("replication");
      const offset = Number(/master_repl_offset:(\d+)/.exec(info)?.[1]);
      const replicas = [...info.matchAll(/slave\d+:.*offset=(\d+)/g)].map((m) => Number(m[1]));
      if (replicas.length > 0 && replicas.every((o) => o >= offset)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`replicas of 127.0.0.1:${port} did not catch up`);
  } finally {
    c.disconnect();
  }
}
