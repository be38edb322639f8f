export { REDIS_LAYOUT, RedisStore, TARGET_FIELDS_PER_BUCKET, bucketCountFor } from "./redis-store";
export type { RedisClient, RedisStoreOptions } from "./redis-store";
export { redisAdmin, redisBucketStats, redisDrop, redisEntries, redisNamespaces } from "./redis-admin";
export type { BucketStats } from "./redis-admin";
export { redisScripts } from "./redis-scripts";
