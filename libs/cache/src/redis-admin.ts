import { Cluster, type Redis } from "ioredis";
import type { CacheAdmin } from "./cache-admin";
import type { RedisClient, RedisStore } from "./redis-store";

export interface BucketStats {
  pairs: number;
  bucketsConfigured: number;
  bucketsUsed: number;
  minFields: number;
  avgFields: number;
  maxFields: number;
  /** Bucket count by Redis encoding: all `listpack` while the layout is compact. */
  encodings: Record<string, number>;
  /** Up to 10 buckets that left the compact encoding. */
  nonCompact: string[];
  /** MEMORY USAGE summed over the buckets. */
  bytes: number;
  bytesPerPair: number;
}

/**
 * The bucket keys among `keys` of namespace `ns`: one segment after it. Leaves out the meta key
 * and other keys under the namespace (pair claims `<ns>:claim:<hex>` of a running service).
 */
function bucketKeys(keys: string[], ns: string): string[] {
  return keys.filter((k) => {
    const rest = k.slice(ns.length + 1);
    return rest !== "meta" && !rest.includes(":");
  });
}

/** The nodes whose keys make up the data set: the masters of a cluster, or the one server. */
function dataNodes(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes("master") : [redis];
}

/**
 * Pages of keys matching `pattern`, each page with the node that holds it, so that follow-up
 * commands go to that node (on a cluster, SCAN runs on every master in turn).
 */
async function* scanKeys(
  redis: RedisClient,
  pattern: string,
): AsyncIterable<{ node: Redis; keys: string[] }> {
  for (const node of dataNodes(redis)) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) yield { node, keys };
    } while (cursor !== "0");
  }
}

/** Model versions that have a namespace in this Redis. */
export async function redisNamespaces(redis: RedisClient, prefix = "sen"): Promise<string[]> {
  const out: string[] = [];
  for await (const { keys } of scanKeys(redis, `${prefix}:*:meta`))
    for (const k of keys) out.push(k.slice(prefix.length + 1, -":meta".length));
  return out.sort();
}

/** Every stored (key, value) of the namespace, a SCAN page of buckets at a time. */
export async function* redisEntries(store: RedisStore): AsyncIterable<Array<readonly [Buffer, number]>> {
  for await (const { node, keys } of scanKeys(store.client, `${store.namespace}:*`)) {
    const buckets = bucketKeys(keys, store.namespace);
    // The raw reply (a flat array of Buffers): hgetallBuffer builds an object, whose string
    // keys would mangle the binary fields.
    const p = node.pipeline();
    for (const b of buckets) p.callBuffer("HGETALL", b);
    const res = (await p.exec()) ?? [];
    const out: Array<readonly [Buffer, number]> = [];
    for (const [err, flat] of res) {
      if (err) throw err;
      const a = flat as Buffer[];
      for (let i = 0; i + 1 < a.length; i += 2)
        out.push([a[i] as Buffer, Number((a[i + 1] as Buffer).toString())]);
    }
    if (out.length > 0) yield out;
  }
}

/** Pairs, bucket fill and encodings, and bytes per pair from MEMORY USAGE. */
export async function redisBucketStats(store: RedisStore): Promise<BucketStats> {
  const s: BucketStats = {
    pairs: 0,
    bucketsConfigured: store.bucketCount,
    bucketsUsed: 0,
    minFields: Infinity,
    avgFields: 0,
    maxFields: 0,
    encodings: {},
    nonCompact: [],
    bytes: 0,
    bytesPerPair: 0,
  };
  for await (const { node, keys } of scanKeys(store.client, `${store.namespace}:*`)) {
    const buckets = bucketKeys(keys, store.namespace);
    const p = node.pipeline();
    for (const b of buckets) p.hlen(b).object("ENCODING", b).memory("USAGE", b, "SAMPLES", "0");
    const res = (await p.exec()) ?? [];
    buckets.forEach((b, i) => {
      const fields = Number(res[3 * i]?.[1] ?? 0);
      const enc = String(res[3 * i + 1]?.[1] ?? "unknown");
      s.pairs += fields;
      s.bucketsUsed += 1;
      s.minFields = Math.min(s.minFields, fields);
      s.maxFields = Math.max(s.maxFields, fields);
      s.encodings[enc] = (s.encodings[enc] ?? 0) + 1;
      if (enc !== "listpack" && enc !== "ziplist" && s.nonCompact.length < 10) s.nonCompact.push(b);
      s.bytes += Number(res[3 * i + 2]?.[1] ?? 0);
    });
  }
  if (s.bucketsUsed === 0) s.minFields = 0;
  s.avgFields = s.bucketsUsed > 0 ? s.pairs / s.bucketsUsed : 0;
  s.bytesPerPair = s.pairs > 0 ? s.bytes / s.pairs : 0;
  return s;
}

/**
 * Deletes a namespace in small steps (SCAN a page, UNLINK it), so Redis is never blocked;
 * the meta key goes last, so an interrupted drop can simply be run again. One key per UNLINK,
 * pipelined: a cluster refuses multi-key commands across slots.
 */
export async function redisDrop(
  redis: RedisClient,
  modelVersion: string,
  onProgress: (deleted: number) => void = () => {},
  prefix = "sen",
): Promise<number> {
  return dropNamespace(redis, `${prefix}:${modelVersion}`, onProgress);
}

async function dropNamespace(
  redis: RedisClient,
  ns: string,
  onProgress: (deleted: number) => void,
): Promise<number> {
  let deleted = 0;
  for await (const { node, keys } of scanKeys(redis, `${ns}:*`)) {
    const buckets = keys.filter((k) => k !== `${ns}:meta`);
    const p = node.pipeline();
    for (const k of buckets) p.unlink(k);
    for (const [err, n] of (await p.exec()) ?? []) {
      if (err) throw err;
      deleted += Number(n);
    }
    onProgress(deleted);
  }
  deleted += await redis.unlink(`${ns}:meta`);
  return deleted;
}

/** The cache commands' view of a Redis (or Redis Cluster) namespace. */
export function redisAdmin(store: RedisStore): CacheAdmin {
  return {
    namespaces: () => redisNamespaces(store.client, store.keyPrefix),
    stats: async () => {
      if (!store.created) return { created: false, pairs: 0, bytes: 0, bytesMeasure: "by MEMORY USAGE" };
      const s = await redisBucketStats(store);
      return {
        created: true,
        pairs: s.pairs,
        bytes: s.bytes,
        bytesMeasure: "by MEMORY USAGE",
        buckets: {
          configured: s.bucketsConfigured,
          used: s.bucketsUsed,
          minFields: s.minFields,
          avgFields: s.avgFields,
          maxFields: s.maxFields,
          encodings: s.encodings,
          nonCompact: s.nonCompact,
        },
      };
    },
    entries: () => redisEntries(store),
    putStored: (entries) => store.setStoredMany(entries),
    drop: async (onProgress = () => {}) => ({
      count: await dropNamespace(store.client, store.namespace, onProgress),
      unit: "keys unlinked",
    }),
    packedImport: {
      // Several pairs per bucket, so each Lua call writes a bucket with one HMGET + one HSET.
      batchSize: (requested) => Math.min(2 ** 20, Math.max(requested, 4 * store.bucketCount)),
      importPacked: (records, count, overwrite) => store.importPacked(records, count, overwrite),
    },
  };
}
