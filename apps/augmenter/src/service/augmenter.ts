import { setMaxListeners } from "node:events";
import type { Logger } from "pino";
import type { ObjectInfo } from "@rl/s3";
import { FileError } from "../pipeline/file-error";
import { processFile } from "../pipeline/file-processor";
import { emptyFileReport } from "../pipeline/file-report";
import type { FileReport } from "../pipeline/file-report";
import type { FileWork, WorkSource } from "../work/work-source";
import type { AugmenterMetrics } from "./augmenter-metrics";
import type { AugmenterParts } from "./augmenter-parts";
import { modelSection, totalsOf, type RunReport, type StopSignal } from "./run-report";

export interface AugmenterOptions {
  /** On shutdown, how long files in flight may take to finish before their uploads are aborted. @default 30_000 */
  shutdownGraceMs: number;
}

/**
 * Runs files through the pipeline: once (`run`) or as a service (`serve`). Which file comes
 * next, and what a failure leads to, is the {@link WorkSource}'s: a listing of the raw prefix,
 * or the file queue.
 */
export class Augmenter {
  private stopping = false;
  private stopSignal: StopSignal | undefined;
  private readonly abort = new AbortController();
  private onBytes: (n: number) => void = () => {};

  constructor(
    private readonly deps: AugmenterParts,
    private readonly source: WorkSource,
    private readonly metrics: AugmenterMetrics,
    private readonly log: Logger,
    private readonly options: AugmenterOptions,
  ) {
    // Every chunk waiting on the model or L2 listens for the shutdown: many, by design.
    setMaxListeners(0, this.abort.signal);
  }

  /** True once the work source has listed the raw prefix (or reached the queue). */
  get ready(): boolean {
    return this.source.ready;
  }

  /** One file through the pipeline; a failure is in the outcome, never thrown. */
  private readonly work: FileWork = async (info, slot) => {
    this.metrics.inFlight.inc();
    try {
      const r = await processFile(this.deps.files, info, (n) => this.onBytes(n), this.abort.signal, slot);
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
      return { report: r, aborted: false };
    } catch (err) {
      const failed: FileReport =
        err instanceof FileError
          ? err.report
          : { ...emptyFileReport(info.key, info.etag), status: "failed", error: String(err) };
      this.metrics.fileDone(failed);
      return { report: failed, aborted: this.abort.signal.aborted };
    } finally {
      this.metrics.inFlight.dec();
    }
  };

  /** Processes every pending file once; the report says what happened to each. */
  async runOnce(
    progress: { onPending?: (files: ObjectInfo[]) => void; onBytes?: (n: number) => void } = {},
  ): Promise<RunReport> {
    const started = new Date();
    const cpu0 = process.cpuUsage();
    this.onBytes = progress.onBytes ?? (() => {});
    const run = await this.source.runOnce(this.work, progress.onPending ?? (() => {}));
    const reports = run.reports;
    const ignored = run.ignored;
    const unfinished = { notStarted: [...run.notStarted].sort(), aborted: run.aborted };
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

  /** Processes files as they arrive until stop(). */
  async serve(): Promise<void> {
    await this.source.serve(this.work);
  }

  /**
   * Takes no new file; files in flight get `shutdownGraceMs` to finish, then their uploads
   * are aborted (an aborted upload never becomes visible). `signal` only names the cause in
   * runOnce()'s report; the first one given is kept.
   */
  stop(signal?: StopSignal): void {
    this.stopSignal ??= signal;
    this.stopping = true;
    this.source.stop();
    setTimeout(() => this.abort.abort(), this.options.shutdownGraceMs).unref();
  }
}
