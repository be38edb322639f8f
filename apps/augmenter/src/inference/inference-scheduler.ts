import type { Pair, TwoTierCache } from "@rl/cache";
import type { Coordinator } from "../coordination/coordinator";
import { ModelError, modelErrorFrom, validateAnswers } from "../model/model-error";
import type { SeniorityModel } from "../model/seniority-model";
import { BatchQueue, type Batch } from "./batch-queue";
import { CoordinationFailures } from "./coordination-failures";
import type { Inferred } from "./inferred";
import { LocalPacer, type Pacer } from "./pacer";
import { PairClaims } from "./pair-claims";
import { PairResolver } from "./pair-resolver";
import { StoppableWaits } from "./stoppable-waits";
import { PendingAnswers, type AnswerSink } from "./pending-answers";
import {
  DEFAULT_SCHEDULER_OPTIONS,
  type SchedulerEvents,
  type SchedulerOptions,
  type SchedulerStats,
} from "./scheduler-options";

export interface SchedulerParts {
  /** Shared mode: pairs are claimed so that one worker infers each. @default alone */
  coordinator?: Coordinator;
  /** The model's rate: a {@link SharedPacer} in shared mode. @default LocalPacer at `pairsPerSecond` */
  pacer?: Pacer;
  /** Where coordination failures are counted and told (the shared pacer reports there too). */
  failures?: CoordinationFailures;
  /** How often pairs claimed by other workers are looked up in L2. @default 250 */
  watchIntervalMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One per process, shared by every file in flight: the pairs both cache tiers missed, each sent
 * to the model once. A second request for a pending pair joins it (single-flight). The pairs go
 * in batches ({@link BatchQueue}), paced ({@link Pacer}), at most `maxInFlight` calls out, claimed
 * and stored around each call ({@link PairResolver}); answers are validated, retried with
 * backoff when the failure may pass, and handed to the waiters only once stored.
 *
 * States of the send loop (`pump`):
 * - IDLE: no batch ready (the queue lingers or is empty). The queue's `onReady`: READY.
 * - READY: a batch (or a retry) can go. It is taken when fewer than `maxInFlight` calls are out,
 *   no other batch is PREPARING, L2 is up (else L2_DOWN) and the pacer allows (else PACING).
 * - PACING: a timer until the pacer's next slot; pairs keep joining the batch meanwhile: READY.
 * - PREPARING: one batch at a time is claimed, re-read from L2 and charged to the pacer, so the
 *   next is taken only once the pacer has seen this one: READY. The batch then waits its slot,
 *   is sent, and its answers stored before its waiters hear them.
 * - L2_DOWN: an L2 write failed (or a read saw it down): nothing new is sent, since an answer
 *   that cannot be stored would be paid for again after a restart. Answers already received
 *   serve their files from L1 and wait to be stored; when L2 answers they are written: READY.
 * - DRAINING (`drain`): nothing new is taken; the calls out finish and are stored.
 * - CLOSED: every pending request is rejected; later ones fail at once.
 */
export class InferenceScheduler {
  private readonly pending = new PendingAnswers();
  private readonly queue: BatchQueue;
  private readonly pacer: Pacer;
  private readonly pairs: PairResolver;
  private readonly failures: CoordinationFailures;
  private readonly options: SchedulerOptions;
  private inFlight = 0;
  private preparing = false;
  private paceTimer: NodeJS.Timeout | undefined;
  private readonly backoffTimers = new Set<NodeJS.Timeout>();
  /** Batches waiting for their pacing slot: ended by drain() and close(), which send nothing more. */
  private readonly slotWaits = new StoppableWaits();
  private draining = false;
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
  };

