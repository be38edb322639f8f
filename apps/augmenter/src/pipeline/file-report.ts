import { UNUSABLE_REASONS, type UnusableReason } from "@rl/cache";

export interface FileTimings {
  /** Wall time of the whole file. */
  totalMs: number;
  /** Waiting on the input stream (S3 GET, and gunzip for .gz). */
  s3ReadMs: number;
  /** Waiting on the output and dead-letter uploads (backpressure and completion). */
  s3WriteMs: number;
  /** Waiting on L2 reads. */
  cacheReadMs: number;
  /** Waiting on the inference scheduler for pairs no tier had. */
  modelWaitMs: number;
  /** This file's share of model call time (each pair it sent carries 1/n of its batch's call). */
  modelCallMs: number;
  /** This file's share of L2 write time, attributed the same way. */
  cacheWriteMs: number;
}

export interface FileReport {
  key: string;
  etag: string;
  status: "done" | "failed";
  error?: string;
  /** Records read: output lines + dead letters. */
  records: number;
  outputLines: number;
  deadLetters: number;
  /** Postings written with `"seniority":null` ... */
  nullSeniority: number;
  /** ... by why their company and title made no usable pair. */
  nullSeniorityBy: Record<UnusableReason, number>;
  blankLines: number;
  /** Distinct normalised pairs in the file. */
  distinctPairs: number;
  /** Pair lookups answered by L1 / by L2 (once per distinct pair per chunk). */
  l1Hits: number;
  l2Hits: number;
  /** Pairs this file put on the model's queue / pairs it found already pending (single-flight). */
  modelPairs: number;
  joinedPairs: number;
  bytesIn: number;
  bytesOut: number;
  /** Bytes its chunks waiting on the model took on local disk instead of memory (SPILL_DIR). */
  spilledBytes: number;
  timings: FileTimings;
}

export function emptyFileReport(key: string, etag: string): FileReport {
  return {
    key,
    etag,
    status: "done",
    records: 0,
    outputLines: 0,
    deadLetters: 0,
    nullSeniority: 0,
    nullSeniorityBy: Object.fromEntries(UNUSABLE_REASONS.map((r) => [r, 0])) as Record<
      UnusableReason,
      number
    >,
    blankLines: 0,
    distinctPairs: 0,
    l1Hits: 0,
    l2Hits: 0,
    modelPairs: 0,
    joinedPairs: 0,
    bytesIn: 0,
    bytesOut: 0,
    spilledBytes: 0,
    timings: {
      totalMs: 0,
      s3ReadMs: 0,
      s3WriteMs: 0,
      cacheReadMs: 0,
      modelWaitMs: 0,
      modelCallMs: 0,
      cacheWriteMs: 0,
    },
  };
}
