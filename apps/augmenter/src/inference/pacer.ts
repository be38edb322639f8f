import type { CoordinationFailures } from "./coordination-failures";

/**
 * The model's rate as batches see it. Exactly one pacer is charged for each batch sent: a lone
 * worker's {@link LocalPacer}, or a {@link SharedPacer} over the schedule all workers share
 * (chosen when the scheduler is wired, never per batch).
 */
export interface Pacer {
  /**
   * Ms before the next batch may be taken off the queue (0: now). Pairs that arrive meanwhile
   * still join it, so a paced batch goes as full as it can.
   */
  readyIn(): number;
  /** Charges `n` pairs about to be sent; resolves to the ms they must wait before they go. */
  reserve(n: number): Promise<number>;
}

/**
 * Pacing within one process, on an absolute schedule of send times.
 *
 * States:
 * - OPEN: the schedule's next slot (`nextSendAt`) has come: a batch may go now. `reserve(n)`
 *   starts its slot at `nextSendAt` (or now, when idle for longer than `lateToleranceMs`), and
 *   moves `nextSendAt` on by n / rate: WAITING.
 * - WAITING: `readyIn()` is the time left until `nextSendAt`; the clock passing it: OPEN.
 *
 * Idle time earns no burst (the model has no capacity beyond its queue): after an idle spell
 * the schedule restarts from now. A timer that fires late, by less than `lateToleranceMs`,
 * keeps the schedule where it was, so lateness does not pile up into a lower rate.
 */
export class LocalPacer implements Pacer {
  private nextSendAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly pairsPerSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly lateToleranceMs = 25,
  ) {}

  readyIn(): number {
    return Math.max(0, this.nextSendAt - this.now());
  }

  reserve(n: number): Promise<number> {
    const now = this.now();
    const at = now - this.nextSendAt > this.lateToleranceMs ? now : this.nextSendAt;
    this.nextSendAt = at + (n * 1000) / this.pairsPerSecond;
    return Promise.resolve(Math.max(0, at - now));
  }
}

/** The part of a coordinator that keeps the model rate all workers share. */
export interface SharedRate {
  /** Resolves to the ms to wait before sending `n` pairs; undefined when the rate is not shared. */
  reserveModelPairs(n: number): Promise<number | undefined>;
}

/**
 * Pacing on the schedule all workers share (the coordinator's GCRA). The schedule is learnt only
 * by reserving, so a batch is taken at once and waits after its pairs are claimed (only those it
 * will infer are charged). When the shared schedule fails, the batch is paced locally instead:
 * the workers may then exceed the rate together for a while, a smaller harm than stopping.
 */
export class SharedPacer implements Pacer {
  constructor(
    private readonly rate: SharedRate,
    private readonly fallback: Pacer,
    private readonly failures: CoordinationFailures,
  ) {}

  readyIn(): number {
    return 0;
  }

  async reserve(n: number): Promise<number> {
    try {
      const wait = await this.rate.reserveModelPairs(n);
      if (wait !== undefined) return wait;
    } catch (err) {
      this.failures.report(err as Error, "reserving the shared model rate");
    }
    return this.fallback.reserve(n);
  }
}