  constructor(
    private readonly model: SeniorityModel,
    private readonly cache: TwoTierCache,
    options: Partial<SchedulerOptions> & SchedulerParts = {},
    private readonly events: SchedulerEvents = {},
    private readonly now: () => number = () => performance.now(),
    private readonly random: () => number = Math.random,
  ) {
    const { coordinator, pacer, failures, watchIntervalMs, ...rest } = options;
    this.options = { ...DEFAULT_SCHEDULER_OPTIONS, ...rest };
    this.failures = failures ?? new CoordinationFailures();
    this.pacer = pacer ?? new LocalPacer(this.options.pairsPerSecond, now);
    this.queue = new BatchQueue(this.options, () => this.pump());
    this.pairs = new PairResolver(
      cache,
      {
        found: (key, seniority) => this.pending.resolve(key, { seniority, modelCallMs: 0, cacheWriteMs: 0 }),
        takenOver: (pairs) => {
          // The other worker's claim lapsed (it died or gave up): infer them here.
          if (!this.closed) this.queue.addNow(pairs);
        },
        l2Back: () => this.pump(),
        ...(events.onCacheWriteError ? { onCacheWriteError: events.onCacheWriteError } : {}),
      },
      {
        failures: this.failures,
        ...(coordinator?.shared
          ? { claims: new PairClaims(coordinator, this.failures, this.options.claimRenewMs) }
          : {}),
        ...(watchIntervalMs !== undefined ? { watchIntervalMs } : {}),
      },
    );
  }

  stats(): SchedulerStats {
    return {
      ...this.counters,
      ...this.pairs.stats(),
      coordinationErrors: this.failures.count,
      pending: this.pending.size,
      queued: this.queue.length,
      inFlight: this.inFlight,
    };
  }

  /**
   * The seniority of a pair that both cache tiers missed. `joined` says the pair was pending
   * already or answered meanwhile (its result carries no share of a call); false: this call
   * queued it, and its result carries its share of its batch's call and write.
   */
  request(pair: Pair): { result: Promise<Inferred>; joined: boolean } {
    let sink!: AnswerSink;
    const result = new Promise<Inferred>((resolve, reject) => {
      sink = { answer: (_i, answer) => resolve(answer), fail: reject };
    });
    result.catch(() => {}); // a failure is seen by whoever awaits it; never unhandled
    const r = this.requestInto(pair, sink, 0);
    if (typeof r === "number") sink.answer(0, { seniority: r, modelCallMs: 0, cacheWriteMs: 0 }, false);
    else if (r instanceof Error) sink.fail(r);
    return { result, joined: r !== "queued" };
  }

  /**
   * As {@link request}, for a caller waiting for many pairs at once (a chunk): the answer goes
   * to `sink` at `index`, with no promise per pair. Returns the seniority when it is known
   * already (answered since the caller looked), "joined" when the pair was pending, "queued"
   * when this call queued it, or the error when the scheduler is closed.
   */
  requestInto(pair: Pair, sink: AnswerSink, index: number): number | "joined" | "queued" | Error {
    // Answered since the caller looked (its L2 read may have waited out an outage meanwhile).
    const known = this.cache.l1Value(pair.key);
    if (known !== undefined) {
      this.counters.joined += 1;
      return known;
    }
    if (this.pending.join(pair.key, sink, index)) {
      this.counters.joined += 1;
      return "joined";
    }
    if (this.closed) return new ModelError("inference scheduler is closed", "status", false);
    this.pending.open(pair.key, sink, index);
    this.counters.requested += 1;
    this.queue.add([pair]);
    return "queued";
  }

