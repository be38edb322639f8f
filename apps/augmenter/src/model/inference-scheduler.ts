import { pairKey, splitPairText, storedKey, type TwoTierCache } from "@rl/cache";
import { LocalCoordinator, type Coordinator } from "../coordination/coordinator";
import { ModelError, modelErrorFrom, validateAnswers } from "./model-error";
import type { SeniorityModel } from "./seniority-model";

export interface SchedulerOptions {
  /** The model's sustainable rate; batches are paced so pairs sent per second stay at it. @default 1000 */
  pairsPerSecond: number;
  /** @default 1000 */
  batchSize: number;
  /** How long a partial batch waits for more misses before it is sent. @default 50 */
  lingerMs: number;
  /** RPCs in flight at once. Two keep the model busy across a round trip. @default 2 */
  maxInFlight: number;
  /** Deadline of each call. @default 30_000 */
  deadlineMs: number;
  /** Tries per batch, the first included. @default 5 */
  maxAttempts: number;
  /** @default 250 */
  backoffBaseMs: number;
  /** @default 10_000 */
  backoffMaxMs: number;
}

export const DEFAULT_SCHEDULER_OPTIONS: SchedulerOptions = {
  pairsPerSecond: 1000,
  batchSize: 1000,
  lingerMs: 50,
  maxInFlight: 2,
  deadlineMs: 30_000,
  maxAttempts: 5,
  backoffBaseMs: 250,
  backoffMaxMs: 10_000,
};

export interface SchedulerEvents {
  onBatch?(e: { pairs: number; attempt: number; ms: number; error?: ModelError }): void;
  onCacheWriteError?(err: Error, pairs: number): void;
  /** Coordination with other workers failed; this worker carries on alone for the batch. */
  onCoordinationError?(err: Error, what: string): void;
}

export interface SchedulerStats {
  requested: number;
  joined: number;
  pairsSent: number;
  rpcs: number;
  failedRpcs: number;
  retries: number;
  failedPairs: number;
  modelMs: number;
  cacheWriteMs: number;
  cacheWriteErrors: number;
  /** Pairs another worker inferred while this one waited for them (shared mode). */
  remoteResolved: number;
  coordinationErrors: number;
  pending: number;
  queued: number;
  inFlight: number;
}

/** Where a fresh request's share of its batch's model call and cache write time is added. */
export interface TimeAccount {
  modelCallMs: number;
  cacheWriteMs: number;
}

interface Waiter {
  account?: TimeAccount;
  promise: Promise<number>;
  resolve(v: number): void;
  reject(e: Error): void;
}

interface Batch {
  texts: string[];
  attempt: number;
}

/**
 * One per process, shared by every file in flight. Each missing pair gets one promise; a
 * second request for a pending pair joins it (single-flight). Misses fill batches of up to
 * `batchSize` with their index as uuid, flushed when full or after `lingerMs`, paced at
 * `pairsPerSecond` with at most `maxInFlight` calls out. Answers are validated, written to
 * the cache (L2 in one round trip, then L1), and only then handed to the waiters.
 */
