export { freePort, startLocalRedis } from "./redis-server";
export { startLocalMemcached } from "./memcached-server";
export { stopChild } from "./stop-child";
export type { LocalRedisServer } from "./redis-server";
