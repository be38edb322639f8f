import { Gauge, type Registry } from "prom-client";

/** The job states charted: every state a file's job can be in, read in one Redis round trip. */
export const QUEUE_STATES = [
  "waiting",
  "prioritized",
  "active",
  "delayed",
  "paused",
  "failed",
  "completed",
] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** The one thing the metrics ask of a BullMQ `Queue`. */
export interface JobCountsSource {
  readonly name: string;
  getJobCounts(...states: QueueState[]): Promise<Record<string, number>>;
}

export interface QueueMetricsOptions {
  /**
   * Longest wait for Redis at one scrape: a slow or unreachable Redis must not hang /metrics
   * (Prometheus would then lose every other series of the process too, its scrape timing out).
   * @default 1000
   */
  timeoutMs?: number;
}

type Read = { queue: string; counts: Record<string, number> } | { queue: string; failed: true };

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Adds `augmenter_queue_jobs{queue,state}` and `augmenter_queue_counts_read{queue}` to `registry`,
 * read from Redis when Prometheus scrapes rather than on a timer: a worker that nobody scrapes
 * asks Redis nothing. Every worker reports the same shared queue, so dashboards take `max by
 * (queue, state)`, never `sum`.
 *
 * Call once per registry with all of its queues (prom-client refuses a name registered twice).
 */
export function registerQueueMetrics(
  queues: readonly JobCountsSource[],
  registry: Registry,
  { timeoutMs = 1_000 }: QueueMetricsOptions = {},
): void {
  // Both gauges are collected concurrently at a scrape; they share its one read.
  let pending: Promise<Read[]> | undefined;
  const read = (): Promise<Read[]> =>
    (pending ??= Promise.all(
      queues.map((q) =>
        within(q.getJobCounts(...QUEUE_STATES), timeoutMs).then(
          (counts): Read => ({ queue: q.name, counts }),
          (): Read => ({ queue: q.name, failed: true }),
        ),
      ),
    ).finally(() => {
      pending = undefined;
    }));

  new Gauge({
    name: "augmenter_queue_jobs",
    help: "Jobs (files) in the BullMQ queue, by state, read from Redis at scrape time; shared by all workers",
    labelNames: ["queue", "state"],
    registers: [registry],
    async collect() {
      const reads = await read();
      // A queue Redis did not answer for has no series rather than stale ones.
      this.reset();
      for (const r of reads) {
        if ("failed" in r) continue;
        for (const state of QUEUE_STATES) this.set({ queue: r.queue, state }, r.counts[state] ?? 0);
      }
    },
  });
  new Gauge({
    name: "augmenter_queue_counts_read",
    help: `1 when the queue's job counts were read at this scrape, 0 when Redis did not answer within ${timeoutMs} ms`,
    labelNames: ["queue"],
    registers: [registry],
    async collect() {
      for (const r of await read()) this.set({ queue: r.queue }, "failed" in r ? 0 : 1);
    },
  });
}
