import type { Logger } from "pino";
import type { ObjectInfo } from "@rl/s3";
import type { Coordinator, FileLease, FileLeases } from "../coordination/coordinator";
import { SoloCoordinator } from "../coordination/coordinator";
import type { FileReport } from "../pipeline/file-report";
import { settleWithin } from "../service/settle-within";
import { noteIgnored } from "./ignored-keys";
import { InterruptibleSleep } from "./interruptible-sleep";
import { ReadSlots } from "./read-slots";
import type { FileLedger, FileWork, SourceMetrics, SourceRun, WorkSource } from "./work-source";

export interface ListingSourceOptions {
  /** Files processed at once. @default 4 */
  fileConcurrency: number;
  /** Serve mode: time between listings. @default 10_000 */
  pollIntervalMs: number;
  /** Serve mode: first wait before retrying a failed file (doubles each failure, up to 10 min). @default 5_000 */
  retryBaseMs: number;
  /** Serve mode: failures of the same input (same ETag) before it is set aside until it changes. @default 5 */
  maxFileAttempts: number;
  /** Who processes which file when processes on one machine share the raw prefix. @default a lone process */
  coordinator?: Coordinator & FileLeases;
}

/** What one pass's files came to, filled in as they settle. */
interface PassResults {
  reports: FileReport[];
  elsewhere: string[];
  notStartedAfterStop: string[];
  aborted: string[];
  /** The first error a file's handling threw (not a file's failure: those are in `reports`). */
  error?: { err: unknown };
}

/**
 * Hands out files by listing the raw prefix: each pass lists, then processes what is pending,
 * `fileConcurrency` read at a time (files waiting on the model with their output spilled do not
 * count); `serve` passes again after `pollIntervalMs`. With a shared
 * coordinator (processes on one machine over an embedded cache) a file lease says who takes a
 * file; `run` then waits for the files another process holds. Retry counts and the set-aside
 * list are this process's own (with no broker there is nowhere else to keep them).
 */
export class ListingSource implements WorkSource {
  private stopping = false;
  private readonly pollWait = new InterruptibleSleep();
  private readonly failures = new Map<string, { count: number; nextAt: number; etag: string }>();
  private readonly setAside = new Set<string>();
  private readonly reportedIgnored = new Set<string>();
  private readonly coord: Coordinator & FileLeases;
  ready = false;

  constructor(
    private readonly discovery: FileLedger,
    private readonly metrics: SourceMetrics,
    private readonly log: Logger,
    private readonly options: ListingSourceOptions,
  ) {
    this.coord = options.coordinator ?? new SoloCoordinator();
  }

  /**
   * Processes the files this process can lease (all of them when alone); `elsewhere` names
   * those another process holds. After stop(), `unreached` names the files never started.
   */
  private async processAll(files: ObjectInfo[], work: FileWork, serving: boolean) {
    const run: PassResults = { reports: [], elsewhere: [], notStartedAfterStop: [], aborted: [] };
    const slots = new ReadSlots(this.options.fileConcurrency);
    const running = new Set<Promise<void>>();
    let next = 0;
    while (next < files.length && !this.stopping && !run.error) {
      await slots.acquire();
      if (next >= files.length || this.stopping || run.error) {
        slots.release();
        break;
      }
      const info = files[next++] as ObjectInfo;
      const p = this.processOne(info, work, serving, slots, run).finally(() => running.delete(p));
      running.add(p);
    }
    while (running.size > 0) await Promise.all(running);
    if (run.error) throw run.error.err;
    const unreached = [...run.notStartedAfterStop, ...files.slice(next).map((f) => f.key)];
    return { reports: run.reports, elsewhere: run.elsewhere, unreached, aborted: run.aborted };
  }

