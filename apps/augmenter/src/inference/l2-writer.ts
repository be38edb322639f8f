import type { TwoTierCache } from "@rl/cache";

export type Answer = readonly [key: string, seniority: number];

export interface L2WriterHooks {
  /** Answers are in L2 (and L1): their pair claims may be given back. */
  stored(keys: string[]): void;
  /** L2 answers again, before the answers that waited are written (claims to take back first). */
  beforeCatchUp?(): Promise<void>;
  /** L2 answers again and what waited for it is written: model calls may resume. */
  caughtUp(): void;
  /** An L2 write failed: model calls pause until L2 answers, and the values are written then. */
  onWriteError?(err: Error, pairs: number): void;
}

/**
 * Writes the model's answers: L2 in one round trip, then L1. An answer that cannot be stored is
 * not lost: it serves this process from L1 and waits in `unstored` until L2 answers again.
 *
 * States:
 * - WRITING: answers go to L2 as they come. A write that fails: L2_DOWN.
 * - L2_DOWN: failed answers wait in `unstored`; the cache's availability probe watches L2.
 *   L2 back: CATCHING_UP.
 * - CATCHING_UP: `beforeCatchUp`, then `unstored` is written (a failure: L2_DOWN again), then
 *   `caughtUp`: WRITING.
 * - CLOSED (`close()`, or the cache's availability closed): nothing waits for L2 any more.
 */
export class L2Writer {
  private unstored: Answer[] = [];
  /** Answers of `unstored` being written right now. */
  private storing = 0;
  private waitingForL2 = false;
  private closed = false;
  private readonly counters = { cacheWriteMs: 0, cacheWriteErrors: 0 };

  constructor(
    private readonly cache: TwoTierCache,
    private readonly hooks: L2WriterHooks,
  ) {}

  stats() {
    return { ...this.counters, unstored: this.unstored.length + this.storing };
  }

  /**
   * Stores a call's answers and resolves to the L2 write time, ms. When L2 fails they go to L1
   * only, wait to be stored, and it resolves to 0: the values are right, only persistence failed.
   */
  async store(entries: Answer[]): Promise<number> {
    try {
      const ms = await this.cache.storeMany(entries);
      this.counters.cacheWriteMs += ms;
      this.hooks.stored(entries.map(([k]) => k));
      return ms;
    } catch (err) {
      this.counters.cacheWriteErrors += 1;
      this.cache.storeL1(entries);
      this.unstored.push(...entries);
      this.cache.availability.failed(err as Error);
      this.hooks.onWriteError?.(err as Error, entries.length);
      // Stored (and their claims given back) once L2 answers, whether or not more work comes.
      this.waitForL2();
      return 0;
    }
  }

  /**
   * Writes the answers that waited for L2. Their claims are given back only now: another worker
   * that saw them missing from L2 would otherwise take them over and infer them again.
   */
  async storeUnstored(): Promise<void> {
    if (this.unstored.length === 0) return;
    const entries = this.unstored;
    this.unstored = [];
    this.storing += entries.length;
    try {
      this.counters.cacheWriteMs += await this.cache.storeMany(entries);
      this.hooks.stored(entries.map(([k]) => k));
    } catch (err) {
      this.unstored.push(...entries);
      this.cache.availability.failed(err as Error);
      this.waitForL2();
    } finally {
      this.storing -= entries.length;
    }
  }

  /** L2_DOWN: once L2 answers, store what waited for it, then let model calls go on. */
  waitForL2(): void {
    if (this.waitingForL2 || this.closed) return;
    this.waitingForL2 = true;
    this.cache.availability.whenUp().then(
      async () => {
        this.waitingForL2 = false;
        await this.hooks.beforeCatchUp?.();
        await this.storeUnstored();
        this.hooks.caughtUp();
      },
      () => {
        this.waitingForL2 = false; // closed
      },
    );
  }

  close(): void {
    this.closed = true;
  }
}
