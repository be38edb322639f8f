import { Cluster, type Redis } from "ioredis";
import { groupBySlot, sendPerNode, type SlotCall } from "./redis-calls";
import { PACKED_PAIR_BYTES, storedKey, type PairKey } from "./pair-key";
import type { CoordinationSite } from "./record-space";
import { isSeniority, type SeniorityStore } from "./seniority-store";
import type { CacheAdmin, ImportCounts } from "./cache-admin";
import { redisAdmin } from "./redis-admin";
import { redisScripts } from "./redis-scripts";

export interface RedisStoreOptions {
  /** Model version: the namespace. A new version starts empty; the old one can be dropped. */
  modelVersion: string;
  /**
   * Pairs the namespace is sized for. The bucket count is derived from it once, when the
   * namespace is created, and then read from Redis, because changing it would move every key.
   * @default 20_000_000
   */
  expectedPairs?: number;
  /** @default "sen" */
  keyPrefix?: string;
  /** Told when Redis holds a bucket count other than the configured one. */
  onWarning?: (message: string) => void;
  /**
   * Open without creating (`cache stats`, `export`): a namespace that does not exist reads as
   * empty and its bucket count is not fixed, so a look does not size it for whoever looked.
   * @default false
   */
  readOnly?: boolean;
}

/** Fields per bucket aimed for: far below Redis's 512-entry listpack limit even at 2× growth. */
export const TARGET_FIELDS_PER_BUCKET = 150;
export const REDIS_LAYOUT = "hash-buckets-v2";
/** Pairs per Lua call: keeps each call to a millisecond or so, so Redis is never blocked long. */
const SCRIPT_BATCH = 5_000;

/** A power of two giving about TARGET_FIELDS_PER_BUCKET fields per bucket at `expectedPairs`. */
export function bucketCountFor(expectedPairs: number): number {
  const want = Math.max(1, Math.ceil(expectedPairs / TARGET_FIELDS_PER_BUCKET));
  return 2 ** Math.max(4, Math.round(Math.log2(want)));
}

// KEYS: one bucket per pair; ARGV: the matching fields. Returns values or false.
const GET_SCRIPT =
  "local out = {} for i = 1, #KEYS do out[i] = redis.call('HGET', KEYS[i], ARGV[i]) or false end return out";
// KEYS: buckets; ARGV: for each bucket, a count then that many field/value pairs.
const SET_SCRIPT =
  "local a = 1 for i = 1, #KEYS do local n = tonumber(ARGV[a]) local args = {} for j = 1, 2 * n do args[j] = ARGV[a + j] end redis.call('HSET', KEYS[i], unpack(args)) a = a + 2 * n + 1 end return #KEYS";

// KEYS: buckets; ARGV[1]: overwrite flag; ARGV[2]: per bucket, a 2-byte count n then n packed
// records (8-byte field, ASCII digit). Returns {new, unchanged, conflicts kept, replaced}.
// A call into Redis costs far more than a field, so a bucket's pairs go as one HMGET and at
// most one HSET; a bucket with one pair (the common case in a big namespace) as one HSETNX.
const IMPORT_SCRIPT = `local ow = ARGV[1] == '1' local blob = ARGV[2] local p = 1
local new, same, kept, replaced = 0, 0, 0, 0
local function settle(had, v)
  if had == v then same = same + 1 return false end
  if ow then replaced = replaced + 1 return true end
  kept = kept + 1 return false
end
for i = 1, #KEYS do
  local k = KEYS[i] local hi, lo = string.byte(blob, p, p + 1) p = p + 2
  local n = hi * 256 + lo
  if n == 1 then
    local f, v = string.sub(blob, p, p + 7), string.sub(blob, p + 8, p + 8) p = p + 9
    if redis.call('HSETNX', k, f, v) == 1 then new = new + 1
    elseif settle(redis.call('HGET', k, f), v) then redis.call('HSET', k, f, v) end
  else
    local fs, vs = {}, {}
    for j = 1, n do fs[j] = string.sub(blob, p, p + 7) vs[j] = string.sub(blob, p + 8, p + 8) p = p + 9 end
    local old = redis.call('HMGET', k, unpack(fs))
    local now, w = {}, {}
    for j = 1, n do
      local f, v = fs[j], vs[j] local had = now[f] or old[j]
      if not had then new = new + 1 now[f] = v w[#w + 1] = f w[#w + 1] = v
      elseif settle(had, v) then now[f] = v w[#w + 1] = f w[#w + 1] = v end
    end
    if #w > 0 then redis.call('HSET', k, unpack(w)) end
  end
end
return {new, same, kept, replaced}`;
/** Pairs of one bucket per HMGET / HSET: keeps `unpack` far below Lua's 8,000-slot C stack. */
const IMPORT_RUN = 2_000;

