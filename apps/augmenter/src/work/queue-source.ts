import {
  UnrecoverableError,
  WaitingError,
  Worker,
  type ConnectionOptions,
  type Job,
  type Queue,
} from "bullmq";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { ObjectInfo } from "@rl/s3";
import { emptyFileReport, type FileReport } from "../pipeline/file-report";
import { FileEnqueuer } from "./file-enqueuer";
import {
  FILE_QUEUE_PREFIX,
  fileJobId,
  objectInfoOf,
  type FileJobData,
  type OpenedFileQueue,
} from "./file-queue";
import { noteIgnored } from "./ignored-keys";
import { InterruptibleSleep } from "./interruptible-sleep";
import { ReadSlots, type HeldSlot } from "./read-slots";
import { isPermanentFailure } from "./permanent-failure";
import { ScannerLease } from "./scanner-lease";
import type { FileLedger, FileOutcome, FileWork, SourceMetrics, SourceRun, WorkSource } from "./work-source";

export interface QueueSourceOptions {
  /** Jobs this worker processes at once (FILE_CONCURRENCY). */
  fileConcurrency: number;
  /** serve: time between scans of the raw prefix; run: how often it looks whether its files are settled. */
  pollIntervalMs: number;
  /** First wait before a failed job is tried again; doubles per failure, at most 10 min. */
  retryBaseMs: number;
  /** Tries per job before it is set aside in the failed set. */
  maxFileAttempts: number;
  /** The lock on a job being processed, renewed at half of it: how long a crashed worker's file waits. */
  fileLockMs: number;
  /** Jobs waiting before the scanner adds no more. */
  maxWaiting: number;
  /** This worker's name (the scanner lease's holder). */
  workerId: string;
}

/** How long a stop still waits for a starting worker's connections before closing it anyway. */
const READY_AFTER_STOP_MS = 5_000;

/** Job states asked of Redis at once when checking which files of a run are settled. */
const STATE_LOOKUPS_AT_ONCE = 256;

/** How long a failed job waits before its next try: FILE_RETRY_BASE_MS doubling, at most 10 min. */
export const retryDelay = (baseMs: number, attemptsMade: number) =>
  Math.min(600_000, baseMs * 2 ** Math.max(0, attemptsMade - 1));

/**
 * Hands out files through a BullMQ queue on the cache's Redis. One scanner at a time (a
 * {@link ScannerLease}) lists the raw prefix and enqueues each pending (key, ETag) once, while
 * the backlog is under `maxWaiting`; every worker takes jobs, `fileConcurrency` at a time. A
 * job's lock is renewed while it is processed; a worker that dies loses it after `fileLockMs`
 * and the stalled check gives the job to another. Attempts, backoff and the failed set (files
 * set aside, with their reasons) are the queue's, shared by every worker and kept across
 * restarts. S3 stays the ledger: a job whose output exists is completed without work.
 *
 * States: IDLE → (runOnce | serve) WORKING → stop() STOPPING (no new job; jobs in flight
 * finish, or are handed back to the queue when the shutdown grace aborts them) → CLOSED.
 */
export class QueueSource implements WorkSource {
  private stopping = false;
  private readonly pollWait = new InterruptibleSleep();
  private markStopped: () => void = () => {};
  /** Settles at `stop()`: waits that may never end (a Redis that does not answer) race it. */
  private readonly stopped = new Promise<void>((resolve) => (this.markStopped = resolve));
  private worker: Worker<FileJobData> | undefined;
  private readonly enqueuer: FileEnqueuer;
  private readonly lease: ScannerLease;
  private readonly reportedIgnored = new Set<string>();
  /** During runOnce(): the last outcome here of each job this worker processed, by job id (serve keeps none). */
  private readonly outcomes = new Map<string, FileReport>();
  private collecting = false;
  private readonly abortedHere = new Set<string>();
  private lastWorkerError = { kind: "", at: 0 };
  /** FILE_CONCURRENCY places among files read or written; see {@link FileSlot}. */
  private readonly slots: ReadSlots;
  /** Jobs taken ahead by hand (see {@link readAhead}), until each is completed or failed. */
  private readonly ahead = new Set<Promise<void>>();
  private aheadTokens = 0;
  /** Set before the worker closes: no job is taken ahead after it. */
  private aheadClosed = false;
  private work: FileWork | undefined;
  ready = false;

