import { setMaxListeners } from "node:events";
import type { Logger } from "pino";
import type { ObjectInfo } from "@rl/s3";
import { FileError } from "../pipeline/file-error";
import { processFile } from "../pipeline/file-processor";
import { emptyFileReport } from "../pipeline/file-report";
import type { FileReport } from "../pipeline/file-report";
import type { Coordinator, FileLease } from "../coordination/coordinator";
import { SoloCoordinator } from "../coordination/coordinator";
import type { AugmenterMetrics } from "./augmenter-metrics";
import type { AugmenterParts } from "./augmenter-parts";
import type { Discovery } from "./discovery";
import { settleWithin } from "./settle-within";
import { modelSection, totalsOf, type RunReport, type StopSignal } from "./run-report";

export interface AugmenterOptions {
  /** Files processed at once. @default 4 */
  fileConcurrency: number;
  /** Serve mode: time between listings. @default 10_000 */
  pollIntervalMs: number;
  /** On shutdown, how long files in flight may take to finish before their uploads are aborted. @default 30_000 */
  shutdownGraceMs: number;
  /** Serve mode: first wait before retrying a failed file (doubles each failure, up to 10 min). @default 5_000 */
  retryBaseMs: number;
  /** Serve mode: failures of the same input (same ETag) before it is set aside until it changes. @default 5 */
  maxFileAttempts: number;
  /** Who processes which file when several workers share the raw prefix. @default a lone process */
  coordinator?: Coordinator;
}

/** Runs files through the pipeline: once (`run`) or as a polling service (`serve`). */
export class Augmenter {
  private stopping = false;
  private stopSignal: StopSignal | undefined;
  private readonly abort = new AbortController();
  private readonly failures = new Map<string, { count: number; nextAt: number; etag: string }>();
  private readonly setAside = new Set<string>();
  private readonly reportedIgnored = new Set<string>();
  private wake: (() => void) | undefined;
  private readonly coord: Coordinator;
  ready = false;

  constructor(
    private readonly deps: AugmenterParts,
    private readonly discovery: Discovery,
    private readonly metrics: AugmenterMetrics,
    private readonly log: Logger,
    private readonly options: AugmenterOptions,
  ) {
    this.coord = options.coordinator ?? new SoloCoordinator();
    // Every chunk waiting on the model or L2 listens for the shutdown: many, by design.
    setMaxListeners(0, this.abort.signal);
  }

