export { freePort, startLocalRedis } from "./redis-server";
export { startLocalMemcached } from "./memcached-server";
export { stopChild } from "./stop-child";
export type { LocalRedisServer } from "./redis-server";
export { startLocalRedisCluster } from "./redis-cluster";
export type { LocalRedisCluster } from "./redis-cluster";
