import type { LookupResult, Pair, PairRules, UnusableReason } from "@rl/cache";
import { inspectPosting, type PostingVerdict } from "../records/posting";
import type { AssembledRecord } from "../records/record-assembler";
import { SplicedOutput } from "../records/spliced-output";
import { abortable } from "./abortable";
import { ChunkError } from "./chunk-error";
import { deadLetterLine } from "./dead-letter-line";
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
  lookupMany(keys: Iterable<string>, signal?: AbortSignal): Promise<LookupResult>;
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
  /** The chunk's distinct usable pairs, by key. */
  pairKeys: string[];
}

/** One record of the chunk that will be an output line: all that is kept of it while it waits. */
type Line = Extract<PostingVerdict, { ok: true }>;

/** The chunk after the synchronous first pass: no parsed value is left in it. */
interface Inspected {
  lines: Line[];
  /** UTF-16 units of the lines' text: their output's size in bytes when it is ASCII. */
  chars: number;
  deadLines: string[];
  pairs: Map<string, Pair>;
}

/**
 * The design's resolver: turns a chunk of assembled records into output text, looking its
 * distinct pairs up in L1, then L2 (one round trip per chunk), then asking the model for the rest.
 * Stateless between chunks, so one serves every file.
 */
export class ChunkResolver {
  constructor(
    private readonly cache: PairLookup,
    private readonly inference: PairInference,
    private readonly rules: PairRules,
  ) {}

  /**
   * Resolves `records` of `file`; the array is read, never changed. Not `async` on purpose: the
   * records are read in this synchronous pass and not referenced afterwards, so once the caller
   * lets go of the array its parsed values can be collected while the chunk waits on L2 and the
   * model (else a cold run holds every parsed object of its window). Rejects with a
   * {@link ChunkError}, or a {@link ShutdownError} when `signal` aborts a wait.
   */
  resolve(file: string, records: readonly AssembledRecord[], signal?: AbortSignal): Promise<ResolvedChunk> {
    let inspected: Inspected;
    try {
      inspected = this.inspect(file, records);
    } catch (err) {
      return Promise.reject(new ChunkError(err));
    }
    return this.complete(inspected, signal).catch((err: unknown) => {
      throw err instanceof ShutdownError ? err : new ChunkError(err);
    });
  }

  private inspect(file: string, records: readonly AssembledRecord[]): Inspected {
    const lines: Line[] = [];
    const deadLines: string[] = [];
    const pairs = new Map<string, Pair>();
    let chars = 0;
    for (const rec of records) {
      if (rec.kind === "dead") {
        deadLines.push(deadLetterLine(file, rec));
        continue;
      }
      const v = inspectPosting(rec, this.rules);
      if (!v.ok) {
        deadLines.push(
          deadLetterLine(file, { kind: "dead", line: rec.line, reason: v.reason, raw: rec.text }),
        );
        continue;
      }
      lines.push(v);
      chars += v.text.length;
      if (typeof v.pair !== "string") pairs.set(v.pair.key, v.pair);
    }
    return { lines, chars, deadLines, pairs };
  }

  private async complete(
    { lines, chars, deadLines, pairs }: Inspected,
    signal?: AbortSignal,
  ): Promise<ResolvedChunk> {
    const look = await this.cache.lookupMany(pairs.keys(), signal);
    const values = look.found;
    const counts: ChunkCounts = {
      outputLines: 0,
      l1Hits: look.l1Hits,
      l2Hits: look.l2Hits,
      modelPairs: 0,
      joinedPairs: 0,
      nullSeniority: new Map(),
    };
    const timings: ChunkTimings = {
      cacheReadMs: look.l2ReadMs,
      modelWaitMs: 0,
      modelCallMs: 0,
      cacheWriteMs: 0,
    };
    if (look.misses.length > 0) {
      const w0 = performance.now();
      const asked = look.misses.map((key) => {
        const r = this.inference.request(pairs.get(key) as Pair);
        if (r.joined) counts.joinedPairs += 1;
        else counts.modelPairs += 1;
        return r.result.then((answer) => {
          values.set(key, answer.seniority);
          timings.modelCallMs += answer.modelCallMs;
          timings.cacheWriteMs += answer.cacheWriteMs;
        });
      });
      await abortable(Promise.all(asked), signal);
      timings.modelWaitMs = performance.now() - w0;
    }
    const output = new SplicedOutput(chars + lines.length * SplicedOutput.LINE_OVERHEAD);
    for (const line of lines) {
      let v: number | null = null;
      if (typeof line.pair === "string") {
        counts.nullSeniority.set(line.pair, (counts.nullSeniority.get(line.pair) ?? 0) + 1);
      } else {
        v = values.get(line.pair.key) ?? null;
        if (v === null) throw new Error(`no seniority resolved for a pair (internal error)`);
      }
      output.add(line.text, v, line.empty);
      counts.outputLines += 1;
    }
    return { output: output.bytes(), deadLines, counts, timings, pairKeys: [...pairs.keys()] };
  }
}