  /**
   * One file, holding one of the `slots` while it reads (and while it writes): a file whose
   * output is spilled gives its slot up while it waits on the model (see `HeldSlot`).
   */
  private async processOne(
    info: ObjectInfo,
    work: FileWork,
    serving: boolean,
    slots: ReadSlots,
    run: PassResults,
  ): Promise<void> {
    const slot = slots.held();
    try {
      let lease: FileLease | undefined;
      try {
        lease = await this.coord.leaseFile(info.key, info.etag);
      } catch (err) {
        // The lease store fails: go on alone. A file processed twice is harmless (the same output).
        this.log.warn(
          { file: info.key, error: (err as Error).message },
          "cannot lease the file; processing it unleased",
        );
        lease = { lost: false, release: async () => {} };
      }
      if (!lease) {
        run.elsewhere.push(info.key);
        return;
      }
      if (this.coord.shared && (await this.discovery.isDone(info.key, info.etag))) {
        await lease.release().catch(() => {});
        return; // another process finished it since the listing
      }
      if (this.stopping) {
        // Stopped while this file waited for the lease: it is not started.
        await lease.release().catch(() => {});
        run.notStartedAfterStop.push(info.key);
        return;
      }
      try {
        const outcome = await work(info, slot);
        run.reports.push(outcome.report);
        if (outcome.aborted) run.aborted.push(info.key);
        if (outcome.report.status === "done") {
          this.discovery.markDone(info.key, info.etag);
          this.failures.delete(info.key);
        } else this.noteFailure(info, outcome.report, serving);
      } finally {
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
    } catch (err) {
      // A ledger that cannot be read fails the pass, as it did before files were dispatched
      // this way: no file starts after it, and the pass throws once those in flight settle.
      run.error ??= { err };
    } finally {
      slot.end();
    }
  }

  private noteFailure(info: ObjectInfo, report: FileReport, serving: boolean): void {
    const prev = this.failures.get(info.key);
    const f = prev && prev.etag === info.etag ? prev : { count: 0, nextAt: 0, etag: info.etag };
    f.count += 1;
    f.nextAt = Date.now() + Math.min(600_000, this.options.retryBaseMs * 2 ** (f.count - 1));
    this.failures.set(info.key, f);
    this.log.error(
      { file: info.key, error: report.error, attempt: f.count },
      serving ? "file failed; it will be retried on a later pass" : "file failed; run again to retry it",
    );
  }

  /** Whether a serve pass takes `f` now: never failed, re-uploaded since, or its backoff is over. */
  private due(f: ObjectInfo, now: number): boolean {
    const failure = this.failures.get(f.key);
    if (!failure || failure.etag !== f.etag) return true;
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
  }

  private async pass(
    work: FileWork,
    onPending: (files: ObjectInfo[]) => void,
    serving: boolean,
    failedThisRun: ReadonlySet<string> = new Set(),
  ) {
    const listing = await this.discovery.list();
    this.ready = true;
    noteIgnored(listing.ignored, this.reportedIgnored, this.metrics, this.log);
    const now = Date.now();
    const pending = serving
      ? listing.pending.filter((f) => this.due(f, now))
      : // A run tries each file once: a later pass (waiting for files other processes hold)
        // leaves what already failed in this run to the next run.
        listing.pending.filter((f) => !failedThisRun.has(`${f.key}@${f.etag}`));
    this.metrics.backlog.set(listing.pending.length);
    onPending(pending);
    const processed = await this.processAll(pending, work, serving);
    return { ...processed, ignored: listing.ignored };
  }

  async runOnce(work: FileWork, onPending: (files: ObjectInfo[]) => void): Promise<SourceRun> {
    const reports: FileReport[] = [];
    let ignored: string[] = [];
    let waitingSaid = false;
    // With other processes, "everything pending" includes files they hold: wait until those
    // are done too, or their leases lapse (a crashed process) and this one takes them over.
    for (;;) {
      const failed = new Set(reports.filter((r) => r.status === "failed").map((r) => `${r.key}@${r.etag}`));
      const pass = await this.pass(work, onPending, false, failed);
      reports.push(...pass.reports);
      ignored = pass.ignored;
      if (this.stopping) {
        // Files another process holds count as not processed too: this run never saw them done.
        return {
          reports,
          ignored,
          notStarted: [...pass.unreached, ...pass.elsewhere],
          aborted: pass.aborted,
        };
      }
      if (pass.elsewhere.length === 0) return { reports, ignored, notStarted: [], aborted: [] };
      if (!waitingSaid) {
        waitingSaid = true;
        this.log.info(
          { files: pass.elsewhere.length },
          "waiting for files another process holds; a holder that is gone frees them when its lease lapses (FILE_LEASE_MS)",
        );
      }
      await new Promise((r) => setTimeout(r, Math.min(this.options.pollIntervalMs, 1_000)));
    }
  }

  async serve(work: FileWork): Promise<void> {
    while (!this.stopping) {
      try {
        await this.pass(work, () => {}, true);
      } catch (err) {
        this.log.error({ error: (err as Error).message }, "listing failed; retrying after the poll interval");
      }
      if (this.stopping) break;
      await this.pollWait.sleep(this.options.pollIntervalMs);
    }
  }

  stop(): void {
    this.stopping = true;
    this.pollWait.interrupt();
  }

  async close(): Promise<void> {}
}
