import { pairWireBytes, type Pair } from "@rl/cache";

/** The pairs of one model call, and which try of them this is. */
export interface Batch {
  pairs: Pair[];
  attempt: number;
}

export interface BatchQueueOptions {
  /** Most pairs a batch holds. */
  batchSize: number;
  /** Most encoded bytes a batch holds; a single pair larger than this still goes, alone. */
  maxRequestBytes: number;
  /** How long a partial batch waits for more pairs. */
  lingerMs: number;
}

/** A queued pair with its encoded size, so the byte cut needs no re-encoding. */
interface Queued {
  pair: Pair;
  bytes: number;
}

/**
 * The pairs waiting for a model call, cut into batches by count and by encoded bytes, with
 * batches to try again ahead of them. It tells `onReady` when a batch can go; the caller takes
 * it when the model has room.
 *
 * States:
 * - IDLE: nothing queued, no retry. `add`: LINGERING (the linger timer starts), or READY when
 *   the pairs fill a batch. `addNow` or `retry`: READY.
 * - LINGERING: a partial batch waits `lingerMs` for company. More pairs that fill a batch: READY
 *   (the timer keeps running for what a cut leaves behind). The timer firing: READY.
 * - READY: `take()` returns a retry first, else up to `batchSize` pairs and `maxRequestBytes`
 *   bytes (one pair at least). After it: READY while a full batch, a retry or pairs whose linger
 *   expired remain; LINGERING when a partial batch remains whose linger has not expired;
 *   IDLE when nothing is left. `putBack` (a batch that could not go): READY.
 * - `clear()` empties the queue and stops the timer: IDLE.
 */
export class BatchQueue {
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private readonly retries: Batch[] = [];
  private lingerTimer: NodeJS.Timeout | undefined;
  /** The pairs queued now have waited long enough: a partial batch may go. */
  private lingerExpired = false;

  constructor(
    private readonly options: BatchQueueOptions,
    private readonly onReady: () => void,
  ) {}

  /** Pairs queued (retries not counted). */
  get length(): number {
    return this.queue.length;
  }

  get ready(): boolean {
    return this.retries.length > 0 || this.full || (this.lingerExpired && this.queue.length > 0);
  }

  /** New pairs: they wait for company unless they fill a batch. */
  add(pairs: readonly Pair[]): void {
    this.enqueue(pairs);
    if (this.full) this.onReady();
    else this.linger();
  }

  /** Pairs that waited elsewhere already (taken over from another worker): ready at once. */
  addNow(pairs: readonly Pair[]): void {
    this.enqueue(pairs);
    this.lingerExpired = true;
    this.onReady();
  }

  /** A batch to try again, after the pairs of earlier retries. */
  retry(batch: Batch): void {
    this.retries.push(batch);
    this.onReady();
  }

  /** A batch taken that could not go after all: first in line. The caller decides when to take again. */
  putBack(batch: Batch): void {
    this.retries.unshift(batch);
  }

  /** The next batch: a retry first, else a cut of the queue; undefined when nothing is ready. */
  take(): Batch | undefined {
    if (!this.ready) return undefined;
    const retry = this.retries.shift();
    if (retry) return retry;
    let n = 0;
    let bytes = 0;
    while (n < this.queue.length && n < this.options.batchSize) {
      const b = (this.queue[n] as Queued).bytes;
      if (n > 0 && bytes + b > this.options.maxRequestBytes) break;
      bytes += b;
      n += 1;
    }
    this.queuedBytes -= bytes;
    const pairs = this.queue.splice(0, n).map((q) => q.pair);
    if (this.queue.length === 0) this.lingerExpired = false;
    else this.linger();
    return { pairs, attempt: 1 };
  }

  clear(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.lingerExpired = false;
    this.queue = [];
    this.queuedBytes = 0;
    this.retries.length = 0;
  }

  private get full(): boolean {
    return this.queue.length >= this.options.batchSize || this.queuedBytes >= this.options.maxRequestBytes;
  }

  private enqueue(pairs: readonly Pair[]): void {
    for (const pair of pairs) {
      const bytes = pairWireBytes(pair);
      this.queue.push({ pair, bytes });
      this.queuedBytes += bytes;
    }
  }

  /** Starts the linger timer unless it runs already or the queued pairs waited enough. */
  private linger(): void {
    if (this.lingerTimer || this.lingerExpired) return;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      if (this.queue.length === 0) return; // cut by count or bytes meanwhile: nothing waited
      this.lingerExpired = true;
      this.onReady();
    }, this.options.lingerMs);
  }
}
