import { randomBytes } from "node:crypto";
import { readlinkSync } from "node:fs";
import { hostname } from "node:os";
import type { RecordSpace, RecordTxn } from "@rl/cache";
import {
  renewedLease,
  shortHash,
  type CoordinationOptions,
  type Coordinator,
  type FileLease,
  type FileLeases,
} from "./coordinator";

export type LmdbCoordinatorOptions = CoordinationOptions;

/** Who holds a lease or a claim. `token` tells one lease of a worker from another. */
interface Holder {
  owner: string;
  token?: string;
  pid: number;
  /** The PID namespace `pid` is in: only there does "no such process" mean it is gone. */
  scope: string;
  /** Date.now() after which the record is free whoever holds it. */
  exp: number;
}

function pidScope(): string {
  try {
    return readlinkSync("/proc/self/ns/pid"); // "pid:[4026531836]": containers differ
  } catch {
    return `host:${hostname()}`;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // alive, another user's
  }
}

/**
 * Coordination of the processes on one machine sharing an embedded cache, in a
 * {@link RecordSpace} beside it: the same agreements as {@link RedisCoordinator}, each
 * read-modify-write one LMDB write transaction (LMDB serialises writers across processes).
 *
 * A lease (`lease:<raw>:<key>@<etag>`) or a pair claim (`claim:<version>:<pair>`) is a record
 * naming its holder, the holder's PID and an expiry. States of such a record, as any process
 * sees it:
 * - FREE: absent, expired, or its holder's process has exited (same PID namespace and
 *   `kill(pid, 0)` says ESRCH): the next taker writes its own record at once.
 * - HELD: another live holder before expiry: refused. The expiry stays as the fallback for a
 *   PID reused by an unrelated process.
 * - MINE: this worker's (same WORKER_ID, so also an earlier life of it): taken again, refreshed.
 * Leases are renewed every third of their TTL while held; a renewal that finds another token
 * marks the lease lost. Release deletes the record if it is still this holder's.
 *
 * The model rate is one GCRA schedule (`rate:<model>`, its theoretical arrival time on
 * Date.now(), which every process on the machine shares) charged per pair.
 */
export class LmdbCoordinator implements Coordinator, FileLeases {
  readonly shared = true;
  readonly workerId: string;
  private readonly leasePrefix: string;
  private readonly claimPrefix: string;
  private readonly rateKey: string;
  private readonly leaseMs: number;
  private readonly claimMs: number;
  private readonly scope = pidScope();
  private readonly timers = new Set<NodeJS.Timeout>();

  /** Takes `space` over: {@link close} closes it. */
  constructor(
    private readonly space: RecordSpace,
    private readonly o: LmdbCoordinatorOptions,
  ) {
    this.workerId = o.workerId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
    this.leasePrefix = `lease:${shortHash(o.rawLocation)}:`;
    this.claimPrefix = `claim:${o.modelVersion}:`;
    this.rateKey = `rate:${shortHash(o.modelAddress)}`;
    this.leaseMs = o.fileLeaseMs ?? 60_000;
    this.claimMs = o.pairClaimMs ?? 120_000;
  }

  /** Whether `t` may take the record at `key` for this worker. */
  private takeable(t: RecordTxn, key: string, now: number, alive: (pid: number) => boolean): boolean {
    const h = t.get(key) as Holder | undefined;
    return (
      h === undefined ||
      h.exp <= now ||
      h.owner === this.workerId ||
      (h.scope === this.scope && h.pid !== process.pid && !alive(h.pid))
    );
  }

  private holder(ttl: number, token?: string): Holder {
    return {
      owner: this.workerId,
      ...(token ? { token } : {}),
      pid: process.pid,
      scope: this.scope,
      exp: Date.now() + ttl,
    };
  }

  async leaseFile(key: string, etag: string): Promise<FileLease | undefined> {
    const name = `${key}@${etag}`;
    // LMDB keys stop at 1,978 bytes; a name that long is hashed.
    const k = this.leasePrefix + (Buffer.byteLength(name) > 1000 ? shortHash(name) : name);
    const token = `${this.workerId}:${randomBytes(4).toString("hex")}`;
    const got = this.space.update((t) => {
      if (!this.takeable(t, k, Date.now(), memo(processAlive))) return false;
      t.put(k, this.holder(this.leaseMs, token));
      return true;
    });
    if (!got) return undefined;
    return renewedLease({
      leaseMs: this.leaseMs,
      renew: async () =>
        this.space.update((t) => {
          if ((t.get(k) as Holder | undefined)?.token !== token) return false;
          t.put(k, this.holder(this.leaseMs, token));
          return true;
        }),
      release: async () =>
        this.space.update((t) => {
          if ((t.get(k) as Holder | undefined)?.token === token) t.remove(k);
        }),
      timers: this.timers,
      onRenewError: (err) => this.o.onWarning?.(`cannot renew the lease on ${key}`, err),
    });
  }

  async reserveModelPairs(n: number): Promise<number> {
    return this.space.update((t) => {
      const now = Date.now();
      const stored = t.get(this.rateKey);
      const tat = typeof stored === "number" && stored > now ? stored : now;
      t.put(this.rateKey, tat + (n * 1000) / this.o.pairsPerSecond);
      return tat - now;
    });
  }

  async claimPairs(keys: readonly Buffer[]): Promise<boolean[]> {
    if (keys.length === 0) return [];
    const alive = memo(processAlive);
    return this.space.update((t) => {
      const now = Date.now();
      const mine = this.holder(this.claimMs);
      return keys.map((key) => {
        const k = this.claimPrefix + key.toString("hex");
        if (!this.takeable(t, k, now, alive)) return false;
        t.put(k, mine);
        return true;
      });
    });
  }

  async releasePairs(keys: readonly Buffer[]): Promise<void> {
    if (keys.length === 0) return;
    this.space.update((t) => {
      for (const key of keys) {
        const k = this.claimPrefix + key.toString("hex");
        if ((t.get(k) as Holder | undefined)?.owner === this.workerId) t.remove(k);
      }
    });
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    await this.space.close();
  }
}

/** One liveness check per PID per transaction: a batch's claims are mostly one other holder's. */
function memo(alive: (pid: number) => boolean): (pid: number) => boolean {
  const seen = new Map<number, boolean>();
  return (pid) => {
    let a = seen.get(pid);
    if (a === undefined) seen.set(pid, (a = alive(pid)));
    return a;
  };
}