/** A single Redis or a Redis Cluster: the store and the admin commands work on both. */
export type RedisClient = Redis | Cluster;

interface ScriptCommands {
  senImport(numKeys: number, ...args: Array<string | Buffer>): Promise<number[]>;
  senGet(numKeys: number, ...args: Array<string | Buffer>): Promise<Array<Buffer | null>>;
  senSet(numKeys: number, ...args: Array<string | Buffer>): Promise<number>;
}
type ScriptCall = (c: ScriptCommands) => unknown;

/**
 * The compact layout of design.md §4: `HSET <prefix>:<version>:<bucket> <8 key bytes> <digit>`,
 * ≈14 bytes a pair while buckets stay listpack-encoded, against ≈120 for one string key per
 * pair. The field is the pair's stored key (the first 8 bytes of its hash, as in every
 * backend); the bucket is derived from it, so a field alone identifies the pair and export /
 * restore can move pairs between backends. Reads and writes of a batch go as Lua calls of at
 * most 5,000 pairs in one pipeline: one round trip, and about half the client-side cost of
 * one command per pair (measured: reads 89k → 167k pairs/s, writes 60k → 134k).
 *
 * On a Redis Cluster the key names are the same (no hash tags: buckets spread over all
 * slots); each Lua call carries the keys of one slot, as the cluster requires, and
 * `sendPerNode` groups the calls by the master that owns their slot and sends one explicit
 * pipeline per node (not ioredis's auto-pipelining, never enabled: it mis-groups Lua calls).
 */
export class RedisStore implements SeniorityStore {
  readonly description: string;
  private buckets = 0;
  readonly namespace: string;
  readonly keyPrefix: string;
  private readonly redis: RedisClient & ScriptCommands;
  readonly isCluster: boolean;

  private constructor(redis: RedisClient, options: RedisStoreOptions, description: string) {
    this.keyPrefix = options.keyPrefix ?? "sen";
    this.namespace = `${this.keyPrefix}:${options.modelVersion}`;
    this.description = description;
    this.isCluster = redis instanceof Cluster;
    redis.defineCommand("senGet", { lua: GET_SCRIPT });
    redis.defineCommand("senSet", { lua: SET_SCRIPT });
    redis.defineCommand("senImport", { lua: IMPORT_SCRIPT });
    this.redis = redis as RedisClient & ScriptCommands;
  }

  /** Connects the namespace: reads its bucket count, or fixes it atomically if it is new. */
  static async open(
    redis: RedisClient,
    options: RedisStoreOptions,
    description = "redis",
  ): Promise<RedisStore> {
    const store = new RedisStore(redis, options, description);
    const configured = bucketCountFor(options.expectedPairs ?? 20_000_000);
    const metaKey = `${store.namespace}:meta`;
    if (options.readOnly) {
      const [b, l] = await redis.hmget(metaKey, "buckets", "layout");
      if (b === null && l === null) {
        store.buckets = configured;
        store.created = false;
        return store;
      }
    } else {
      await redis.hsetnx(metaKey, "buckets", String(configured));
      await redis.hsetnx(metaKey, "layout", REDIS_LAYOUT);
    }
    const [buckets, layout] = await redis.hmget(metaKey, "buckets", "layout");
    if (layout !== REDIS_LAYOUT) {
      throw new Error(
        `namespace ${store.namespace} uses layout ${layout}; this version reads ${REDIS_LAYOUT}: drop it (augmenter cache drop) or use another MODEL_VERSION`,
      );
    }
    const stored = Number(buckets);
    if (!Number.isInteger(stored) || stored < 1) {
      throw new Error(
        `${metaKey} holds an invalid bucket count ${JSON.stringify(buckets)}; fix or delete the key`,
      );
    }
    if (stored !== configured) {
      options.onWarning?.(
        `namespace ${store.namespace} was created with ${stored} buckets; using them, not the ${configured} derived from the configured expected pairs`,
      );
    }
    store.buckets = stored;
    return store;
  }