  constructor(
    private readonly q: OpenedFileQueue,
    private readonly discovery: FileLedger,
    private readonly metrics: SourceMetrics,
    private readonly log: Logger,
    private readonly o: QueueSourceOptions,
  ) {
    this.slots = new ReadSlots(o.fileConcurrency);
    this.enqueuer = new FileEnqueuer(q.queue, { attempts: o.maxFileAttempts, maxWaiting: o.maxWaiting });
    this.lease = new ScannerLease(
      q.connection,
      `${FILE_QUEUE_PREFIX}:${q.queue.name}:scanner`,
      o.workerId,
      Math.max(3 * o.pollIntervalMs, 10_000),
    );
  }

  private async process(
    work: FileWork,
    job: Job<FileJobData>,
    token?: string,
    /** A job taken ahead comes with its place (see {@link readAhead}). */
    ahead?: HeldSlot,
  ): Promise<string> {
    const info = objectInfoOf(job.data);
    const id = job.id as string;
    let slot = ahead;
    let outcome: FileOutcome;
    try {
      // The ledger first: a job enqueued before another worker's output appeared has nothing to do.
      if (await this.discovery.isDone(info.key, info.etag)) return "already done";
      if (!slot) {
        await this.slots.acquire();
        slot = this.holdSlot();
      }
      outcome = await work(info, slot);
    } finally {
      // A job taken ahead ends without BullMQ fetching another: its place takes the next one here.
      if (slot?.end() && ahead) this.readAhead();
    }
    const { report, aborted } = outcome;
    if (this.collecting) this.outcomes.set(id, report);
    if (report.status === "done") {
      this.discovery.markDone(info.key, info.etag);
      return "done";
    }
    if (aborted) {
      // Cut short by the shutdown: not the file's fault. Back to waiting, no attempt counted.
      this.abortedHere.add(id);
      await job.moveToWait(token);
      throw new WaitingError();
    }
    const attempt = job.attemptsMade + 1;
    const permanent = isPermanentFailure(report);
    const last = permanent || attempt >= (job.opts.attempts ?? 1);
    const fields = { file: info.key, etag: info.etag, error: report.error, attempt };
    if (!last) {
      this.log.error(
        { ...fields, retryInMs: retryDelay(this.o.retryBaseMs, attempt) },
        "file failed; it will be retried on a later pass",
      );
      throw new Error(report.error);
    }
    this.metrics.setAside.inc();
    this.log.error(
      fields,
      permanent
        ? "file set aside: its input can never be processed as it is; re-upload it (a new ETag), or `augmenter files retry` it"
        : "file set aside after repeated failures; re-upload it (a new ETag), or `augmenter files retry` it",
    );
    throw permanent ? new UnrecoverableError(report.error) : new Error(report.error);
  }

  /**
   * The place just taken, as the file's slot: a file that gives it up while it waits on the model
   * (its output spilled) lets another file be read meanwhile (see {@link readAhead}).
   */
  private holdSlot(): HeldSlot {
    return this.slots.held(() => this.readAhead());
  }

  /**
   * Takes one more job by hand into a free place. BullMQ's worker runs FILE_CONCURRENCY jobs and
   * fetches the next one only when one of them ends; a file waiting on the model with its output
   * spilled holds its job without holding a place, so without this a cold backlog would read
   * ahead one file per answered file. A job taken here is processed as the worker's are (same
   * attempts, backoff and set-aside rules), its lock renewed here, and it is completed or failed
   * by hand. Taken only into a place that is free: never hoarded from the other workers.
   */
  private readAhead(): boolean {
    const worker = this.worker;
    const work = this.work;
    if (!worker || !work || this.stopping || this.aheadClosed || !this.slots.tryAcquire()) return false;
    const p = this.processAhead(worker, work).finally(() => this.ahead.delete(p));
    this.ahead.add(p);
    return true;
  }