  /** Writes the answers that waited for L2 (at shutdown, when it is back). */
  storeUnstored(): Promise<void> {
    return this.pairs.storeUnstored();
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && !this.preparing && !this.closed && !this.draining) {
      if (!this.queue.ready) return;
      if (!this.cache.availability.up) return this.pairs.waitForL2();
      const wait = this.pacer.readyIn();
      if (wait > 0) {
        this.paceTimer ??= setTimeout(() => {
          this.paceTimer = undefined;
          this.pump();
        }, Math.ceil(wait));
        return;
      }
      const batch = this.queue.take() as Batch;
      this.preparing = true;
      void this.send(batch);
    }
  }

  private async send(batch: Batch): Promise<void> {
    this.inFlight += 1;
    let pairs: Pair[] = batch.pairs;
    try {
      let wait = 0;
      try {
        pairs = await this.pairs.beforeCall(batch.pairs);
        // Only a batch that will go is charged to the model's rate.
        if (pairs.length > 0 && this.cache.availability.up && !this.closed)
          wait = await this.pacer.reserve(pairs.length);
      } finally {
        this.preparing = false;
      }
      this.pump();
      if (wait > 0) await this.slotWaits.wait(wait);
      if (pairs.length === 0) return;
      if (this.closed || this.draining) {
        // Stopped while waiting for its slot: nothing more is sent. The claims go back so other
        // workers need not wait for them to lapse; close() fails the pending requests.
        this.pairs.release(pairs.map((p) => p.key));
        return;
      }
      // L2 went away while the batch waited for its turn: an answer now could not be stored.
      // Back to the front of the line; it goes once L2 answers.
      if (!this.cache.availability.up) {
        this.queue.putBack({ pairs, attempt: batch.attempt });
        return;
      }
      await this.call({ pairs, attempt: batch.attempt });
    } catch (err) {
      // A defect, not a model failure (those are handled in call()): the batch's files fail
      // with it rather than wait forever for answers that will not come.
      const e = new ModelError(`internal error sending a batch: ${(err as Error).message}`, "status", false);
      for (const p of pairs) this.pending.reject(p.key, e);
      this.pairs.release(pairs.map((p) => p.key));
    } finally {
      this.sent();
    }
  }

  private sent(): void {
    this.inFlight -= 1;
    this.pump();
  }

  private async call(batch: Batch): Promise<void> {
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
    try {
      this.events.onBatch?.({ pairs: n, attempt: batch.attempt, ms, ...(error ? { error } : {}) });
    } catch {
      // Metrics and logging must not cost the answers.
    }
    if (values) {
      const answers = batch.pairs.map((p, i) => [p.key, values[i] as number] as const);
      const writeMs = await this.pairs.store(answers);
      // Each pair carries an equal share of its batch's call and write.
      for (const [k, seniority] of answers)
        this.pending.resolve(k, { seniority, modelCallMs: ms / n, cacheWriteMs: writeMs / n });
    } else if (error) this.failed(batch, error);
  }

  private failed(batch: Batch, error: ModelError): void {
    this.counters.failedRpcs += 1;
    if (error.retryable && batch.attempt < this.options.maxAttempts && !this.closed) {
      this.counters.retries += 1;
      const cap = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** (batch.attempt - 1));
      const delay = cap / 2 + this.random() * (cap / 2); // "equal jitter": never zero, never in lockstep
      const timer = setTimeout(() => {
        this.backoffTimers.delete(timer);
        this.queue.retry({ pairs: batch.pairs, attempt: batch.attempt + 1 });
      }, delay);
      this.backoffTimers.add(timer);
      return;
    }
    this.counters.failedPairs += batch.pairs.length;
    const final = new ModelError(
      `${error.message} (after ${batch.attempt} attempt${batch.attempt === 1 ? "" : "s"})`,
      error.kind,
      false,
      error.grpcCode,
    );
    for (const p of batch.pairs) this.pending.reject(p.key, final);
    this.pairs.release(batch.pairs.map((p) => p.key));
  }

  /**
   * Shutdown, before close(): sends nothing more, and waits up to `ms` for the calls already out,
   * whose answers are then stored as usual. Answers the model has already computed are not
   * thrown away to be paid for again by the next run.
   */
  async drain(ms: number): Promise<void> {
    this.draining = true;
    this.slotWaits.endAll();
    const until = Date.now() + ms;
    while (this.inFlight > 0 && Date.now() < until) await sleep(20);
  }

  /** Fails every pending request; later requests fail at once. */
  close(): void {
    this.closed = true;
    this.slotWaits.endAll();
    clearTimeout(this.paceTimer);
    for (const t of this.backoffTimers) clearTimeout(t);
    this.backoffTimers.clear();
    this.queue.clear();
    this.pairs.close();
    this.pending.rejectAll(
      new ModelError("inference scheduler closed while the pair was pending", "status", false),
    );
  }
}
