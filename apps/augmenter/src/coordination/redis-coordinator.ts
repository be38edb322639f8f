import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { LuaScript, ScriptRunner } from "@rl/cache";
import { shortHash, type CoordinationOptions, type Coordinator } from "./coordinator";

export interface RedisCoordinatorOptions extends CoordinationOptions {
  /** Key prefix of this deployment's coordination keys. @default "sen" */
  keyPrefix?: string;
}

// KEYS: claims; ARGV[1]: holder. Deletes those still ours.
const RELEASE: LuaScript = {
  name: "senRelease",
  lua: "local n = 0 for i = 1, #KEYS do if redis.call('GET', KEYS[i]) == ARGV[1] then n = n + redis.call('DEL', KEYS[i]) end end return n",
};
// KEYS: pair claims; ARGV: token, ttl. Per key 1 when claimed (or already ours, refreshed), 0 when another's.
const CLAIM: LuaScript = {
  name: "senClaim",
  lua: "local out = {} for i = 1, #KEYS do if redis.call('SET', KEYS[i], ARGV[1], 'NX', 'PX', ARGV[2]) then out[i] = 1 elseif redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('PEXPIRE', KEYS[i], ARGV[2]) out[i] = 1 else out[i] = 0 end end return out",
};
// GCRA on Redis's clock. KEYS[1]: the model's schedule; ARGV: pairs, pairs per second. Returns the
// ms to wait before sending: the send times of all workers are spaced as one paced sender's.
const RESERVE: LuaScript = {
  name: "senReserve",
  lua: `local t = redis.call('TIME') local now = t[1] * 1000 + t[2] / 1000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') if tat < now then tat = now end
local nxt = tat + tonumber(ARGV[1]) * 1000 / tonumber(ARGV[2])
redis.call('SET', KEYS[1], string.format('%.3f', nxt), 'PX', math.ceil(nxt - now) + 60000)
return string.format('%.3f', tat - now)`,
};

/**
 * Coordination on the Redis (or Redis Cluster) that holds the cache, with Redis's own
 * primitives: the model rate is one GCRA schedule key on Redis's clock, and pair claims are
 * `SET NX PX` keys (a batch's claims are one Lua call on one node; one per slot, pipelined per
 * master, on a cluster). Who processes which file is the file queue's (work/queue-source.ts).
 */
export class RedisCoordinator implements Coordinator {
  readonly shared = true;
  readonly workerId: string;
  private readonly claimPrefix: string;
  private readonly rateKey: string;
  private readonly claimMs: number;

  constructor(
    private readonly scripts: ScriptRunner,
    private readonly o: RedisCoordinatorOptions,
  ) {
    this.workerId = o.workerId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
    const p = o.keyPrefix ?? "sen";
    this.claimPrefix = `${p}:${o.modelVersion}:claim`;
    this.rateKey = `${p}:rate:${shortHash(o.modelAddress)}`;
    this.claimMs = o.pairClaimMs ?? 120_000;
  }

  async reserveModelPairs(n: number): Promise<number> {
    return Math.max(0, Number(await this.scripts.run(RESERVE, [this.rateKey], [n, this.o.pairsPerSecond])));
  }

  private claimKeys(keys: readonly Buffer[]): string[] {
    // No hash tags: a claim needs no atomicity with any other key. On a cluster the claims of a
    // batch spread over the slots and go as one small Lua call per slot, one pipeline per master.
    return keys.map((k) => `${this.claimPrefix}:${k.toString("hex")}`);
  }

  async claimPairs(keys: readonly Buffer[]): Promise<boolean[]> {
    const out = new Array<boolean>(keys.length).fill(false);
    if (keys.length === 0) return out;
    const parts = await this.scripts.runPerSlot(CLAIM, this.claimKeys(keys), [this.workerId, this.claimMs]);
    for (const { indexes, result } of parts)
      indexes.forEach((i, j) => (out[i] = (result as number[])[j] === 1));
    return out;
  }

  async releasePairs(keys: readonly Buffer[]): Promise<void> {
    if (keys.length === 0) return;
    await this.scripts.runPerSlot(RELEASE, this.claimKeys(keys), [this.workerId]);
  }

  async close(): Promise<void> {}
}