  /**
   * On each poll: while files wait without their places and places are free, takes jobs ahead
   * (jobs enqueued since the last try, or retried after their backoff, would otherwise wait
   * for one of those files to finish).
   */
  private fillAhead(): void {
    for (let n = 0; n < this.o.fileConcurrency && this.slots.away > 0 && this.readAhead(); n++);
  }

  private async processAhead(worker: Worker<FileJobData>, work: FileWork): Promise<void> {
    const token = `${worker.id}:ahead:${++this.aheadTokens}`;
    let job: Job<FileJobData> | undefined;
    try {
      job = await worker.getNextJob(token, { block: false });
    } catch (err) {
      this.log.warn(
        { error: (err as Error).message },
        "file queue: cannot take a job ahead; the worker goes on",
      );
    }
    if (!job) {
      this.slots.release(); // nothing waiting: the place goes to whoever asks next
      return;
    }
    const taken = job;
    const lockMs = this.o.fileLockMs;
    const renew = setInterval(() => void taken.extendLock(token, lockMs).catch(() => {}), lockMs / 2);
    let result: string;
    try {
      result = await this.process(work, taken, token, this.holdSlot());
    } catch (err) {
      // WaitingError: handed back to the queue already (the shutdown cut the file short).
      if (!(err instanceof WaitingError))
        await taken
          .moveToFailed(err as Error, token, false)
          .catch((e: Error) =>
            this.log.warn(
              { file: taken.data.key, error: e.message },
              "file queue: cannot record a failed attempt; the job's lock lapses and it is retried",
            ),
          );
      clearInterval(renew);
      return;
    }
    clearInterval(renew);
    // Its output is written: a job that cannot be completed is left to its lock, and found done
    // by whoever takes it next (never counted as a failed attempt).
    await taken
      .moveToCompleted(result, token, false)
      .catch((e: Error) =>
        this.log.warn(
          { file: taken.data.key, error: e.message },
          "file queue: cannot complete a job taken ahead; its lock lapses",
        ),
      );
  }

  /**
   * Hands back the jobs an earlier life of this worker (same WORKER_ID, so that process is gone)
   * held when it died, instead of leaving them to wait out their locks and the stalled check: a
   * restarted pod picks its files up again at once, as it took back its leases before the queue.
   * The lock key's layout is BullMQ's (`<prefix>:<queue>:<job id>:lock`, holding the token).
   */
  private async reclaimOwnJobs(): Promise<void> {
    for (const job of await this.q.queue.getActive()) {
      if (job.processedBy !== this.o.workerId || !job.id) continue;
      const token = await this.q.connection.get(`${FILE_QUEUE_PREFIX}:${this.q.queue.name}:${job.id}:lock`);
      if (!token) continue; // its lock lapsed: the stalled check hands it out
      await job.moveToWait(token).catch(() => {}); // taken over meanwhile: nothing to hand back
      this.log.info(
        { file: job.data.key },
        "file held by an earlier life of this worker handed back to the queue",
      );
    }
  }