  /** False when opened read-only and the namespace does not exist yet. */
  created = true;

  get bucketCount(): number {
    return this.buckets;
  }

  get client(): RedisClient {
    return this.redis;
  }

  /** Workers on any machine sharing this Redis coordinate on it, through their own scripts. */
  get coordination(): CoordinationSite {
    this.site ??= { kind: "redis", scripts: redisScripts(this.redis) };
    return this.site;
  }
  private site: CoordinationSite | undefined;

  get admin(): CacheAdmin {
    return redisAdmin(this);
  }

  /** The bucket of a stored (8-byte) key or a full pair key. */
  bucketKey(key: Buffer): string {
    return `${this.namespace}:${(key.readUInt32BE(0) % this.buckets).toString(36)}`;
  }

  private bySlot<T>(items: readonly T[], keyOf: (t: T) => string): Array<{ slot: number; items: T[] }> {
    return groupBySlot(this.redis, items, keyOf);
  }

  private send(calls: ReadonlyArray<{ slot: number; call: ScriptCall }>): Promise<unknown[]> {
    return sendPerNode(this.redis, calls as ReadonlyArray<SlotCall>);
  }

  async getMany(keys: readonly PairKey[]): Promise<Array<number | undefined>> {
    return this.getStoredMany(keys.map(storedKey));
  }

  async getStoredMany(keys: readonly Buffer[]): Promise<Array<number | undefined>> {
    const out = new Array<number | undefined>(keys.length).fill(undefined);
    if (keys.length === 0) return out;
    const items = keys.map((field, i) => ({ i, field, bucket: this.bucketKey(field) }));
    const parts: Array<typeof items> = [];
    const calls: Array<{ slot: number; call: ScriptCall }> = [];
    for (const { slot, items: group } of this.bySlot(items, (t) => t.bucket))
      for (let a = 0; a < group.length; a += SCRIPT_BATCH) {
        const part = group.slice(a, a + SCRIPT_BATCH);
        parts.push(part);
        calls.push({
          slot,
          call: (c) => c.senGet(part.length, ...part.map((t) => t.bucket), ...part.map((t) => t.field)),
        });
      }
    const results = await this.send(calls);
    results.forEach((values, c) => {
      const part = parts[c] ?? [];
      (values as Array<Buffer | string | null>).forEach((v, j) => {
        const n = v === null ? undefined : Number(v.toString());
        // A value that is not 1..7 is treated as absent (re-inferred), never used.
        out[part[j]?.i ?? 0] = isSeniority(n) ? n : undefined;
      });
    });
    return out;
  }

  async setMany(entries: ReadonlyArray<readonly [PairKey, number]>): Promise<void> {
    return this.setStoredMany(entries.map(([k, v]) => [storedKey(k), v] as const));
  }