  /**
   * Processes the files this worker can lease (all of them when alone); `elsewhere` names
   * those another worker holds. After stop(), `unreached` names the files never started and
   * `aborted` those whose processing the end of the shutdown grace cut short.
   */
  private async processAll(
    files: ObjectInfo[],
    onBytes: (n: number) => void,
    serving: boolean,
  ): Promise<{ reports: FileReport[]; elsewhere: string[]; unreached: string[]; aborted: string[] }> {
    const reports: FileReport[] = [];
    const elsewhere: string[] = [];
    const notStartedAfterStop: string[] = [];
    const aborted: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < files.length && !this.stopping) {
        const info = files[next++] as ObjectInfo;
        let lease: FileLease | undefined;
        try {
          lease = await this.coord.leaseFile(info.key, info.etag);
        } catch (err) {
          // Redis is down: go on alone. A file processed twice is harmless (the same output).
          this.log.warn(
            { file: info.key, error: (err as Error).message },
            "cannot lease the file; processing it unleased",
          );
          lease = { lost: false, release: async () => {} };
        }
        if (!lease) {
          elsewhere.push(info.key);
          continue;
        }
        if (this.coord.shared && (await this.discovery.isDone(info.key, info.etag))) {
          await lease.release().catch(() => {});
          continue; // another worker finished it since the listing
        }
        if (this.stopping) {
          // Stopped while this worker waited for the lease: the file is not started.
          await lease.release().catch(() => {});
          notStartedAfterStop.push(info.key);
          break;
        }
        this.metrics.inFlight.inc();
        try {
          const r = await processFile(this.deps.files, info, onBytes, this.abort.signal);
          this.discovery.markDone(info.key, info.etag);
          this.failures.delete(info.key);
          reports.push(r);
          this.metrics.fileDone(r);
          this.log.info(
            {
              file: info.key,
              records: r.records,
              deadLetters: r.deadLetters,
              modelPairs: r.modelPairs,
              ms: Math.round(r.timings.totalMs),
            },
            "file done",
          );
        } catch (err) {
          const failed: FileReport =
            err instanceof FileError
              ? err.report
              : { ...emptyFileReport(info.key, info.etag), status: "failed", error: (err as Error).message };
          reports.push(failed);
          if (this.abort.signal.aborted) aborted.push(info.key);
          this.metrics.fileDone(failed);
          const prev = this.failures.get(info.key);
          const f = prev && prev.etag === info.etag ? prev : { count: 0, nextAt: 0, etag: info.etag };
          f.count += 1;
          f.nextAt = Date.now() + Math.min(600_000, this.options.retryBaseMs * 2 ** (f.count - 1));
          this.failures.set(info.key, f);
          this.log.error(
            { file: info.key, error: err instanceof FileError ? err.message : String(err), attempt: f.count },
            serving
              ? "file failed; it will be retried on a later pass"
              : "file failed; run again to retry it",
          );
        } finally {
          this.metrics.inFlight.dec();
          if (lease.lost) this.log.warn({ file: info.key }, "the file's lease lapsed while it was processed");
          // While stopping, a lease store that does not answer must not hold the shutdown: an
          // unreleased lease lapses on its own (or is freed when its process is gone).
          const released = lease
            .release()
            .catch((err: Error) =>
              this.log.warn(
                { file: info.key, error: err.message },
                "cannot release the file's lease; it expires",
              ),
            );
          await (this.stopping ? settleWithin(released, 1_000) : released);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.fileConcurrency, files.length) }, worker));
    const unreached = [...notStartedAfterStop, ...files.slice(next).map((f) => f.key)];
    return { reports, elsewhere, unreached, aborted };
  }

  private async pass(
    onPending: (files: ObjectInfo[]) => void,
    onBytes: (n: number) => void,
    respectBackoff: boolean,
    failedThisRun: ReadonlySet<string> = new Set(),
  ) {
    const listing = await this.discovery.list();
    this.ready = true;
    for (const key of listing.ignored) {
      if (this.reportedIgnored.has(key)) continue;
      this.reportedIgnored.add(key);
      this.metrics.ignoredKeys.inc();
      this.log.warn({ key }, "ignoring a key that is not a top-level .jsonl or .jsonl.gz file");
    }
    const now = Date.now();
    const pending = respectBackoff
      ? listing.pending.filter((f) => {
          const failure = this.failures.get(f.key);
          if (!failure || failure.etag !== f.etag) return true; // never failed, or re-uploaded since
          if (failure.count >= this.options.maxFileAttempts) {
            if (!this.setAside.has(`${f.key}@${f.etag}`)) {
              this.setAside.add(`${f.key}@${f.etag}`);
              this.metrics.setAside.inc();
              this.log.error(
                { file: f.key, etag: f.etag, attempts: failure.count },
                "file set aside after repeated failures; re-upload it (a new ETag) to try again",
              );
            }
            return false;
          }
          return failure.nextAt <= now;
        })
      : // A run tries each file once: a later pass (waiting for files other workers hold)
        // leaves what already failed in this run to the next run.
        listing.pending.filter((f) => !failedThisRun.has(`${f.key}@${f.etag}`));
    this.metrics.backlog.set(listing.pending.length);
    onPending(pending);
    // Only serve passes again; a run reports the failure and ends.
    const processed = await this.processAll(pending, onBytes, respectBackoff);
    return { ...processed, ignored: listing.ignored };
  }

  /** Processes every pending file once; the report says what happened to each. */
  async runOnce(
    progress: { onPending?: (files: ObjectInfo[]) => void; onBytes?: (n: number) => void } = {},
  ): Promise<RunReport> {
    const started = new Date();
    const cpu0 = process.cpuUsage();
    const reports: FileReport[] = [];
    let ignored: string[] = [];
    let unfinished = { notStarted: [] as string[], aborted: [] as string[] };
    let waitingSaid = false;
    // With other workers, "everything pending" includes files they hold: wait until those are
    // done too, or their leases lapse (a crashed worker) and this worker takes them over.
    for (;;) {
      const failed = new Set(reports.filter((r) => r.status === "failed").map((r) => `${r.key}@${r.etag}`));
      const pass = await this.pass(
        progress.onPending ?? (() => {}),
        progress.onBytes ?? (() => {}),
        false,
        failed,
      );
      reports.push(...pass.reports);
      ignored = pass.ignored;
      if (this.stopping) {
        // Files another worker holds count as not processed too: this run never saw them done.
        unfinished = { notStarted: [...pass.unreached, ...pass.elsewhere].sort(), aborted: pass.aborted };
        break;
      }
      if (pass.elsewhere.length === 0) break;
      if (!waitingSaid) {
        waitingSaid = true;
        this.log.info(
          { files: pass.elsewhere.length },
          "waiting for files another process holds; a holder that is gone frees them when its lease lapses (FILE_LEASE_MS)",
        );
      }
      await new Promise((r) => setTimeout(r, Math.min(this.options.pollIntervalMs, 1_000)));
    }
    const finished = new Date();
    const wallSeconds = (finished.getTime() - started.getTime()) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const sched = this.deps.scheduler.stats();
    return {
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      wallSeconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      ignoredKeys: ignored,
      files: reports.sort((a, b) => (a.key < b.key ? -1 : 1)),
      totals: totalsOf(reports),
      model: modelSection(sched, wallSeconds),
      cache: {
        l2: this.deps.cache.l2.description,
        l1Entries: this.deps.cache.l1Size,
        writeMs: sched.cacheWriteMs,
        writeErrors: sched.cacheWriteErrors,
      },
      ...(this.stopping ? { interrupted: { signal: this.stopSignal, ...unfinished } } : {}),
      notProcessed: [...new Set([...unfinished.notStarted, ...unfinished.aborted])].sort(),
    };
  }

  /** Polls until stop(): each pass lists, then processes what is pending. */
  async serve(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.pass(
          () => {},
          () => {},
          true,
        );
      } catch (err) {
        this.log.error({ error: (err as Error).message }, "listing failed; retrying after the poll interval");
      }
      if (this.stopping) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollIntervalMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /**
   * Takes no new file; files in flight get `shutdownGraceMs` to finish, then their uploads
   * are aborted (an aborted upload never becomes visible). `signal` only names the cause in
   * runOnce()'s report; the first one given is kept.
   */
  stop(signal?: StopSignal): void {
    this.stopSignal ??= signal;
    this.stopping = true;
    this.wake?.();
    setTimeout(() => this.abort.abort(), this.options.shutdownGraceMs).unref();
  }
}
