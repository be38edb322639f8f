/**
 * A single FIFO server whose unit of work is a pair: a batch of n pairs takes n / rate seconds
 * of service, and a batch that arrives while earlier ones are being served waits its turn. This
 * is how the real model behaves: about one batch of 1000 a second, queueing beyond that.
 */
export class PairThrottle {
  private busyUntil = 0;
  private queuedPairs = 0;
  private queuedBatches = 0;
  private maxQueuedPairs = 0;

  constructor(
    private readonly pairsPerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get depth(): { pairs: number; batches: number; maxPairs: number } {
    return { pairs: this.queuedPairs, batches: this.queuedBatches, maxPairs: this.maxQueuedPairs };
  }

  /** Pairs admitted and not yet answered. */
  get pending(): number {
    return this.queuedPairs;
  }

  /** Admits a batch; returns the delay in ms until its service completes. */
  admit(pairs: number): number {
    const now = this.now();
    const start = Math.max(now, this.busyUntil);
    this.busyUntil = start + (pairs * 1000) / this.pairsPerSecond;
    this.queuedPairs += pairs;
    this.queuedBatches += 1;
    this.maxQueuedPairs = Math.max(this.maxQueuedPairs, this.queuedPairs);
    return this.busyUntil - now;
  }

  /** Marks a batch admitted earlier as answered. */
  release(pairs: number): void {
    this.queuedPairs -= pairs;
    this.queuedBatches -= 1;
  }

  resetPeak(): void {
    this.maxQueuedPairs = this.queuedPairs;
  }
}
