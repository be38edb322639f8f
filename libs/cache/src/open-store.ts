import { isAbsolute, resolve } from "node:path";
import { Cluster, Redis } from "ioredis";
import { LmdbStore } from "./lmdb-store";
import { MemcachedStore, parseMemcachedUrl } from "./memcached-store";
import { MemoryStore } from "./memory-store";
import { RedisStore, type RedisClient } from "./redis-store";
import type { SeniorityStore } from "./seniority-store";
import { storageNamespace } from "./pair-key";

export const CACHE_URL_FORMS =
  "redis://[user:pass@]host:port[/db], rediss://... (TLS), redis-cluster://[user:pass@]host:port[,host:port...] (Redis Cluster; rediss-cluster:// for TLS), lmdb:///absolute/path, lmdb:relative/path, memcached://host:port[,host:port...], or memory:";

/** The cache URL forms whose stores offer administration (export, restore, stats, drop). */
export const ADMIN_URL_FORMS = "redis://, rediss://, redis-cluster://, rediss-cluster:// or lmdb:";

/** The seed nodes and credentials of a `redis-cluster://` or `rediss-cluster://` URL. */
export function parseRedisClusterUrl(url: string): {
  nodes: Array<{ host: string; port: number }>;
  username?: string;
  password?: string;
  tls: boolean;
} {
  const m = /^(rediss?)-cluster:\/\/(?:([^@/]*)@)?([^/?#]+)\/?$/.exec(url);
  if (!m)
    throw new Error(`expected redis-cluster://[user:pass@]host:port[,host:port...], got ${redactUrl(url)}`);
  const nodes = (m[3] ?? "").split(",").map((hp) => {
    const n = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(hp.trim());
    const port = Number(n?.[2]);
    if (!n || port < 1 || port > 65535)
      throw new Error(`${redactUrl(url)}: "${hp}" is not host:port (port 1-65535)`);
    return { host: (n[1] ?? "").replace(/^\[|\]$/g, ""), port };
  });
  const auth = m[2];
  const [user, pass] =
    auth === undefined ? [] : auth.includes(":") ? auth.split(/:(.*)/s) : [undefined, auth];
  return {
    nodes,
    ...(user ? { username: decodeURIComponent(user) } : {}),
    ...(pass !== undefined ? { password: decodeURIComponent(pass) } : {}),
    tls: m[1] === "rediss",
  };
}

export interface OpenStoreOptions {
  modelVersion: string;
  /** The pair-key encoding whose namespace to open; only cache admin opens another. @default KEY_ENCODING */
  keyEncoding?: number;
  /** Do not create a namespace that does not exist (Redis): for commands that only look. @default false */
  readOnly?: boolean;
  /** Sizes the Redis bucket count of a new namespace. @default 20_000_000 */
  expectedPairs?: number;
  onWarning?: (message: string) => void;
}

/** A URL safe to log: the password replaced. */
export function redactUrl(url: string): string {
  return url.replace(/^([\w+.-]+:\/\/)([^@/]*)@/, (_m, scheme: string, auth: string) =>
    auth.includes(":") ? `${scheme}${auth.split(":")[0]}:***@` : `${scheme}***@`,
  );
}

/** Checks the form of a CACHE_URL without connecting; throws with the accepted forms. */
export function validateCacheUrl(url: string): void {
  if (/^rediss?:\/\/[^/]/.test(url) || /^lmdb:.+/.test(url) || url === "memory:") return;
  if (/^rediss?-cluster:/.test(url)) {
    parseRedisClusterUrl(url);
    return;
  }
  if (url.startsWith("memcached://")) {
    parseMemcachedUrl(url);
    return;
  }
  throw new Error(`expected ${CACHE_URL_FORMS}`);
}

export async function openSeniorityStore(url: string, opened: OpenStoreOptions): Promise<SeniorityStore> {
  validateCacheUrl(url);
  // Every backend names its namespace after this: a model version under one key encoding.
  const options = { ...opened, modelVersion: storageNamespace(opened.modelVersion, opened.keyEncoding) };
  if (url === "memory:") return new MemoryStore();
  if (url.startsWith("memcached://")) {
    const store = new MemcachedStore(parseMemcachedUrl(url), options.modelVersion);
    try {
      await store.ping();
    } catch (err) {
      await store.close();
      throw new Error(`cannot connect to memcached at ${url}: ${(err as Error).message}`);
    }
    return store;
  }
  if (url.startsWith("lmdb:")) {
    const raw = url.replace(/^lmdb:(\/\/)?/, "");
    const path = isAbsolute(raw) ? raw : resolve(raw);
    try {
      return LmdbStore.open(path, options.modelVersion);
    } catch (err) {
      throw new Error(`cannot open the embedded cache at ${path}: ${(err as Error).message}`);
    }
  }
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
