import type { PairRules, UnusableReason } from "@rl/cache/pair";
import type { AssemblerLimits } from "../records/record-assembler";

/**
 * A chunk of a file's records after the parse stage, which may run on another thread: its
 * output already written, with a `0` where each resolvable line's seniority digit goes. All the
 * resolver does is look the chunk's distinct pairs up and write one byte per line.
 */
export interface ParsedChunk {
  /** The chunk's output lines as UTF-8, each ending in `\n`. */
  output: Uint8Array;
  /** The chunk's distinct usable pairs its thread did not know, by pair text (design.md §2.3). */
  pairs: string[];
  /** Distinct pairs the parse thread knew the answer of (spliced already): L1 hits. */
  knownHits: number;
  /** What the pairs' answers go back to the parse thread under (see `ParseSession.learn`). */
  seq: number;
  /** Two entries per line waiting for a seniority: the offset of its digit in `output`, then the index of its pair in `pairs`. */
  slots: Int32Array;
  deadLines: string[];
  /** Records read (output lines + dead letters). */
  records: number;
  outputLines: number;
  /** Lines written with `"seniority":null`, by why they make no pair. */
  nullSeniority: Array<[UnusableReason, number]>;
  /** Input bytes the chunk accounts for: given back to the byte budget once it is written. */
  bytes: number;
}

/** What is left at the end of a file: its last chunks and the file's own counts. */
export interface ParsedEnd {
  chunks: ParsedChunk[];
  blankLines: number;
  /** Distinct usable pairs in the file (stops growing at `maxDistinctTracked`). */
  distinctPairs: number;
}

/** What parsing a file needs; plain data, so it can be posted to a worker. */
export interface ParseOptions {
  limits: AssemblerLimits;
  rules: PairRules;
  /** Records per chunk (one L2 round trip each). */
  chunkRecords: number;
  /** Distinct pairs counted per file before the count stops growing (memory bound). */
  maxDistinctTracked: number;
  /** Answers a parse worker keeps a copy of (0: none, as on the main thread, where L1 is). */
  knownMaxEntries: number;
}