  private async startWorker(work: FileWork): Promise<Worker<FileJobData>> {
    this.work = work;
    this.aheadClosed = false;
    await this.reclaimOwnJobs().catch((err: Error) =>
      this.log.warn(
        { error: err.message },
        "cannot look for files an earlier life of this worker held; their locks lapse",
      ),
    );
    const worker = new Worker<FileJobData>(
      this.q.queue.name,
      (job, token) => this.process(work, job, token),
      {
        connection: this.q.connection as ConnectionOptions,
        prefix: FILE_QUEUE_PREFIX,
        // Recorded on each job it takes (processedBy): how a restarted worker finds its own.
        name: this.o.workerId,
        concurrency: this.o.fileConcurrency,
        lockDuration: this.o.fileLockMs,
        // A dead worker's job is found within a lock period of the lock lapsing.
        stalledInterval: Math.min(30_000, this.o.fileLockMs),
        // A stall is a worker that died in the file: counted like a failed attempt.
        maxStalledCount: this.o.maxFileAttempts,
        settings: { backoffStrategy: (attemptsMade) => retryDelay(this.o.retryBaseMs, attemptsMade) },
        // Started below, once connected, and only if no stop came meanwhile: a stopping worker takes no file.
        autorun: false,
      },
    );
    worker.on("error", (err) => {
      // Once per kind of error (job ids aside) per 30 s: an outage repeats it for every job on
      // every reconnect.
      const kind = err.message.replace(/job \S+/g, "job");
      if (kind === this.lastWorkerError.kind && Date.now() - this.lastWorkerError.at < 30_000) return;
      this.lastWorkerError = { kind, at: Date.now() };
      this.log.warn({ error: err.message }, "file queue: worker error; BullMQ retries");
    });
    this.worker = worker;
    // Used (and so closed) only once its connections are up: BullMQ's close() during their
    // start-up leaves that start-up's error with no listener, an uncaught exception that ends the
    // process (taskforcesh/bullmq#3546; seen as a `run` exiting 1 before its summary when its
    // only file was already set aside). A stop waits at most a few seconds more for it: a Redis
    // that is down must not hold the shutdown.
    await Promise.race([
      worker.waitUntilReady().then(
        () => {},
        () => {},
      ),
      this.stopped.then(() => sleep(READY_AFTER_STOP_MS, undefined, { ref: false })),
    ]);
    if (!this.stopping) worker.run().catch((err: Error) => worker.emit("error", err));
    return worker;
  }

  async runOnce(work: FileWork, onPending: (files: ObjectInfo[]) => void): Promise<SourceRun> {
    const listing = await this.discovery.list();
    this.ready = true;
    noteIgnored(listing.ignored, this.reportedIgnored, this.metrics, this.log);
    this.metrics.backlog.set(listing.pending.length);
    onPending(listing.pending);
    const mine = new Map(listing.pending.map((f) => [fileJobId(f.key, f.etag), f]));
    this.collecting = true;
    await this.enqueuer.addAll(listing.pending);
    // Until every file of this run is completed (its job removed) or failed, whoever holds it.
    const open = new Set(mine.keys());
    const setAside = new Map<string, Job<FileJobData>>();
    await this.settled(open, setAside, mine);
    // No worker when nothing is left to do (every file done or set aside already).
    const worker = open.size > 0 && !this.stopping ? await this.startWorker(work) : undefined;
    while (open.size > 0 && !this.stopping) {
      await this.pollWait.sleep(Math.min(this.o.pollIntervalMs, 500));
      this.fillAhead();
      await this.settled(open, setAside, mine);
    }
    await this.closeAhead(worker);
    await worker?.close();
    if (this.stopping) await this.settled(open, setAside, mine); // jobs that finished within the grace
    const reports: FileReport[] = [];
    for (const [id, f] of mine) {
      const here = this.outcomes.get(id);
      const failed = setAside.get(id);
      if (here && (here.status === "done" || failed)) reports.push(here);
      else if (failed)
        reports.push({
          ...emptyFileReport(f.key, f.etag),
          status: "failed",
          error: `set aside after ${failed.attemptsMade} attempts: ${failed.failedReason}; \`augmenter files retry ${f.key}\` tries it again`,
        });
    }
    const aborted = [...open].filter((id) => this.abortedHere.has(id));
    const notStarted = [...open].filter((id) => !this.abortedHere.has(id));
    const keyOf = (id: string) => (mine.get(id) as ObjectInfo).key;
    return {
      reports,
      ignored: listing.ignored,
      notStarted: this.stopping ? notStarted.map(keyOf) : [],
      aborted: this.stopping ? aborted.map(keyOf) : [],
    };
  }

