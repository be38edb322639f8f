import { splitPairText, type LookupResult, type Pair, type UnusableReason } from "@rl/cache";
import type { ParsedChunk } from "../parse/parsed-chunk";
import { abortable } from "./abortable";
import { ChunkError } from "./chunk-error";
import { ShutdownError } from "./shutdown-error";

/** A pair's answer, with its equal share of its batch's model call and cache write. */
export interface Inferred {
  seniority: number;
  modelCallMs: number;
  cacheWriteMs: number;
}

/** The model side as the resolver uses it (the inference scheduler in the service). */
export interface PairInference {
  /** `joined`: the pair was already pending (or answered); only a caller that queued it gets a time share. */
  request(pair: Pair): { result: Promise<Inferred>; joined: boolean };
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

/** What a chunk becomes: the caller writes it, in order, and adds it to the file's report. */
export interface ResolvedChunk {
  /** Output lines, each ending in `\n`, as UTF-8. */
  output: Buffer;
  deadLines: string[];
  counts: ChunkCounts;
  timings: ChunkTimings;
  /** The seniority of each of the chunk's `pairs`, by position. */
  values: Uint8Array;
}

const DIGIT_0 = 48;

/**
 * The design's resolver: completes a parsed chunk by looking its distinct pairs up in L1, then
 * L2 (one round trip per chunk), asking the model for the rest, and writing each line's digit.
 * Stateless between chunks, so one serves every file.
 */
export class ChunkResolver {
  constructor(
    private readonly cache: PairLookup,
    private readonly inference: PairInference,
  ) {}

  /** Rejects with a {@link ChunkError}, or a {@link ShutdownError} when `signal` aborts a wait. */
  resolve(chunk: ParsedChunk, signal?: AbortSignal): Promise<ResolvedChunk> {
    return this.complete(chunk, signal).catch((err: unknown) => {
      throw err instanceof ShutdownError ? err : new ChunkError(err);
    });
  }

  private async complete(chunk: ParsedChunk, signal?: AbortSignal): Promise<ResolvedChunk> {
    const { pairs, slots } = chunk;
    const values = new Uint8Array(pairs.length);
    const look = await this.cache.lookupInto(pairs, values, signal);
    const counts: ChunkCounts = {
      outputLines: chunk.outputLines,
      l1Hits: look.l1Hits + chunk.knownHits,
      l2Hits: look.l2Hits,
      modelPairs: 0,
      joinedPairs: 0,
      nullSeniority: new Map(chunk.nullSeniority),
    };
    const timings: ChunkTimings = {
      cacheReadMs: look.l2ReadMs,
      modelWaitMs: 0,
      modelCallMs: 0,
      cacheWriteMs: 0,
    };
    if (look.misses.length > 0) {
      const w0 = performance.now();
      const asked = look.misses.map((i) => {
        const key = pairs[i] as string;
        const pair: Pair = { ...splitPairText(key), key };
        const r = this.inference.request(pair);
        if (r.joined) counts.joinedPairs += 1;
        else counts.modelPairs += 1;
        return r.result.then((answer) => {
          values[i] = answer.seniority;
          timings.modelCallMs += answer.modelCallMs;
          timings.cacheWriteMs += answer.cacheWriteMs;
        });
      });
      await abortable(Promise.all(asked), signal);
      timings.modelWaitMs = performance.now() - w0;
    }
    const output = Buffer.from(chunk.output.buffer, chunk.output.byteOffset, chunk.output.length);
    for (let k = 0; k < slots.length; k += 2) {
      const v = values[slots[k + 1] as number] as number;
      // Every tier and the model answer 1..7; a 0 here is a pair left unresolved.
      if (v < 1 || v > 7) throw new Error(`no seniority resolved for a pair (internal error)`);
      output[slots[k] as number] = DIGIT_0 + v;
    }
    return { output, deadLines: chunk.deadLines, counts, timings, values };
  }
}
