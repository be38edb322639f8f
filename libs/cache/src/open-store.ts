import { isAbsolute, resolve } from "node:path";
import { Redis } from "ioredis";
import { LmdbStore } from "./lmdb-store";
import { MemcachedStore, parseMemcachedUrl } from "./memcached-store";
import { MemoryStore } from "./memory-store";
import { RedisStore } from "./redis-store";
import type { SeniorityStore } from "./seniority-store";

export const CACHE_URL_FORMS =
  "redis://[user:pass@]host:port[/db], rediss://... (TLS), lmdb:///absolute/path, lmdb:relative/path, or memory:";

export interface OpenStoreOptions {
  modelVersion: string;
  /** Sizes the Redis bucket count of a new namespace. @default 20_000_000 */
  expectedPairs?: number;
  onWarning?: (message: string) => void;
}

/** A URL safe to log: the password replaced. */
export function redactUrl(url: string): string {
  return url.replace(/^(\w+:\/\/)([^@/]*)@/, (_m, scheme: string, auth: string) =>
    auth.includes(":") ? `${scheme}${auth.split(":")[0]}:***@` : `${scheme}***@`,
  );
}

/** Checks the form of a CACHE_URL without connecting; throws with the accepted forms. */
export function validateCacheUrl(url: string): void {
  if (/^rediss?:\/\/[^/]/.test(url) || /^lmdb:.+/.test(url) || url === "memory:") return;
  if (url.startsWith("memcached://")) {
    parseMemcachedUrl(url);
    return;
  }
  throw new Error(`expected ${CACHE_URL_FORMS}`);
}

export async function openSeniorityStore(url: string, options: OpenStoreOptions): Promise<SeniorityStore> {
  validateCacheUrl(url);
  if (url === "memory:") return new MemoryStore();
  if (url.startsWith("memcached://")) return new MemcachedStore(parseMemcachedUrl(url), options.modelVersion);
  if (url.startsWith("lmdb:")) {
    const raw = url.replace(/^lmdb:(\/\/)?/, "");
    const path = isAbsolute(raw) ? raw : resolve(raw);
    return LmdbStore.open(path, options.modelVersion);
  }
  const redis = new Redis(url, {
    lazyConnect: true,
    // Fail a command after a few reconnect attempts instead of queueing it forever, so the
    // service can report that Redis is down and carry on with L1 and the model.
    maxRetriesPerRequest: 2,
    connectTimeout: 5_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  redis.on("error", () => {}); // connection errors surface on the commands that fail
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new Error(`cannot connect to Redis at ${redactUrl(url)}: ${(err as Error).message}`);
  }
  return RedisStore.open(
    redis,
    {
      modelVersion: options.modelVersion,
      ...(options.expectedPairs ? { expectedPairs: options.expectedPairs } : {}),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    },
    redactUrl(url),
  );
}