  /**
   * Takes out of `open` the jobs settled: completed or failed for good (into `setAside`). A done job
   * is removed from Redis, so "unknown" is asked of the ledger: a job lost with the queue (Redis
   * flushed, a failover without persistence) is enqueued again rather than counted as done.
   */
  private async settled(
    open: Set<string>,
    setAside: Map<string, Job<FileJobData>>,
    files: ReadonlyMap<string, ObjectInfo>,
  ): Promise<void> {
    const ids = [...open];
    for (let at = 0; at < ids.length; at += STATE_LOOKUPS_AT_ONCE) {
      const part = ids.slice(at, at + STATE_LOOKUPS_AT_ONCE);
      // Asked together (one connection: pipelined), answered in order; a big run's first check
      // before its worker starts takes a round trip per batch, not per file.
      const states = await Promise.all(part.map((id) => this.q.queue.getJobState(id)));
      for (const [k, id] of part.entries()) await this.settle(id, states[k], open, setAside, files);
    }
  }

  /** One file's part of {@link settled}, given its job's state. */
  private async settle(
    id: string,
    state: Awaited<ReturnType<Queue["getJobState"]>> | undefined,
    open: Set<string>,
    setAside: Map<string, Job<FileJobData>>,
    files: ReadonlyMap<string, ObjectInfo>,
  ): Promise<void> {
    if (state === "completed") open.delete(id);
    else if (state === "unknown") {
      const f = files.get(id);
      if (!f || (await this.discovery.isDone(f.key, f.etag))) open.delete(id);
      else if (!this.stopping) await this.enqueuer.addAll([f]);
    } else if (state === "failed") {
      open.delete(id);
      const job = await this.q.queue.getJob(id);
      if (job) setAside.set(id, job);
    }
  }

  /** One scanner tick: the lease holder lists and tops the queue up; every worker updates the backlog gauge. */
  private async tick(): Promise<void> {
    const backlog = await this.enqueuer.backlog();
    this.metrics.backlog.set(backlog);
    // Scan only once the backlog has fallen to half of QUEUE_MAX_WAITING: a deep queue needs no
    // listing of the raw prefix, and topping it up by a few files a tick would list it each tick.
    if (backlog <= this.o.maxWaiting / 2 && (await this.lease.hold())) {
      const listing = await this.discovery.list();
      noteIgnored(listing.ignored, this.reportedIgnored, this.metrics, this.log);
      const offered = await this.enqueuer.addBounded(listing.pending, backlog);
      this.log.debug({ pending: listing.pending.length, offered, backlog }, "scanned the raw prefix");
    }
    this.ready = true;
  }

  async serve(work: FileWork): Promise<void> {
    const worker = await this.startWorker(work);
    while (!this.stopping) {
      try {
        await this.tick();
      } catch (err) {
        this.log.error(
          { error: (err as Error).message },
          "scanning failed; retrying after the poll interval",
        );
      }
      if (!this.stopping) await this.pollWait.sleep(this.o.pollIntervalMs);
      this.fillAhead();
    }
    await this.lease.free().catch(() => {});
    await this.closeAhead(worker);
    await worker.close();
  }

  /** Takes no more jobs ahead, and waits for those taken to be completed, failed or handed back. */
  private async closeAhead(worker: Worker<FileJobData> | undefined): Promise<void> {
    this.aheadClosed = true;
    // BullMQ takes no new job meanwhile (its own in flight go on; pause does not wait for them).
    await worker?.pause(true).catch(() => {});
    // Bounded like the worker's own jobs: files are aborted at the shutdown grace, and the
    // process exits shortly after it whatever Redis does.
    while (this.ahead.size > 0) await Promise.allSettled([...this.ahead]);
  }

  stop(): void {
    this.stopping = true;
    this.markStopped();
    this.pollWait.interrupt();
  }

  async close(): Promise<void> {
    await this.worker?.close(true).catch(() => {});
    await this.q.close();
  }
}
