import type { Inferred } from "./inferred";

/**
 * A caller waiting for several pairs at once (a chunk): each answer is written at the pair's
 * index, with no promise per pair. A cold backlog read ahead has millions of (chunk, pending
 * pair) waits at once; a promise chain each took ≈0.5 KB, two array slots take 16 bytes.
 */
export interface AnswerSink {
  /** `queued`: this sink queued the pair, so `inferred` carries its share of the call; else the shares are 0. */
  answer(index: number, inferred: Inferred, queued: boolean): void;
  /** Called once per pair that fails; the sink settles on the first. */
  fail(err: Error): void;
}

/** Flattened (sink, index) pairs; the first is the one that queued the pair. */
type Waiter = Array<AnswerSink | number>;

const UNSHARED = (seniority: number): Inferred => ({ seniority, modelCallMs: 0, cacheWriteMs: 0 });

/**
 * One entry per pair on its way to the model (single-flight): whoever asks for a pending pair
 * joins it instead of sending it again.
 */
export class PendingAnswers {
  private readonly waiters = new Map<string, Waiter>();

  get size(): number {
    return this.waiters.size;
  }

  /** Adds `sink` to the pending pair `key` (at `index`); false when the pair is not pending. */
  join(key: string, sink: AnswerSink, index: number): boolean {
    const w = this.waiters.get(key);
    if (!w) return false;
    w.push(sink, index);
    return true;
  }

  /** A new pending pair, queued by `sink` (its answer carries the call's share). */
  open(key: string, sink: AnswerSink, index: number): void {
    this.waiters.set(key, [sink, index]);
  }

  resolve(key: string, answer: Inferred): void {
    const w = this.take(key);
    if (!w) return;
    for (let k = 0; k < w.length; k += 2) {
      const queued = k === 0;
      (w[k] as AnswerSink).answer(w[k + 1] as number, queued ? answer : UNSHARED(answer.seniority), queued);
    }
  }

  reject(key: string, err: Error): void {
    const w = this.take(key);
    if (w) PendingAnswers.fail(w, err);
  }

  rejectAll(err: Error): void {
    const all = [...this.waiters.values()];
    this.waiters.clear();
    for (const w of all) PendingAnswers.fail(w, err);
  }

  private static fail(w: Waiter, err: Error): void {
    for (let k = 0; k < w.length; k += 2) (w[k] as AnswerSink).fail(err);
  }

  private take(key: string): Waiter | undefined {
    const w = this.waiters.get(key);
    this.waiters.delete(key);
    return w;
  }
}
