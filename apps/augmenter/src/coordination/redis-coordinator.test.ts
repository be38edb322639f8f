import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisScripts } from "@rl/cache/redis";
import { startLocalRedis, type LocalRedisServer } from "@rl/cache/testing";
import { RedisCoordinator, type RedisCoordinatorOptions } from "./redis-coordinator";

let redis: LocalRedisServer;
const clients: Redis[] = [];
beforeAll(async () => {
  redis = await startLocalRedis();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await redis.stop();
});

let deployment = 0;
/** Workers of one deployment: same raw prefix, model and namespace; each its own connection. */
function workers(n: number, o: Partial<RedisCoordinatorOptions> = {}): RedisCoordinator[] {
  deployment += 1;
  return Array.from({ length: n }, (_, i) => {
    const c = new Redis(redis.url);
    clients.push(c);
    return new RedisCoordinator(redisScripts(c), {
      modelVersion: `v${deployment}`,
      rawLocation: `s3://b/raw-${deployment}/`,
      modelAddress: `model-${deployment}:50051`,
      pairsPerSecond: 1000,
      workerId: `w${i}`,
      ...o,
    });
  });
}

describe("RedisCoordinator (real redis-server)", () => {
  it("spaces every worker's sends on one schedule at the shared rate", async () => {
    const ws = workers(3);
    // 6 reservations of 500 pairs at 1000 pairs/s, from 3 workers at once: 0, 0.5, ... 2.5 s.
    const waits = await Promise.all([...ws, ...ws].map((w) => w.reserveModelPairs(500)));
    const sorted = waits.sort((x, y) => x - y);
    sorted.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(i * 500 - 50);
      expect(ms).toBeLessThanOrEqual(i * 500 + 50);
    });
  });

  it("gives each pair to one worker; its holder may re-claim it; a release frees it", async () => {
    const [a, b] = workers(2);
    const k = (i: number) => Buffer.from([i, 1, 2, 3, 4, 5, 6, 7]);
    expect(await a!.claimPairs([k(1), k(2)])).toEqual([true, true]);
    expect(await b!.claimPairs([k(2), k(3)])).toEqual([false, true]);
    expect(await a!.claimPairs([k(1), k(3)])).toEqual([true, false]);
    await a!.releasePairs([k(1), k(2)]);
    expect(await b!.claimPairs([k(1), k(2)])).toEqual([true, true]);
  });
});
