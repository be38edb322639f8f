import type { Cluster, Redis } from "ioredis";

// KEYS[1]: the lease; ARGV: holder, ttl. Takes a free lease or renews our own: 1, else 0.
const HOLD =
  "local v = redis.call('GET', KEYS[1]) if v and v ~= ARGV[1] then return 0 end redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1";
// KEYS[1]: the lease; ARGV[1]: holder. Frees it when still ours.
const FREE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/**
 * Who lists the raw prefix for the queue: one worker at a time, so N workers do not list S3 N
 * times a pass. States, as a worker sees them on each tick:
 * - FREE (no key, or it expired: its holder is gone): the first to tick takes it.
 * - MINE: renewed on every tick; a holder that stops ticking loses it after `ttlMs`.
 * - OTHER'S: this worker does not scan this tick.
 * Two scanners for a moment (a holder paused past its TTL) are harmless: job ids are
 * deterministic, so a file is enqueued once whoever lists it.
 */
export class ScannerLease {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly key: string,
    private readonly holder: string,
    private readonly ttlMs: number,
  ) {}

  /** Takes or renews the lease: true when this worker scans. */
  async hold(): Promise<boolean> {
    return (await this.redis.eval(HOLD, 1, this.key, this.holder, String(this.ttlMs))) === 1;
  }

  /** Frees the lease at shutdown, so the next scanner need not wait out the TTL. */
  async free(): Promise<void> {
    await this.redis.eval(FREE, 1, this.key, this.holder);
  }
}
