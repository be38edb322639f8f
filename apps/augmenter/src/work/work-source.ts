import type { ObjectInfo } from "@rl/s3";
import type { FileSlot } from "../pipeline/file-processor";
import type { FileReport } from "../pipeline/file-report";
import type { AugmenterMetrics } from "../service/augmenter-metrics";
import type { Discovery } from "../service/discovery";

/** What a source asks of the ledger (S3): what is pending, and whether a file is done. */
export type FileLedger = Pick<Discovery, "list" | "isDone" | "markDone">;

/** The metrics a source keeps. */
export type SourceMetrics = Pick<AugmenterMetrics, "ignoredKeys" | "setAside" | "backlog">;

/** What one pass of the Augmenter's per-file processing made of a file. */
export interface FileOutcome {
  /** `status: "failed"` with its `error` when the file failed. */
  report: FileReport;
  /** The shutdown cut it short: not the file's fault, so it is handed back rather than counted. */
  aborted: boolean;
}

/**
 * The Augmenter's per-file processing: never throws, a failure is in the outcome. A source that
 * gives `slot` lets a file that waits on the model with its output spilled give its place to
 * the next file meanwhile; without one the file keeps its place while it waits.
 */
export type FileWork = (file: ObjectInfo, slot?: FileSlot) => Promise<FileOutcome>;

/** What a `run` handed out, once every file pending at its start is settled (or it was stopped). */
export interface SourceRun {
  /** The last outcome of each file this process processed, and the files the run found set aside. */
  reports: FileReport[];
  /** Keys the listing ignored (not a top-level .jsonl or .jsonl.gz). */
  ignored: string[];
  /** After stop(): files pending for this run that no one finished, never started here. */
  notStarted: string[];
  /** After stop(): files whose processing here the end of the shutdown grace cut short. */
  aborted: string[];
}

/**
 * Who hands files to the Augmenter: which file next, how many at once, and what a failure does
 * (retried later, set aside). The Augmenter only processes what it is handed.
 * - {@link ListingSource}: lists the raw prefix every pass; a lone process, or processes on one
 *   machine sharing an embedded cache (a file lease in its record space says who takes a file).
 * - {@link QueueSource}: a BullMQ queue on the cache's Redis; one scanner enqueues, every worker
 *   takes jobs, attempts and the set-aside list live in the queue.
 */
export interface WorkSource {
  /** Hands every file pending now to `work` until each is settled (or stop()). */
  runOnce(work: FileWork, onPending: (files: ObjectInfo[]) => void): Promise<SourceRun>;
  /** Hands out files as they arrive until stop(). */
  serve(work: FileWork): Promise<void>;
  /** No new file is handed out; runOnce()/serve() return once the files in flight settle. */
  stop(): void;
  /** True once the raw prefix has been listed (or the queue reached): for /readyz. */
  readonly ready: boolean;
  close(): Promise<void>;
}
