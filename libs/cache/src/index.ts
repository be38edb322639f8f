export { NORMALISE_LEVELS, normaliseText } from "./normalise";
export type { NormaliseLevel } from "./normalise";
export {
  KEY_ENCODING,
  KEY_ENCODINGS,
  PACKED_PAIR_BYTES,
  parseStorageNamespace,
  storageNamespace,
  STORED_KEY_BYTES,
  packPair,
  pairKey,
  pairText,
  splitPairText,
  storedKey,
  unpackPair,
} from "./pair-key";
export type { PairKey } from "./pair-key";
export { DEFAULT_PAIR_RULES, UNUSABLE_REASONS, pairWireBytes, toPair } from "./pair";
export type { Pair, PairRules, UnusableReason } from "./pair";
export { LruCache } from "./lru-cache";
export { isSeniority } from "./seniority-store";
export type { SeniorityStore } from "./seniority-store";
export { MemoryStore } from "./memory-store";
// The Redis store and its admin are at "@rl/cache/redis": importing them loads ioredis, which
// openSeniorityStore does only for a Redis CACHE_URL.
export type {
  CacheAdmin,
  Dropped,
  ImportCounts,
  NamespaceStats,
  PackedImport,
  StoredEntry,
} from "./cache-admin";
export { CLUSTER_SLOTS, clusterSlot } from "./cluster-slot";
export type { LuaScript, ScriptRunner } from "./redis-scripts";
export { LmdbStore } from "./lmdb-store";
export { LmdbRecordSpace } from "./lmdb-record-space";
export type { CoordinationSite, RecordSpace, RecordTxn } from "./record-space";
export { TwoTierCache } from "./two-tier-cache";
export { L2Availability } from "./l2-availability";
export type { L2AvailabilityEvents } from "./l2-availability";
export type { LookupResult } from "./two-tier-cache";
export {
  ADMIN_URL_FORMS,
  CACHE_URL_FORMS,
  parseRedisClusterUrl,
  redactUrl,
  validateCacheUrl,
} from "./cache-url";
export { openSeniorityStore } from "./open-store";
export type { OpenStoreOptions } from "./open-store";
export { HashRing, MemcachedStore, parseMemcachedUrl } from "./memcached-store";
