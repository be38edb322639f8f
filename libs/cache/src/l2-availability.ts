/**
 * Whether the shared store (L2) answers, as seen by one process.
 *
 * States and transitions:
 * - UP: calls go through. A caller whose call failed reports it with `failed()`: DOWN, announced
 *   with onDown at most once per `quietMs` (an L2 that answers the read probe but refuses writes
 *   relapses every probe); an outage kept quiet that lasts `quietMs` is announced then. onUp
 *   follows an announced outage only.
 * - DOWN: callers wait in `whenUp()`; a probe (one small read) runs every `probeMs`. The first
 *   probe that succeeds: UP, and every waiter wakes. `close()` in either state: CLOSED.
 * - CLOSED: waiters and later callers of `whenUp()` are rejected; no probe runs.
 *
 * Why wait instead of failing: a file whose pairs cannot be read or stored is not a bad file,
 * and a model answer that cannot be stored would be paid for again. While L2 is away the
 * service keeps what it has done and resumes where it stopped.
 */
export interface L2AvailabilityEvents {
  /** Once per outage, with the error that began it. */
  onDown?(error: Error): void;
  /** Once per outage, when it ends, with how long it lasted. */
  onUp?(downMs: number): void;
}

export class L2Availability {
  private downSince: number | undefined;
  private lastAnnouncedAt = Number.NEGATIVE_INFINITY;
  private upAt = Number.NEGATIVE_INFINITY;
  /** Whether this outage was announced (onDown); a relapse soon after recovery is not. */
  private announced = false;
  private error: Error | undefined;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<{ resolve(): void; reject(e: Error): void }>();

  constructor(
    private readonly probe: () => Promise<unknown>,
    private readonly events: L2AvailabilityEvents = {},
    private readonly probeMs = 1_000,
    private readonly now: () => number = Date.now,
    private readonly quietMs = 30_000,
  ) {}

  get up(): boolean {
    return this.downSince === undefined && !this.closed;
  }

  /** When the current outage began (ms since the epoch), and its first error; undefined when up. */
  get outage(): { since: number; error: Error } | undefined {
    return this.downSince === undefined ? undefined : { since: this.downSince, error: this.error as Error };
  }

  failed(error: Error): void {
    if (this.closed || this.downSince !== undefined) return;
    this.downSince = this.now();
    this.error = error;
    // An L2 that answers reads (the probe) but refuses writes comes back and fails again every
    // probe: one announced outage per quiet period, not a pair of log lines a second.
    this.announced = false;
    this.maybeAnnounce();
    this.schedule();
  }

  /** Resolves at once when up, else when L2 answers again; rejects on close or abort. */
  whenUp(signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new Error("the cache is closed"));
    if (this.downSince === undefined) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const w = {
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject: (e: Error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(e);
        },
      };
      const onAbort = () => {
        this.waiters.delete(w);
        reject(new Error("aborted while waiting for the cache to come back"));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.add(w);
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    const err = new Error("the cache was closed while it was unreachable");
    for (const w of this.waiters) w.reject(err);
    this.waiters.clear();
  }

  /** When L2 last came back (ms since the epoch); -Infinity if it never went away. */
  get recoveredAt(): number {
    return this.upAt;
  }

  /** At most one announcement per `quietMs`, and none missed for an outage that lasts. */
  private maybeAnnounce(): void {
    if (this.announced || this.downSince === undefined) return;
    const now = this.now();
    if (now - this.lastAnnouncedAt < this.quietMs && now - this.downSince < this.quietMs) return;
    this.announced = true;
    this.lastAnnouncedAt = now;
    this.events.onDown?.(this.error as Error);
  }

  private schedule(): void {
    this.timer = setTimeout(() => void this.check(), this.probeMs);
    this.timer.unref?.();
  }

  private async check(): Promise<void> {
    if (this.closed) return;
    try {
      await this.probe();
    } catch {
      if (!this.closed) {
        this.maybeAnnounce(); // a relapse kept quiet, that has lasted: said now
        this.schedule();
      }
      return;
    }
    if (this.closed || this.downSince === undefined) return;
    const downMs = this.now() - this.downSince;
    this.downSince = undefined;
    this.error = undefined;
    this.upAt = this.now();
    if (this.announced) this.events.onUp?.(downMs);
    for (const w of this.waiters) w.resolve();
    this.waiters.clear();
  }
}
