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
