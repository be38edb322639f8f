import { pairKey, pairWireBytes, storedKey, type Pair, type TwoTierCache } from "@rl/cache";
import { LocalCoordinator, type Coordinator } from "../coordination/coordinator";
import { ModelError, modelErrorFrom, validateAnswers } from "./model-error";
import type { SeniorityModel } from "./seniority-model";

export interface SchedulerOptions {
  /** The model's sustainable rate; batches are paced so pairs sent per second stay at it. @default 1000 */
  pairsPerSecond: number;
  /** @default 1000 */
  batchSize: number;
  /**
   * Most encoded bytes one model request may carry: batches are cut by bytes as well as by
   * count, so no record can push a request past the model's message limit (gRPC's default is
   * 4 MiB). @default 4_000_000
   */
  maxRequestBytes: number;
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
  /**
   * Shared mode: how often the pair claims this worker holds are renewed, so a claim never lapses
   * while its owner is still working on the pair (slow model, retries, answers waiting for L2).
   * A third of the claim TTL. @default 40_000
   */
  claimRenewMs: number;
}

export const DEFAULT_SCHEDULER_OPTIONS: SchedulerOptions = {
  pairsPerSecond: 1000,
  batchSize: 1000,
  maxRequestBytes: 4_000_000,
  lingerMs: 50,
  maxInFlight: 2,
  deadlineMs: 30_000,
  maxAttempts: 5,
  backoffBaseMs: 250,
  backoffMaxMs: 10_000,
  claimRenewMs: 40_000,
};

export interface SchedulerEvents {
  onBatch?(e: { pairs: number; attempt: number; ms: number; error?: ModelError }): void;
  /** An L2 write failed: model calls pause until L2 answers, and the values are written then. */
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
  /** Answered pairs waiting for L2 to come back to be stored. */
  unstored: number;
  pending: number;
  queued: number;
  inFlight: number;
}

/** A pair's answer, with its equal share of its batch's model call and cache write. */
export interface Inferred {
  seniority: number;
  modelCallMs: number;
  cacheWriteMs: number;
}

/** What a request that joined a pending pair (or found it answered) is given: no time share. */
const unshared = (seniority: number): Inferred => ({ seniority, modelCallMs: 0, cacheWriteMs: 0 });

interface Waiter {
  promise: Promise<Inferred>;
  resolve(v: Inferred): void;
  reject(e: Error): void;
}

/** A pair waiting for a batch, with its encoded size (batches are cut by bytes too). */
interface Queued {
  pair: Pair;
  bytes: number;
}

interface Batch {
  pairs: Pair[];
  attempt: number;
}

/**
 * One per process, shared by every file in flight. Each missing pair gets one promise; a
 * second request for a pending pair joins it (single-flight). Misses fill batches of up to
 * `batchSize` pairs and `maxRequestBytes` encoded bytes with their index as uuid, flushed when
 * full or after `lingerMs`, paced at `pairsPerSecond` with at most `maxInFlight` calls out.
 * Answers are validated, written to the cache (L2 in one round trip, then L1), and only then
 * handed to the waiters.
 *
 * States of the send loop (`pump`):
 * - IDLE: nothing queued. A request: LINGERING (or READY when it fills a batch).
 * - LINGERING: a partial batch waits `lingerMs` for company: READY.
 * - READY: a batch (or a retry) can go: it is sent when fewer than `maxInFlight` calls are out,
 *   the pace allows (else PACING until `nextSendAt`) and L2 is up.
 * - L2_DOWN: an L2 write failed (or a read elsewhere saw it down): nothing new is sent, since
 *   an answer that cannot be stored would be paid for again after a restart. Answers already
 *   received serve their files from L1 and wait in `unstored`; when L2 answers again they are
 *   written first, then READY.
 * - CLOSED: every pending request is rejected; later ones fail at once.
 */
export class InferenceScheduler {
  private readonly waiters = new Map<string, Waiter>();
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private readonly retryQueue: Batch[] = [];
  private inFlight = 0;
  private nextSendAt = 0;
  private lingerTimer: NodeJS.Timeout | undefined;
  private paceTimer: NodeJS.Timeout | undefined;
  private lingerExpired = false;
  private closed = false;
  private waitingForL2 = false;
  private draining = false;
  private unstored: Array<readonly [string, number]> = [];
  /** Answers of `unstored` being written right now. */
  private storing = 0;
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
  /** Pairs another worker has claimed, by key: watched in L2 until their value appears or the claim lapses. */
  private readonly remote = new Map<string, Pair>();
  private watchTimer: NodeJS.Timeout | undefined;
  private readonly watchIntervalMs: number;
  /** Shared mode: the claims this worker holds (pair key → stored key), renewed until released. */
  private readonly held = new Map<string, Buffer>();
  private renewTimer: NodeJS.Timeout | undefined;

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

