import { splitPairText, type LookupResult, type Pair, type UnusableReason } from "@rl/cache";
import type { ParsedChunk } from "../parse/parsed-chunk";
import { abortable } from "./abortable";
import { ChunkError } from "./chunk-error";
import type { AnswerSink } from "../inference/pending-answers";
import { ShutdownError } from "./shutdown-error";

export type { Inferred } from "../inference/inferred";

/** The model side as the resolver uses it (the inference scheduler in the service). */
export interface PairInference {
  /**
   * Asks for `pair`, its answer to go to `sink` at `index`: the seniority when known already,
   * "joined" when it was pending (no share of the call), "queued" when this call queued it, or
   * the error when no answer will come.
   */
  requestInto(pair: Pair, sink: AnswerSink, index: number): number | "joined" | "queued" | Error;
}

/** Both cache tiers: L1, then the pairs L1 lacks from L2 in one round trip. */
export interface PairLookup {
  /** Writes the value of `texts[i]` to `values[i]`; returns the positions no tier had. */
  lookupInto(
    texts: readonly string[],
    values: Uint8Array,
    signal?: AbortSignal,
  ): Promise<Omit<LookupResult, "found" | "misses"> & { misses: number[] }>;
}

export interface ChunkCounts {
  outputLines: number;
  l1Hits: number;
  l2Hits: number;
  /** Pairs this chunk put on the model's queue / found already pending there. */
  modelPairs: number;
  joinedPairs: number;
  /** Postings written with `"seniority":null`, by why they made no usable pair. */
  nullSeniority: Map<UnusableReason, number>;
}

export interface ChunkTimings {
  cacheReadMs: number;
  /** Waiting for the pairs no tier had. */
  modelWaitMs: number;
  /** This chunk's share of the model calls and L2 writes its queued pairs rode in. */
  modelCallMs: number;
  cacheWriteMs: number;
}

/** A chunk's answers, without its bytes: what a chunk waiting on the model holds. */
export interface ChunkAnswers {
  /** The seniority of each of the chunk's `pairs`, by position. */
  values: Uint8Array;
  counts: ChunkCounts;
  timings: ChunkTimings;
}

const DIGIT_0 = 48;

/**
 * Writes each waiting line's digit into `output`: `slots` holds, per line, the offset of its
 * digit and the index of its pair in `values` (a {@link ParsedChunk}'s, or a copy read back).
 */
export function spliceAnswers(output: Uint8Array, slots: Int32Array, values: Uint8Array): void {
  for (let k = 0; k < slots.length; k += 2) {
    const v = values[slots[k + 1] as number] as number;
    // Every tier and the model answer 1..7; a 0 here is a pair left unresolved.
    if (!(v >= 1 && v <= 7)) throw new Error(`no seniority resolved for a pair (internal error)`);
    output[slots[k] as number] = DIGIT_0 + v;
  }
}

/**
 * The design's resolver: answers a parsed chunk's distinct pairs by looking them up in L1, then
 * L2 (one round trip per chunk), and asking the model for the rest; the file processor writes
 * each line's digit with {@link spliceAnswers}. Stateless between chunks, so one serves every file.
 */
export class ChunkResolver {
  constructor(
    private readonly cache: PairLookup,
    private readonly inference: PairInference,
  ) {}

  /**
   * The answers of a chunk's pairs, without splicing them. Keeps nothing of the chunk but its
   * pair texts while it waits (its output may be spilled to disk meanwhile). Rejects with a
   * {@link ChunkError}, or a {@link ShutdownError} when `signal` aborts a wait.
   * `onLookedUp` is told, once the cache tiers have answered, whether pairs went to the model.
   */
  answer(
    chunk: ParsedChunk,
    signal?: AbortSignal,
    onLookedUp?: (toModel: boolean) => void,
  ): Promise<ChunkAnswers> {
    const counts: ChunkCounts = {
      outputLines: chunk.outputLines,
      l1Hits: chunk.knownHits,
      l2Hits: 0,
      modelPairs: 0,
      joinedPairs: 0,
      nullSeniority: new Map(chunk.nullSeniority),
    };
    return this.lookUp(chunk.pairs, counts, signal, onLookedUp).catch((err: unknown) => {
      throw err instanceof ShutdownError ? err : new ChunkError(err);
    });
  }

  private async lookUp(
    pairs: string[],
    counts: ChunkCounts,
    signal?: AbortSignal,
    onLookedUp?: (toModel: boolean) => void,
  ): Promise<ChunkAnswers> {
    const values = new Uint8Array(pairs.length);
    const look = await this.cache.lookupInto(pairs, values, signal);
    counts.l1Hits += look.l1Hits;
    counts.l2Hits = look.l2Hits;
    const timings: ChunkTimings = {
      cacheReadMs: look.l2ReadMs,
      modelWaitMs: 0,
      modelCallMs: 0,
      cacheWriteMs: 0,
    };
    if (look.misses.length === 0) {
      onLookedUp?.(false);
      return { values, counts, timings };
    }
    return this.ask(pairs, look.misses, values, counts, timings, signal, onLookedUp);
  }

  /**
   * Asks the model side for the pairs at `misses`, writing each answer into `values` as it comes.
   * One sink for the chunk, no promise per pair, and nothing of the chunk kept but `values`:
   * a cold backlog read ahead has hundreds of files waiting at once.
   */
  private ask(
    pairs: readonly string[],
    misses: readonly number[],
    values: Uint8Array,
    counts: ChunkCounts,
    timings: ChunkTimings,
    signal?: AbortSignal,
    onLookedUp?: (toModel: boolean) => void,
  ): Promise<ChunkAnswers> {
    const w0 = performance.now();
    let settle!: { resolve(a: ChunkAnswers): void; reject(e: Error): void };
    const answered = new Promise<ChunkAnswers>((resolve, reject) => (settle = { resolve, reject }));
    let remaining = 1; // the loop below holds one until it has asked for every pair
    let failed = false;
    const done = () => {
      if (--remaining > 0 || failed) return;
      timings.modelWaitMs = performance.now() - w0;
      settle.resolve({ values, counts, timings });
    };
    const sink: AnswerSink = {
      answer: (i, a, queued) => {
        values[i] = a.seniority;
        if (queued) {
          timings.modelCallMs += a.modelCallMs;
          timings.cacheWriteMs += a.cacheWriteMs;
        }
        done();
      },
      fail: (err) => {
        if (failed) return;
        failed = true;
        settle.reject(err);
      },
    };
    for (const i of misses) {
      const key = pairs[i] as string;
      remaining += 1;
      const r = this.inference.requestInto({ ...splitPairText(key), key }, sink, i);
      if (r === "queued") counts.modelPairs += 1;
      else counts.joinedPairs += 1;
      if (typeof r === "number") {
        values[i] = r;
        done();
      } else if (r instanceof Error) sink.fail(r);
    }
    onLookedUp?.(remaining > 1 && !failed);
    done();
    return abortable(answered, signal);
  }
}
