import type { Pair, TwoTierCache } from "@rl/cache";
import type { AnswerSink } from "../../inference/pending-answers";
import type { Inferred, PairInference } from "../chunk-resolver";

/** The seniority a fake model gives a pair: from its title, so different pairs get different values. */
export const fakeSeniority = (pair: Pair): number => (pair.title.length % 7) + 1;

/**
 * A stand-in for the inference scheduler: single-flight like it (a pair requested while pending
 * is joined), answering when `settle()` is called or at once (`immediate`). Given a `cache`, it
 * stores each answer there before handing it out, as the scheduler does. `fail` makes every
 * answer a rejection.
 */
export class FakeInference implements PairInference {
  /** Keys in the order they were requested, joined requests included. */
  readonly requested: string[] = [];
  private readonly pending = new Map<
    string,
    { result: Promise<Inferred>; answer(): void; answered: boolean }
  >();

  constructor(
    private readonly options: {
      immediate?: boolean;
      fail?: Error;
      cache?: Pick<TwoTierCache, "storeMany">;
      answer?: (pair: Pair) => number;
      /** The time share each queued pair is given. */
      share?: { modelCallMs: number; cacheWriteMs: number };
    } = {},
  ) {}

  request(pair: Pair): { result: Promise<Inferred>; joined: boolean } {
    this.requested.push(pair.key);
    const existing = this.pending.get(pair.key);
    if (existing) {
      return {
        result: existing.result.then((r) => ({ ...r, modelCallMs: 0, cacheWriteMs: 0 })),
        joined: true,
      };
    }
    let answer!: () => void;
    const result = new Promise<Inferred>((resolve, reject) => {
      answer = () => {
        if (this.options.fail) return reject(this.options.fail);
        const seniority = (this.options.answer ?? fakeSeniority)(pair);
        const share = this.options.share ?? { modelCallMs: 0, cacheWriteMs: 0 };
        const stored = this.options.cache?.storeMany([[pair.key, seniority]]) ?? Promise.resolve(0);
        stored.then(() => resolve({ seniority, ...share }), reject);
      };
    });
    const entry = { result, answer, answered: false };
    this.pending.set(pair.key, entry);
    // Pending until answered and stored: a request meanwhile joins it, as with the scheduler.
    const forget = () => this.pending.delete(pair.key);
    result.then(forget, forget);
    if (this.options.immediate ?? true) this.answer(entry);
    return { result, joined: false };
  }

  requestInto(pair: Pair, sink: AnswerSink, index: number): "joined" | "queued" {
    const r = this.request(pair);
    r.result.then(
      (a) => sink.answer(index, a, !r.joined),
      (e: Error) => sink.fail(e),
    );
    return r.joined ? "joined" : "queued";
  }

  /** Answers every pair not answered yet. */
  settle(): void {
    for (const p of this.pending.values()) this.answer(p);
  }

  private answer(p: { answer(): void; answered: boolean }): void {
    if (p.answered) return;
    p.answered = true;
    p.answer();
  }
}
