/**
 * Liveness as `/healthz` reports it: the process is not stuck. A timer ticks every `everyMs`;
 * a tick that comes late by more than `stuckMs` means the event loop was blocked that long
 * (a CPU-bound loop, a synchronous call that hung), and the next /healthz says so. A loop that
 * stays blocked cannot answer at all, which the prober's timeout reports. Dependencies are not
 * looked at: restarting a process because S3 is away would not bring S3 back.
 */
export class EventLoopWatch {
  private lastTick: number;
  /** Recent ticks' lags, newest last: a prober every 10 s must not miss a blocked second. */
  private readonly lags: Array<{ at: number; lagMs: number }> = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly everyMs = 1_000,
    private readonly stuckMs = 10_000,
    private readonly now: () => number = Date.now,
    private readonly windowMs = 30_000,
  ) {
    this.lastTick = this.now();
    this.timer = setInterval(() => this.tick(), everyMs);
    this.timer.unref();
  }

  /** What the timer measured; exposed for tests with a fake clock. */
  tick(): void {
    const t = this.now();
    this.lags.push({ at: t, lagMs: Math.max(0, t - this.lastTick - this.everyMs) });
    while (this.lags.length > 0 && (this.lags[0]?.at ?? t) < t - this.windowMs) this.lags.shift();
    this.lastTick = t;
  }

  /** The largest lag of the last `windowMs`: a block between two probes is still seen. */
  report(): { alive: boolean; eventLoopLagMs: number; reason?: string } {
    const lagMs = this.lags.reduce((most, l) => Math.max(most, l.lagMs), 0);
    const alive = lagMs <= this.stuckMs;
    return {
      alive,
      eventLoopLagMs: lagMs,
      ...(alive ? {} : { reason: `the event loop was blocked for ${lagMs} ms` }),
    };
  }

  close(): void {
    clearInterval(this.timer);
  }
}
