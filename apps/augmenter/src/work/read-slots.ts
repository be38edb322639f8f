import type { FileSlot } from "../pipeline/file-processor";
import { ShutdownError } from "../pipeline/shutdown-error";

/**
 * FILE_CONCURRENCY places among the files being read or written. A file taking its place back
 * to write its spilled output goes before a file not started yet: finishing frees disk and
 * makes outputs appear in about the order inputs arrived.
 */
export class ReadSlots {
  private free: number;
  private readonly returning: Array<() => void> = [];
  private readonly starting: Array<() => void> = [];
  /** Files that gave their place up to wait (see {@link HeldSlot}) and have not taken one back. */
  private awayCount = 0;

  constructor(size: number) {
    this.free = size;
  }

  /** Waits for a place; `returning` for a file that gave its own up. Rejects when `signal` aborts. */
  acquire(returning = false, signal?: AbortSignal): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve();
    }
    if (signal?.aborted) return Promise.reject(new ShutdownError());
    const queue = returning ? this.returning : this.starting;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = queue.indexOf(grant);
        if (i >= 0) queue.splice(i, 1);
        reject(new ShutdownError());
      };
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      queue.push(grant);
    });
  }

  /** Files waiting without their places now. */
  get away(): number {
    return this.awayCount;
  }

  /**
   * The place a caller has just taken, as the file's {@link FileSlot}. `onFreed`: told when the
   * file gives it up while waiting and the place is left free (nobody was waiting for one).
   */
  held(onFreed: () => void = () => {}): HeldSlot {
    return new HeldSlot(this, onFreed, (n) => (this.awayCount += n));
  }

  /** Takes a place if one is free now. */
  tryAcquire(): boolean {
    if (this.free === 0) return false;
    this.free -= 1;
    return true;
  }

  /** Gives a place back (to the next waiter, if any); true when it is left free. */
  release(): boolean {
    const next = this.returning.shift() ?? this.starting.shift();
    if (next) next();
    else this.free += 1;
    return !next;
  }
}

/** One file's place: given up while the file waits, taken back to write, given back at its end. */
export class HeldSlot implements FileSlot {
  private holding = true;
  private ended = false;

  constructor(
    private readonly slots: ReadSlots,
    private readonly onFreed: () => void,
    private readonly away: (n: number) => void,
  ) {}

  release(): void {
    if (!this.holding || this.ended) return;
    this.holding = false;
    this.away(1);
    if (this.slots.release()) this.onFreed();
  }

  async reacquire(signal?: AbortSignal): Promise<void> {
    if (this.holding || this.ended) return;
    await this.slots.acquire(true, signal);
    this.away(-1);
    this.holding = true;
  }

  /** The file is done: gives its place back if it holds one; true when that place is left free. */
  end(): boolean {
    if (this.ended) return false;
    this.ended = true;
    if (!this.holding) {
      this.away(-1);
      return false;
    }
    this.holding = false;
    return this.slots.release();
  }
}
