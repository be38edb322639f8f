/**
 * Whether the dependencies this process needs right now answer: what `/readyz` says.
 *
 * Each dependency is one cheap probe (the model's gRPC channel connects, one L2 read, a
 * one-key listing of the raw and of the mod location). Nothing probes in the background: a
 * round runs when someone asks (a `/readyz` request, a `/metrics` scrape), all probes at once,
 * each cut at `timeoutMs`. Askers within `minIntervalMs` of a round get its answer, and
 * concurrent askers share one round, so a busy prober cannot turn into load on S3 or the model.
 *
 * Per dependency, two states:
 * - UP: its last probe answered.
 * - DOWN: its last probe failed (or timed out), `since` the first failure of the unbroken run
 *   (or the earlier moment the probe itself reports, e.g. when L2's own tracker saw the outage
 *   first), with the latest reason. One probe that answers: UP. Recovery therefore shows at the
 *   first round after the dependency is back: within `minIntervalMs` of the next ask.
 *
 * The process is ready when every dependency is UP and `started()` holds (the pending files
 * have been listed once).
 */

/** What a probe reports when its dependency does not answer; `since` in ms since the epoch. */
export interface Outage {
  reason: string;
  since?: number;
}

export interface Dependency {
  /** As /readyz names it: model, l2, raw, mod. */
  name: string;
  /** Its address or location, for a reason the probe itself could not give (a timeout). */
  where: string;
  /** Resolves to undefined when the dependency answers, else to (or rejects with) the cause. */
  probe(signal: AbortSignal): Promise<Outage | undefined | void>;
}

export interface DownDependency {
  dependency: string;
  /** ISO 8601. */
  since: string;
  reason: string;
}

export interface ReadinessReport {
  ready: boolean;
  /** Present when something is down. */
  down?: DownDependency[];
  /** Present before the first listing of the raw location. */
  starting?: string;
}

export interface ReadinessOptions {
  /** A probe that has not answered by then counts as down. @default 2_000 */
  timeoutMs: number;
  /** Askers this soon after a round get its answer. @default 1_000 */
  minIntervalMs: number;
}

export const DEFAULT_READINESS_OPTIONS: ReadinessOptions = { timeoutMs: 2_000, minIntervalMs: 1_000 };

export class Readiness {
  private readonly down = new Map<string, { since: number; reason: string }>();
  private last: { at: number; report: ReadinessReport } | undefined;
  private round: Promise<ReadinessReport> | undefined;

  constructor(
    private readonly dependencies: readonly Dependency[],
    private readonly started: () => boolean,
    private readonly options: ReadinessOptions = DEFAULT_READINESS_OPTIONS,
    private readonly now: () => number = Date.now,
  ) {}

  get names(): string[] {
    return this.dependencies.map((d) => d.name);
  }

  check(): Promise<ReadinessReport> {
    if (this.last && this.now() - this.last.at < this.options.minIntervalMs)
      return Promise.resolve(this.last.report);
    this.round ??= this.probeAll().finally(() => (this.round = undefined));
    return this.round;
  }

  private async probeAll(): Promise<ReadinessReport> {
    const outages = await Promise.all(this.dependencies.map((d) => this.probeOne(d)));
    const at = this.now();
    this.dependencies.forEach((d, i) => {
      const outage = outages[i];
      if (!outage) return void this.down.delete(d.name);
      const since = outage.since ?? this.down.get(d.name)?.since ?? at;
      this.down.set(d.name, { since, reason: outage.reason });
    });
    const down = this.dependencies.flatMap((d) => {
      const o = this.down.get(d.name);
      return o ? [{ dependency: d.name, since: new Date(o.since).toISOString(), reason: o.reason }] : [];
    });
    const started = this.started();
    const report: ReadinessReport = {
      ready: started && down.length === 0,
      ...(down.length > 0 ? { down } : {}),
      ...(started ? {} : { starting: "no listing of pending files has completed yet" }),
    };
    this.last = { at, report };
    return report;
  }

  private async probeOne(d: Dependency): Promise<Outage | undefined> {
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<Outage>((resolve) => {
      timer = setTimeout(() => {
        abort.abort();
        resolve({ reason: `${d.where}: no answer within ${this.options.timeoutMs} ms` });
      }, this.options.timeoutMs);
    });
    const probed = d.probe(abort.signal).then(
      (o) => o ?? undefined,
      (err: unknown) => ({ reason: err instanceof Error ? err.message : String(err) }),
    );
    try {
      return await Promise.race([probed, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}
