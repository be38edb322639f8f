/**
 * Liveness as `/healthz` reports it: the process is not stuck. A timer ticks every `everyMs`;
 * a tick that comes late by more than `stuckMs` means the event loop was blocked that long
 * (a CPU-bound loop, a synchronous call that hung), and the next /healthz says so. A loop that
 * stays blocked cannot answer at all, which the prober's timeout reports. Dependencies are not
 * looked at: restarting a process because S3 is away would not bring S3 back.
 */
export class EventLoopWatch {
  private lastTick: number;
  private lastLagMs = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly everyMs = 1_000,
    private readonly stuckMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    this.lastTick = this.now();
    this.timer = setInterval(() => this.tick(), everyMs);
    this.timer.unref();
  }

  /** What the timer measured; exposed for tests with a fake clock. */
  tick(): void {
    const t = this.now();
    this.lastLagMs = Math.max(0, t - this.lastTick - this.everyMs);
    this.lastTick = t;
  }

  report(): { alive: boolean; eventLoopLagMs: number; reason?: string } {
    const alive = this.lastLagMs <= this.stuckMs;
    return {
      alive,
      eventLoopLagMs: this.lastLagMs,
      ...(alive ? {} : { reason: `the event loop was blocked for ${this.lastLagMs} ms` }),
    };
  }

  close(): void {
    clearInterval(this.timer);
  }
}
