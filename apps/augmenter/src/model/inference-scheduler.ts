import { splitPairText, type TwoTierCache } from "@rl/cache";
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
  };
  private readonly options: SchedulerOptions;

  constructor(
    private readonly model: SeniorityModel,
    private readonly cache: TwoTierCache,
    options: Partial<SchedulerOptions> = {},
    private readonly events: SchedulerEvents = {},
    private readonly now: () => number = () => performance.now(),
    private readonly random: () => number = Math.random,
  ) {
    this.options = { ...DEFAULT_SCHEDULER_OPTIONS, ...options };
  }

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
      if (now < this.nextSendAt) {
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

  private async send(batch: Batch): Promise<void> {
    this.inFlight += 1;
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
    const err = new ModelError("inference scheduler closed while the pair was pending", "status", false);
    for (const w of this.waiters.values()) w.reject(err);
    this.waiters.clear();
    this.queue = [];
    this.retryQueue.length = 0;
  }
}
