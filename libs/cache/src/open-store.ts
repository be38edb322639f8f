import { isAbsolute, resolve } from "node:path";
import { LmdbStore } from "./lmdb-store";
import { validateCacheUrl } from "./cache-url";
import { MemcachedStore, parseMemcachedUrl } from "./memcached-store";
import { MemoryStore } from "./memory-store";
import type { SeniorityStore } from "./seniority-store";
import { storageNamespace } from "./pair-key";

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
  // Imported only for a Redis URL: ioredis takes about a quarter of a second to load, which a
  // run on the embedded cache need not pay.
  const { openRedisStore } = await import("./open-redis-store");
  return openRedisStore(url, options);
}