  stats(): SchedulerStats {
    return {
      ...this.counters,
      unstored: this.unstored.length + this.storing,
      pending: this.waiters.size,
      queued: this.queue.length,
      inFlight: this.inFlight,
    };
  }

  /**
   * The seniority of a pair that both cache tiers missed. `joined` says whether this call found
   * the pair pending (or answered) rather than putting it on the model's queue; only the caller
   * that queued it is given its share of the batch's time.
   */
  request(pair: Pair): { result: Promise<Inferred>; joined: boolean } {
    // Answered since the caller looked (its L2 read may have waited out an outage meanwhile).
    const known = this.cache.peekL1(pair.key);
    if (known !== undefined) {
      this.counters.joined += 1;
      return { result: Promise.resolve(unshared(known)), joined: true };
    }
    const existing = this.waiters.get(pair.key);
    if (existing) {
      this.counters.joined += 1;
      return { result: existing.promise.then((r) => unshared(r.seniority)), joined: true };
    }
    if (this.closed)
      return {
        result: Promise.reject(new ModelError("inference scheduler is closed", "status", false)),
        joined: true,
      };
    let resolve!: (v: Inferred) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<Inferred>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {}); // a failure is seen by every awaiting file; never unhandled
    this.waiters.set(pair.key, { promise, resolve, reject });
    this.counters.requested += 1;
    this.enqueue([pair]);
    if (this.queue.length >= this.options.batchSize || this.queuedBytes >= this.options.maxRequestBytes)
      this.pump();
    else if (!this.lingerTimer) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined;
        this.lingerExpired = true;
        this.pump();
      }, this.options.lingerMs);
    }
    return { result: promise, joined: false };
  }

  private enqueue(pairs: readonly Pair[]): void {
    for (const pair of pairs) {
      const bytes = pairWireBytes(pair);
      this.queue.push({ pair, bytes });
      this.queuedBytes += bytes;
    }
  }

  /** The next batch off the queue: up to `batchSize` pairs and `maxRequestBytes` bytes (one pair at least). */
  private takeBatch(): Pair[] {
    let n = 0;
    let bytes = 0;
    while (n < this.queue.length && n < this.options.batchSize) {
      const b = (this.queue[n] as Queued).bytes;
      if (n > 0 && bytes + b > this.options.maxRequestBytes) break;
      bytes += b;
      n += 1;
    }
    this.queuedBytes -= bytes;
    return this.queue.splice(0, n).map((q) => q.pair);
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && !this.closed && !this.draining) {
      const retry = this.retryQueue[0];
      const ready =
        retry !== undefined ||
        this.queue.length >= this.options.batchSize ||
        this.queuedBytes >= this.options.maxRequestBytes ||
        (this.lingerExpired && this.queue.length > 0);
      if (!ready) return;
      if (!this.cache.availability.up) return this.waitForL2();
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
        batch = { pairs: this.takeBatch(), attempt: 1 };
        if (this.queue.length === 0) this.lingerExpired = false;
      }
      // Pace on an absolute schedule: idle time earns no burst (the model has no burst capacity
      // beyond its queue), and timer lateness does not accumulate into a lower rate.
      this.nextSendAt =
        Math.max(this.nextSendAt, now) + (batch.pairs.length * 1000) / this.options.pairsPerSecond;
      void this.send(batch);
    }
  }

  /** L2_DOWN: once L2 answers, store what waited for it, then go on sending. */
  private waitForL2(): void {
    if (this.waitingForL2 || this.closed) return;
    this.waitingForL2 = true;
    this.cache.availability.whenUp().then(
      async () => {
        this.waitingForL2 = false;
        // Claims may have lapsed during a long outage: take them back before anything else, so a
        // peer that sees these pairs missing from L2 does not infer them while they are stored.
        await this.renewClaims();
        await this.storeUnstored();
        this.pump();
      },
      () => {
        this.waitingForL2 = false; // closed
      },
    );
  }

  /**
   * Writes the answers that waited for L2. Their pair claims are given back only now: another
   * worker that saw them missing from L2 would otherwise take them over and infer them again.
   */
  async storeUnstored(): Promise<void> {
    if (this.unstored.length === 0) return;
    const entries = this.unstored;
    this.unstored = [];
    this.storing += entries.length;
    try {
      this.counters.cacheWriteMs += await this.cache.storeMany(entries);
      void this.release(entries.map(([k]) => k));
    } catch (err) {
      this.unstored.push(...entries);
      this.cache.availability.failed(err as Error);
      this.waitForL2();
    } finally {
      this.storing -= entries.length;
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
   * them). If the coordination store fails, the batch goes on uncoordinated: a duplicate
   * inference at worst.
   */
  private async coordinate(pairs: Pair[]): Promise<Pair[]> {
    const keys = pairs.map((p) => pairKey(p.key));
    const stored = keys.map(storedKey);
    let mine: boolean[];
    try {
      mine = await this.coord.claimPairs(stored);
    } catch (err) {
      this.coordinationFailed(err as Error, "claiming pairs");
      mine = pairs.map(() => true);
    }
    const claimed: number[] = [];
    pairs.forEach((p, i) => {
      if (mine[i]) {
        claimed.push(i);
        this.hold(p.key, stored[i] as Buffer);
      } else this.remote.set(p.key, p);
    });
    if (this.remote.size > 0) this.watch();
    let cached: Array<number | undefined> = [];
    try {
      cached = await this.cache.l2.getMany(claimed.map((i) => keys[i] as Buffer));
    } catch (err) {
      // An L2 read that fails is L2 down: send() holds the claimed pairs until it is back (those
      // claimed elsewhere stay watched, never sent from here).
      this.cache.availability.failed(err as Error);
      return claimed.map((i) => pairs[i] as Pair);
    }
    const found: Array<readonly [string, number]> = [];
    const toInfer: Pair[] = [];
    claimed.forEach((i, j) => {
      const v = cached[j];
      const p = pairs[i] as Pair;
      if (v === undefined) toInfer.push(p);
      else found.push([p.key, v]);
    });
    if (found.length > 0) {
      this.resolveRemote(found);
      void this.release(found.map(([k]) => k));
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

  /** Notes a claim this worker holds, and keeps claims renewed while any are held. */
  private hold(key: string, stored: Buffer): void {
    this.held.set(key, stored);
    if (this.renewTimer || this.closed) return;
    this.renewTimer = setInterval(() => void this.renewClaims(), this.options.claimRenewMs);
    this.renewTimer.unref?.();
  }

  private async renewClaims(): Promise<void> {
    if (this.held.size === 0) {
      clearInterval(this.renewTimer);
      this.renewTimer = undefined;
      return;
    }
    try {
      // Claiming a pair this worker holds refreshes its TTL (both coordinators).
      await this.coord.claimPairs([...this.held.values()]);
    } catch (err) {
      this.coordinationFailed(err as Error, "renewing pair claims");
    }
  }

  private async release(keys: string[]): Promise<void> {
    for (const k of keys) this.held.delete(k);
    if (!this.coord.shared || keys.length === 0) return;
    try {
      await this.coord.releasePairs(keys.map((k) => storedKey(pairKey(k))));
    } catch (err) {
      this.coordinationFailed(err as Error, "releasing claims");
    }
  }

  /** Values found in L2 (inferred by another worker): to L1 and to the waiters. */
  private resolveRemote(entries: ReadonlyArray<readonly [string, number]>): void {
    this.cache.storeL1(entries);
    for (const [k, v] of entries) {
      this.counters.remoteResolved += 1;
      this.settle(k)?.resolve(unshared(v));
      this.remote.delete(k);
    }
  }

  /** Removes a pending pair's waiter and returns it. */
  private settle(key: string): Waiter | undefined {
    const w = this.waiters.get(key);
    this.waiters.delete(key);
    return w;
  }

  private watch(): void {
    if (this.watchTimer || this.closed) return;
    this.watchTimer = setTimeout(() => void this.checkRemote(), this.watchIntervalMs);
  }

  /** Pairs claimed elsewhere: answered once their value is in L2; taken over when the claim lapses. */
  private async checkRemote(): Promise<void> {
    const pairs = [...this.remote.values()];
    try {
      // While L2 is away there is nothing to read: wait for it rather than fail every 250 ms.
      if (!this.cache.availability.up) return;
      const values = await this.cache.l2.getMany(pairs.map((p) => pairKey(p.key)));
      const found: Array<readonly [string, number]> = [];
      const missing: Pair[] = [];
      pairs.forEach((p, i) => {
        const v = values[i];
        if (v === undefined) missing.push(p);
        else found.push([p.key, v]);
      });
      this.resolveRemote(found);
      // Just after an outage, the owner of a lapsed claim may not have stored its answers yet:
      // give it a few probe intervals before taking its pairs over.
      const settling = Date.now() - this.cache.availability.recoveredAt < 3_000;
      if (missing.length > 0 && !settling) {
        const mine = await this.coord.claimPairs(missing.map((p) => storedKey(pairKey(p.key))));
        const taken = missing.filter((_, i) => mine[i]);
        for (const p of taken) {
          this.remote.delete(p.key);
          this.hold(p.key, storedKey(pairKey(p.key)));
        }
        if (taken.length > 0 && !this.closed) {
          // The other worker's claim lapsed (it died or gave up): infer them here.
          this.enqueue(taken);
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
      const pairs = await this.coordinate(batch.pairs);
      if (pairs.length === 0 || this.closed) {
        // Closed while waiting for its slot: give the claims back so other workers need not
        // wait for them to lapse.
        if (this.closed) void this.release(pairs.map((p) => p.key));
        this.inFlight -= 1;
        this.pump();
        return;
      }
      batch = { pairs, attempt: batch.attempt };
    }
    if (!this.cache.availability.up) {
      // L2 went away while the batch waited for its turn: an answer now could not be stored.
      // Back to the front of the line; it goes once L2 answers.
      this.retryQueue.unshift(batch);
      this.inFlight -= 1;
      this.pump();
      return;
    }
    const n = batch.pairs.length;
    // The two normalised strings, as they are: never re-split from a joined text.
    const requests = batch.pairs.map((p, uuid) => ({ uuid, company: p.company, title: p.title }));
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
      const entries = batch.pairs.map((p, i) => [p.key, values[i] as number] as const);
      let writeMs = 0;
      let stored = true;
      try {
        writeMs = await this.cache.storeMany(entries);
        this.counters.cacheWriteMs += writeMs;
      } catch (err) {
        // The values are right; only persistence failed. They serve their files from L1, wait
        // to be stored, and no new pair goes to the model until L2 is back.
        this.counters.cacheWriteErrors += 1;
        this.cache.storeL1(entries);
        this.unstored.push(...entries);
        this.cache.availability.failed(err as Error);
        this.events.onCacheWriteError?.(err as Error, n);
        // Stored (and their claims given back) once L2 answers, whether or not more work comes.
        this.waitForL2();
        stored = false;
      }
      // Each pair carries an equal share of its batch's call and write.
      for (const [k, v] of entries)
        this.settle(k)?.resolve({ seniority: v, modelCallMs: ms / n, cacheWriteMs: writeMs / n });
      if (stored) void this.release(batch.pairs.map((p) => p.key));
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
          this.retryQueue.push({ pairs: batch.pairs, attempt: batch.attempt + 1 });
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
        for (const p of batch.pairs) this.settle(p.key)?.reject(final);
        void this.release(batch.pairs.map((p) => p.key));
      }
    }
    this.inFlight -= 1;
    this.pump();
  }

  /**
   * Shutdown, before close(): sends nothing more, and waits up to `ms` for the calls already out,
   * whose answers are then stored as usual. Answers the model has already computed are not
   * thrown away to be paid for again by the next run.
   */
  async drain(ms: number): Promise<void> {
    this.draining = true;
    const until = Date.now() + ms;
    while (this.inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  }

  /** Fails every pending request; later requests fail at once. */
  close(): void {
    this.closed = true;
    clearTimeout(this.lingerTimer);
    clearTimeout(this.paceTimer);
    clearTimeout(this.watchTimer);
    clearInterval(this.renewTimer);
    this.held.clear();
    this.remote.clear();
    const err = new ModelError("inference scheduler closed while the pair was pending", "status", false);
    for (const w of this.waiters.values()) w.reject(err);
    this.waiters.clear();
    this.queue = [];
    this.queuedBytes = 0;
    this.retryQueue.length = 0;
  }
}
