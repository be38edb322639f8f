import { Cluster, Redis } from "ioredis";
import { parseRedisClusterUrl, redactUrl } from "./cache-url";
import type { OpenStoreOptions } from "./open-store";
import { RedisStore, type RedisClient } from "./redis-store";

/**
 * Connects to the Redis (or Redis Cluster) of a validated `redis[s]://` or `redis[s]-cluster://`
 * CACHE_URL and opens the namespace `options.modelVersion` names (already a storage namespace).
 */
export async function openRedisStore(url: string, options: OpenStoreOptions): Promise<RedisStore> {
  const connection = {
    // Fail a command after a few reconnect attempts instead of queueing it forever, so the
    // service can report that Redis is down and carry on with L1 and the model.
    maxRetriesPerRequest: 2,
    connectTimeout: 5_000,
    retryStrategy: (times: number) => Math.min(times * 200, 2_000),
  };
  let redis: RedisClient;
  if (/^rediss?-cluster:/.test(url)) {
    const c = parseRedisClusterUrl(url);
    redis = new Cluster(c.nodes, {
      lazyConnect: true,
      clusterRetryStrategy: (times) => (times > 10 ? null : Math.min(times * 200, 2_000)),
      redisOptions: {
        ...connection,
        ...(c.username ? { username: c.username } : {}),
        ...(c.password !== undefined ? { password: c.password } : {}),
        ...(c.tls ? { tls: {} } : {}),
      },
    });
  } else {
    redis = new Redis(url, { lazyConnect: true, ...connection });
  }
  // Connection errors surface on the commands that fail; the last one explains a failed connect
  // ("connect ECONNREFUSED …" rather than ioredis's "Connection is closed.").
  let lastError: Error | undefined;
  redis.on("error", (err: Error) => {
    lastError = err;
  });
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new Error(
      `cannot connect to Redis${redis instanceof Cluster ? " Cluster" : ""} at ${redactUrl(url)}: ${(lastError ?? (err as Error)).message}`,
    );
  }
  // Once per outage, not per reconnect attempt: operators see when the cache went and came back.
  let lost = false;
  redis.on("close", () => {
    if (lost) return;
    lost = true;
    options.onWarning?.(
      `cache connection to ${redactUrl(url)} lost; reconnecting (commands wait briefly, then fail until it is back)`,
    );
  });
  redis.on("ready", () => {
    if (!lost) return;
    lost = false;
    options.onWarning?.(`cache connection to ${redactUrl(url)} restored`);
  });
  return RedisStore.open(
    redis,
    {
      modelVersion: options.modelVersion,
      ...(options.expectedPairs ? { expectedPairs: options.expectedPairs } : {}),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
      ...(options.readOnly ? { readOnly: true } : {}),
    },
    redactUrl(url),
  );
}