  async setStoredMany(entries: ReadonlyArray<readonly [Buffer, number]>): Promise<void> {
    if (entries.length === 0) return;
    const groups = new Map<string, Array<Buffer | string>>();
    for (const [k, v] of entries) {
      const b = this.bucketKey(k);
      const g = groups.get(b);
      if (g) g.push(k, String(v));
      else groups.set(b, [k, String(v)]);
    }
    const calls: Array<{ slot: number; call: ScriptCall }> = [];
    for (const { slot, items: part } of this.bySlot([...groups], ([bucket]) => bucket)) {
      let keys: string[] = [];
      let args: Array<Buffer | string> = [];
      let pairs = 0;
      const flush = () => {
        if (keys.length === 0) return;
        const [k, a] = [keys, args];
        calls.push({ slot, call: (c) => c.senSet(k.length, ...k, ...a) });
        keys = [];
        args = [];
        pairs = 0;
      };
      for (const [bucket, fv] of part) {
        keys.push(bucket);
        args.push(String(fv.length / 2), ...fv);
        pairs += fv.length / 2;
        if (pairs >= SCRIPT_BATCH) flush();
      }
      flush();
    }
    await this.send(calls);
  }

  /**
   * Conditional bulk write for imports, checked and written on the server in one pass: an
   * existing different value is kept unless `overwrite`. `records` holds `count` packed pairs
   * (see {@link packPair}); they are sorted by bucket so each Lua call carries one packed
   * argument and one key per bucket, not two arguments a pair. A pair repeated in the batch
   * meets the value its earlier occurrence wrote.
   */
  async importPacked(records: Buffer, count: number, overwrite: boolean): Promise<ImportCounts> {
    const total: ImportCounts = { imported: 0, unchanged: 0, kept: 0, overwritten: 0 };
    if (count === 0) return total;
    if (count > 2 ** 20)
      throw new RangeError(`importPacked: at most ${2 ** 20} records a call, got ${count}`);
    // bucket * 2^20 + index stays an exact float64 below 2^52: a native numeric sort groups
    // the records by bucket and keeps their order within a bucket.
    const order = new Float64Array(count);
    for (let i = 0; i < count; i++)
      order[i] = (records.readUInt32BE(i * PACKED_PAIR_BYTES) % this.buckets) * 2 ** 20 + i;
    order.sort();
    // Runs of one bucket (at most IMPORT_RUN pairs each), in order.
    const runs: Array<{ key: string; from: number; to: number }> = [];
    for (let i = 0; i < count;) {
      const bucket = Math.floor((order[i] ?? 0) / 2 ** 20);
      let end = i + 1;
      while (end < count && end - i < IMPORT_RUN && Math.floor((order[end] ?? 0) / 2 ** 20) === bucket) end++;
      runs.push({ key: `${this.namespace}:${bucket.toString(36)}`, from: i, to: end });
      i = end;
    }
    const flag = overwrite ? "1" : "0";
    const calls: Array<{ slot: number; call: ScriptCall }> = [];
    for (const { slot, items: part } of this.bySlot(runs, (r) => r.key)) {
      for (let a = 0; a < part.length;) {
        // Runs up to SCRIPT_BATCH pairs (or one run) per call, packed into one argument.
        let b = a;
        let pairs = 0;
        while (b < part.length && (b === a || pairs + (part[b]!.to - part[b]!.from) <= SCRIPT_BATCH))
          pairs += part[b]!.to - part[b++]!.from;
        const group = part.slice(a, b);
        const blob = Buffer.allocUnsafe(2 * group.length + PACKED_PAIR_BYTES * pairs);
        let at = 0;
        for (const run of group) {
          blob.writeUInt16BE(run.to - run.from, at);
          at += 2;
          for (let j = run.from; j < run.to; j++) {
            const r = ((order[j] ?? 0) % 2 ** 20) * PACKED_PAIR_BYTES;
            // A byte loop: Buffer#copy costs more than it moves at 9 bytes.
            for (let x = 0; x < PACKED_PAIR_BYTES; x++) blob[at++] = records[r + x] ?? 0;
          }
        }
        const keys = group.map((run) => run.key);
        calls.push({ slot, call: (c) => c.senImport(keys.length, ...keys, flag, blob) });
        a = b;
      }
    }
    for (const counts of await this.send(calls)) {
      const [a = 0, b = 0, c = 0, d = 0] = counts as number[];
      total.imported += a;
      total.unchanged += b;
      total.kept += c;
      total.overwritten += d;
    }
    return total;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