export class InferenceScheduler {
  private readonly waiters = new Map<string, Waiter>();
  private queue: string[] = [];
  private readonly retryQueue: Batch[] = [];
  private inFlight = 0;
  private nextSendAt = 0;
  private lingerTimer: NodeJS.Timeout | undefined;
  private paceTimer: NodeJS.Timeout | undefined;
  private lingerExpired = false;
  private closed = false;
  private readonly counters = {
    requested: 0,
    joined: 0,
    pairsSent: 0,
    rpcs: 0,
    failedRpcs: 0,
    retries: 0,
    failedPairs: 0,
    modelMs: 0,
    cacheWriteMs: 0,
    cacheWriteErrors: 0,
    remoteResolved: 0,
    coordinationErrors: 0,
  };
  private readonly options: SchedulerOptions;
  private readonly coord: Coordinator;
  /** Pairs another worker has claimed: watched in L2 until their value appears or the claim lapses. */
  private readonly remote = new Set<string>();
  private watchTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly model: SeniorityModel,
    private readonly cache: TwoTierCache,
    options: Partial<SchedulerOptions> & { coordinator?: Coordinator; watchIntervalMs?: number } = {},
    private readonly events: SchedulerEvents = {},
    private readonly now: () => number = () => performance.now(),
    private readonly random: () => number = Math.random,
  ) {
    const { coordinator, watchIntervalMs, ...rest } = options;
    this.options = { ...DEFAULT_SCHEDULER_OPTIONS, ...rest };
    this.coord = coordinator ?? new LocalCoordinator();
    this.watchIntervalMs = watchIntervalMs ?? 250;
  }
  private readonly watchIntervalMs: number;

  stats(): SchedulerStats {
    return {
      ...this.counters,
      pending: this.waiters.size,
      queued: this.queue.length,
      inFlight: this.inFlight,
    };
  }

  /**
   * The seniority of a pair (normalised pair text) that both cache tiers missed. `fresh` says
   * whether this call put the pair on the model's queue (false: it joined a pending one).
   */
  request(text: string, account?: TimeAccount): { value: Promise<number>; fresh: boolean } {
    const existing = this.waiters.get(text);
    if (existing) {
      this.counters.joined += 1;
      return { value: existing.promise, fresh: false };
    }
    if (this.closed)
      return {
        value: Promise.reject(new ModelError("inference scheduler is closed", "status", false)),
        fresh: false,
      };
    let resolve!: (v: number) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<number>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {}); // a failure is seen by every awaiting file; never unhandled
    this.waiters.set(text, { promise, resolve, reject, ...(account ? { account } : {}) });
    this.counters.requested += 1;
    this.queue.push(text);
    if (this.queue.length >= this.options.batchSize) this.pump();
    else if (!this.lingerTimer) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined;
        this.lingerExpired = true;
        this.pump();
      }, this.options.lingerMs);
    }
    return { value: promise, fresh: true };
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight) {
      const retry = this.retryQueue[0];
      const ready =
        retry !== undefined ||
        this.queue.length >= this.options.batchSize ||
        (this.lingerExpired && this.queue.length > 0);
      if (!ready) return;
      const now = this.now();
      // Shared mode paces in send(), on the schedule all workers share.
      if (!this.coord.shared && now < this.nextSendAt) {
        if (!this.paceTimer) {
          this.paceTimer = setTimeout(
            () => {
              this.paceTimer = undefined;
              this.pump();
            },
            Math.ceil(this.nextSendAt - now),
          );
        }
        return;
      }
      let batch: Batch;
      if (retry) batch = this.retryQueue.shift() as Batch;
      else {
        batch = { texts: this.queue.splice(0, this.options.batchSize), attempt: 1 };
        if (this.queue.length === 0) this.lingerExpired = false;
      }
      // Pace on an absolute schedule: idle time earns no burst (the model has no burst capacity
      // beyond its queue), and timer lateness does not accumulate into a lower rate.
      this.nextSendAt =
        Math.max(this.nextSendAt, now) + (batch.texts.length * 1000) / this.options.pairsPerSecond;
      void this.send(batch);
    }
  }

  /** Local pacing for a batch already taken: the wait before it may go. */
  private localWait(n: number): number {
    const now = this.now();
    const at = Math.max(this.nextSendAt, now);
    this.nextSendAt = at + (n * 1000) / this.options.pairsPerSecond;
    return at - now;
  }

  /**
   * Shared mode, before a model call: claims the batch's pairs so no other worker infers them
   * too; of the claimed, those another worker cached meanwhile are answered from L2; the rest
   * wait for their slot on the shared model rate. Returns the pairs to infer. Pairs claimed
   * elsewhere are watched until their value appears (or the claim lapses and this worker takes
   * them). If Redis fails, the batch goes on uncoordinated: a duplicate inference at worst.
   */
  private async coordinate(texts: string[]): Promise<string[]> {
    const keys = texts.map((t) => pairKey(t));
    const stored = keys.map(storedKey);
    let mine: boolean[];
    try {
      mine = await this.coord.claimPairs(stored);
    } catch (err) {
      this.coordinationFailed(err as Error, "claiming pairs");
      mine = texts.map(() => true);
    }
    const claimed: number[] = [];
    texts.forEach((t, i) => {
      if (mine[i]) claimed.push(i);
      else this.remote.add(t);
    });
    if (this.remote.size > 0) this.watch();
    let cached: Array<number | undefined> = [];
    try {
      cached = await this.cache.l2.getMany(claimed.map((i) => keys[i] as Buffer));
    } catch (err) {
      this.coordinationFailed(err as Error, "re-reading claimed pairs");
    }
    const found: Array<readonly [string, number]> = [];
    const toInfer: string[] = [];
    claimed.forEach((i, j) => {
      const v = cached[j];
      if (v === undefined) toInfer.push(texts[i] as string);
      else found.push([texts[i] as string, v]);
    });
    if (found.length > 0) {
      this.resolveRemote(found);
      void this.release(found.map(([t]) => t));
    }
    if (toInfer.length > 0) {
      let wait: number;
      try {
        wait = (await this.coord.reserveModelPairs(toInfer.length)) ?? this.localWait(toInfer.length);
      } catch (err) {
        this.coordinationFailed(err as Error, "reserving the shared model rate");
        wait = this.localWait(toInfer.length);
      }
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    return toInfer;
  }

  private coordinationFailed(err: Error, what: string): void {
    this.counters.coordinationErrors += 1;
    this.events.onCoordinationError?.(err, what);
  }

  private async release(texts: string[]): Promise<void> {
    if (!this.coord.shared || texts.length === 0) return;
    try {
      await this.coord.releasePairs(texts.map((t) => storedKey(pairKey(t))));
    } catch (err) {
      this.coordinationFailed(err as Error, "releasing claims");
    }
  }

  /** Values found in L2 (inferred by another worker): to L1 and to the waiters. */
  private resolveRemote(entries: ReadonlyArray<readonly [string, number]>): void {
    this.cache.storeL1(entries);
    for (const [t, v] of entries) {
      this.counters.remoteResolved += 1;
      this.waiters.get(t)?.resolve(v);
      this.waiters.delete(t);
      this.remote.delete(t);
    }
  }

  private watch(): void {
    if (this.watchTimer || this.closed) return;
    this.watchTimer = setTimeout(() => void this.checkRemote(), this.watchIntervalMs);
  }

  /** Pairs claimed elsewhere: answered once their value is in L2; taken over when the claim lapses. */
  private async checkRemote(): Promise<void> {
    const texts = [...this.remote];
    try {
      const values = await this.cache.l2.getMany(texts.map((t) => pairKey(t)));
      const found: Array<readonly [string, number]> = [];
      const missing: string[] = [];
      texts.forEach((t, i) => {
        const v = values[i];
        if (v === undefined) missing.push(t);
        else found.push([t, v]);
      });
      this.resolveRemote(found);
      if (missing.length > 0) {
        const mine = await this.coord.claimPairs(missing.map((t) => storedKey(pairKey(t))));
        const taken = missing.filter((_, i) => mine[i]);
        for (const t of taken) this.remote.delete(t);
        if (taken.length > 0 && !this.closed) {
          // The other worker's claim lapsed (it died or gave up): infer them here.
          this.queue.push(...taken);
          this.lingerExpired = true;
          this.pump();
        }
      }
    } catch (err) {
      this.coordinationFailed(err as Error, "watching pairs claimed by other workers");
    } finally {
      this.watchTimer = undefined;
      if (this.remote.size > 0) this.watch();
    }
  }

  private async send(batch: Batch): Promise<void> {
    this.inFlight += 1;
    if (this.coord.shared) {
      const texts = await this.coordinate(batch.texts);
      if (texts.length === 0 || this.closed) {
        // Closed while waiting for its slot: give the claims back so other workers need not
        // wait for them to lapse.
        if (this.closed) void this.release(texts);
        this.inFlight -= 1;
        this.pump();
        return;
      }
      batch = { texts, attempt: batch.attempt };
    }
    const n = batch.texts.length;
    const requests = batch.texts.map((t, uuid) => ({ uuid, ...splitPairText(t) }));
    const t0 = this.now();
    this.counters.rpcs += 1;
    this.counters.pairsSent += n;
    let values: Int8Array | undefined;
    let error: ModelError | undefined;
    try {
      values = validateAnswers(n, await this.model.infer(requests, Date.now() + this.options.deadlineMs));
    } catch (err) {
      error = modelErrorFrom(err);
    }
    const ms = this.now() - t0;
    this.counters.modelMs += ms;
    this.events.onBatch?.({ pairs: n, attempt: batch.attempt, ms, ...(error ? { error } : {}) });

    if (values) {
      const entries = batch.texts.map((t, i) => [t, values[i] as number] as const);
      let writeMs = 0;
      try {
        writeMs = await this.cache.storeMany(entries);
        this.counters.cacheWriteMs += writeMs;
      } catch (err) {
        // The values are right; only persistence failed. Serve them from L1 and say so.
        this.counters.cacheWriteErrors += 1;
        this.cache.storeL1(entries);
        this.events.onCacheWriteError?.(err as Error, n);
      }
      for (const [t, v] of entries) {
        const w = this.waiters.get(t);
        if (w?.account) {
          // Each pair carries an equal share of its batch's call and write.
          w.account.modelCallMs += ms / n;
          w.account.cacheWriteMs += writeMs / n;
        }
        w?.resolve(v);
        this.waiters.delete(t);
      }
      void this.release(batch.texts);
    } else if (error) {
      this.counters.failedRpcs += 1;
      if (error.retryable && batch.attempt < this.options.maxAttempts && !this.closed) {
        this.counters.retries += 1;
        const cap = Math.min(
          this.options.backoffMaxMs,
          this.options.backoffBaseMs * 2 ** (batch.attempt - 1),
        );
        const delay = cap / 2 + this.random() * (cap / 2); // "equal jitter": never zero, never in lockstep
        setTimeout(() => {
          this.retryQueue.push({ texts: batch.texts, attempt: batch.attempt + 1 });
          this.pump();
        }, delay);
      } else {
        this.counters.failedPairs += n;
        const final = new ModelError(
          `${error.message} (after ${batch.attempt} attempt${batch.attempt === 1 ? "" : "s"})`,
          error.kind,
          false,
          error.grpcCode,
        );
        for (const t of batch.texts) {
          this.waiters.get(t)?.reject(final);
          this.waiters.delete(t);
        }
        void this.release(batch.texts);
      }
    }
    this.inFlight -= 1;
    this.pump();
  }

  /** Fails every pending request; later requests fail at once. */
  close(): void {
    this.closed = true;
    clearTimeout(this.lingerTimer);
    clearTimeout(this.paceTimer);
    clearTimeout(this.watchTimer);
    this.remote.clear();
    const err = new ModelError("inference scheduler closed while the pair was pending", "status", false);
    for (const w of this.waiters.values()) w.reject(err);
    this.waiters.clear();
    this.queue = [];
    this.retryQueue.length = 0;
  }
}
