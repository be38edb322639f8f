import type { Inferred } from "./inferred";

interface Waiter {
  promise: Promise<Inferred>;
  resolve(v: Inferred): void;
  reject(e: Error): void;
}

/**
 * One promise per pair on its way to the model (single-flight): whoever asks for a pending pair
 * joins its promise instead of sending it again.
 */
export class PendingAnswers {
  private readonly waiters = new Map<string, Waiter>();

  get size(): number {
    return this.waiters.size;
  }

  /** The pending pair's answer, for a caller that joins it: the value only, no share of the cost. */
  join(key: string): Promise<Inferred> | undefined {
    const w = this.waiters.get(key);
    if (!w) return undefined;
    const joined = w.promise.then((r) => ({ seniority: r.seniority, modelCallMs: 0, cacheWriteMs: 0 }));
    joined.catch(() => {}); // a failure is seen by whoever awaits it; never unhandled
    return joined;
  }

  /** A new pending pair's promise. */
  open(key: string): Promise<Inferred> {
    let resolve!: (v: Inferred) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<Inferred>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {}); // a failure is seen by every awaiting caller; never unhandled
    this.waiters.set(key, { promise, resolve, reject });
    return promise;
  }

  resolve(key: string, answer: Inferred): void {
    this.take(key)?.resolve(answer);
  }

  reject(key: string, err: Error): void {
    this.take(key)?.reject(err);
  }

  rejectAll(err: Error): void {
    for (const w of this.waiters.values()) w.reject(err);
    this.waiters.clear();
  }

  private take(key: string): Waiter | undefined {
    const w = this.waiters.get(key);
    this.waiters.delete(key);
    return w;
  }
}
