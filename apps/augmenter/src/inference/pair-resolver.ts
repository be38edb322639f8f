import { pairKey, type Pair, type TwoTierCache } from "@rl/cache";
import type { CoordinationFailures } from "./coordination-failures";
import { L2Writer, type Answer } from "./l2-writer";
import type { PairClaims } from "./pair-claims";

export interface PairResolverHooks {
  /** A pending pair's value appeared in L2 (another worker inferred it); it is in L1 already. */
  found(key: string, seniority: number): void;
  /** Pairs whose claim elsewhere lapsed, now this worker's: to infer without lingering. */
  takenOver(pairs: Pair[]): void;
  /** L2 answers again and what waited for it is stored: model calls may resume. */
  l2Back(): void;
  /** An L2 write failed: model calls pause until L2 answers, and the values are written then. */
  onCacheWriteError?(err: Error, pairs: number): void;
}

export interface PairResolverOptions {
  /** Shared mode's claims; absent for a lone worker, which has nothing to claim or re-read. */
  claims?: PairClaims;
  failures: CoordinationFailures;
  /** How often pairs claimed by other workers are looked up in L2. @default 250 */
  watchIntervalMs?: number;
}

/**
 * Everything about a pair's value around its model call: before it, the pairs of a batch are
 * claimed (shared mode) and re-read from L2, since another worker may have stored them since
 * the caller looked; after it, answers are written (see {@link L2Writer}) and their claims given
 * back. Pairs claimed by another worker are watched in L2 until their value appears, or taken
 * over when the claim lapses (its owner died or gave up).
 *
 * States of the watch on pairs claimed elsewhere:
 * - IDLE: none watched. A batch with pairs claimed elsewhere: WATCHING.
 * - WATCHING: every `watchIntervalMs` they are read from L2 (skipped while L2 is down): values
 *   found go to L1 and their waiters; lapsed claims are taken over (not within 3 s of an L2
 *   outage's end, when their owner may still be storing them). None left: IDLE.
 * - CLOSED: nothing watched; the timer stopped.
 */
export class PairResolver {
  /** Pairs another worker has claimed, by key. */
  private readonly remote = new Map<string, Pair>();
  private watchTimer: NodeJS.Timeout | undefined;
  private readonly watchIntervalMs: number;
  private readonly writer: L2Writer;
  private readonly claims: PairClaims | undefined;
  private readonly failures: CoordinationFailures;
  private remoteResolved = 0;
  private closed = false;

  constructor(
    private readonly cache: TwoTierCache,
    private readonly hooks: PairResolverHooks,
    options: PairResolverOptions,
  ) {
    this.claims = options.claims;
    this.failures = options.failures;
    this.watchIntervalMs = options.watchIntervalMs ?? 250;
    this.writer = new L2Writer(cache, {
      stored: (keys) => this.release(keys),
      // Claims may have lapsed during a long outage: take them back before anything else, so a
      // peer that sees these pairs missing from L2 does not infer them while they are stored.
      beforeCatchUp: async () => this.claims?.renew(),
      caughtUp: () => hooks.l2Back(),
      ...(hooks.onCacheWriteError ? { onWriteError: hooks.onCacheWriteError } : {}),
    });
  }

  stats() {
    return { ...this.writer.stats(), remoteResolved: this.remoteResolved };
  }

  /**
   * The pairs of a batch to send to the model. Shared mode: those claimed here and still missing
   * from L2; those cached meanwhile are answered, those claimed elsewhere watched. If L2 cannot
   * be read, the claimed pairs are returned as they are (the caller holds them until L2 is back).
   */
  async beforeCall(pairs: Pair[]): Promise<Pair[]> {
    if (!this.claims) return pairs; // alone: L2 holds nothing this worker did not write
    const mine = await this.claims.claim(pairs);
    const claimed = pairs.filter((_, i) => mine[i]);
    const theirs = pairs.filter((_, i) => !mine[i]);
    for (const p of theirs) this.remote.set(p.key, p);
    if (this.remote.size > 0) this.watch();
    let cached: Array<number | undefined>;
    try {
      cached = await this.cache.l2.getMany(claimed.map((p) => pairKey(p.key)));
    } catch (err) {
      this.cache.availability.failed(err as Error);
      return claimed;
    }
    const found: Answer[] = [];
    const toInfer: Pair[] = [];
    claimed.forEach((p, i) => {
      const v = cached[i];
      if (v === undefined) toInfer.push(p);
      else found.push([p.key, v]);
    });
    if (found.length > 0) {
      this.resolveFound(found);
      this.release(found.map(([k]) => k));
    }
    return toInfer;
  }

  /** After a call: answers stored (L2, then L1) and claims given back. Resolves to the L2 write ms. */
  store(entries: Answer[]): Promise<number> {
    return this.writer.store(entries);
  }

  /** Writes the answers that waited for L2 (shutdown, or L2 back). */
  storeUnstored(): Promise<void> {
    return this.writer.storeUnstored();
  }

  /** L2 was seen down: once it answers, what waited is stored, then `l2Back`. */
  waitForL2(): void {
    this.writer.waitForL2();
  }

  /** Pairs that will not be inferred here (failed for good, or shutting down): claims given back. */
  release(keys: string[]): void {
    if (this.claims) void this.claims.release(keys);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.watchTimer);
    this.watchTimer = undefined;
    this.remote.clear();
    this.claims?.close();
    this.writer.close();
  }

  /** Values another worker stored: to L1 and to the waiters. */
  private resolveFound(entries: readonly Answer[]): void {
    this.cache.storeL1(entries);
    for (const [k, v] of entries) {
      this.remoteResolved += 1;
      this.remote.delete(k);
      this.hooks.found(k, v);
    }
  }

  private watch(): void {
    if (this.watchTimer || this.closed) return;
    this.watchTimer = setTimeout(() => void this.checkRemote(), this.watchIntervalMs);
  }

  private async checkRemote(): Promise<void> {
    const pairs = [...this.remote.values()];
    try {
      // While L2 is away there is nothing to read: wait for it rather than fail every interval.
      if (!this.cache.availability.up || !this.claims) return;
      const values = await this.cache.l2.getMany(pairs.map((p) => pairKey(p.key)));
      const found: Answer[] = [];
      const missing: Pair[] = [];
      pairs.forEach((p, i) => {
        const v = values[i];
        if (v === undefined) missing.push(p);
        else found.push([p.key, v]);
      });
      this.resolveFound(found);
      // Just after an outage, the owner of a lapsed claim may not have stored its answers yet:
      // give it a few probe intervals before taking its pairs over.
      const settling = Date.now() - this.cache.availability.recoveredAt < 3_000;
      if (missing.length > 0 && !settling) {
        const taken = await this.claims.takeOver(missing);
        for (const p of taken) this.remote.delete(p.key);
        if (taken.length > 0 && !this.closed) this.hooks.takenOver(taken);
      }
    } catch (err) {
      this.failures.report(err as Error, "watching pairs claimed by other workers");
    } finally {
      this.watchTimer = undefined;
      if (this.remote.size > 0) this.watch();
    }
  }
}
