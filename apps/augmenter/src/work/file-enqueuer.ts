import type { JobsOptions, Queue } from "bullmq";
import type { ObjectInfo } from "@rl/s3";
import { fileJobData, fileJobId, type FileJobData } from "./file-queue";

/** The job states that are a backlog: taken by no worker yet. */
export const BACKLOG_STATES = ["waiting", "delayed", "prioritized", "paused"] as const;

export interface FileEnqueuerOptions {
  /** Tries per job (FILE_MAX_ATTEMPTS). */
  attempts: number;
  /** Most jobs waiting (or delayed) before a scan adds no more (QUEUE_MAX_WAITING). */
  maxWaiting: number;
}

/**
 * Puts files on the queue, once each: the job id is the (key, ETag), so a file another scanner
 * (or an earlier run) already enqueued is not added again, and a re-upload is a new job. Done
 * jobs are removed at once: S3 is the ledger, so a later listing that finds the file without
 * its output enqueues it again rather than trusting a stale "completed". Failed jobs stay: the
 * failed set is the list of files set aside, with their reasons.
 */
export class FileEnqueuer {
  private readonly jobOptions: JobsOptions;
  /** When this enqueuer last added each pending file's job. */
  private readonly offered = new Map<string, number>();

  constructor(
    private readonly queue: Queue<FileJobData>,
    private readonly o: FileEnqueuerOptions,
    private readonly reofferMs = 60_000,
  ) {
    this.jobOptions = {
      attempts: o.attempts,
      // The delays are the workers' backoffStrategy (FILE_RETRY_BASE_MS doubling, capped).
      backoff: { type: "file" },
      removeOnComplete: true,
      removeOnFail: false,
    };
  }

  /** Jobs waiting for a worker (waiting, delayed, prioritized, paused). */
  backlog(): Promise<number> {
    return this.queue.getJobCountByTypes(...BACKLOG_STATES);
  }

  /** Adds every file (a `run`'s whole listing: it waits for each of them anyway). */
  async addAll(files: readonly ObjectInfo[]): Promise<void> {
    for (let i = 0; i < files.length; i += 500) {
      await this.queue.addBulk(
        files.slice(i, i + 500).map((f) => ({
          name: f.key,
          data: fileJobData(f),
          opts: { ...this.jobOptions, jobId: fileJobId(f.key, f.etag) },
        })),
      );
    }
  }

  /**
   * Adds files (oldest names first) while the backlog stays under `maxWaiting`: a deep queue is
   * not made deeper, and the next scan adds what is left. A file this enqueuer added in the last
   * `reofferMs` is not offered again (it is queued or being processed; offering it would be a
   * no-op call per file per scan); after that it is, so a queue lost meanwhile (Redis flushed) is
   * rebuilt. Returns how many were offered.
   */
  async addBounded(files: readonly ObjectInfo[], backlog?: number): Promise<number> {
    const room = this.o.maxWaiting - (backlog ?? (await this.backlog()));
    const now = Date.now();
    const listed = new Set<string>();
    const fresh = files.filter((f) => {
      const id = fileJobId(f.key, f.etag);
      listed.add(id);
      return now - (this.offered.get(id) ?? -Infinity) >= this.reofferMs;
    });
    // Only files still pending are remembered: the memory stays as small as the listing.
    for (const id of this.offered.keys()) if (!listed.has(id)) this.offered.delete(id);
    if (room <= 0) return 0;
    const offered = fresh.slice(0, room);
    await this.addAll(offered);
    for (const f of offered) this.offered.set(fileJobId(f.key, f.etag), now);
    return offered.length;
  }
}
