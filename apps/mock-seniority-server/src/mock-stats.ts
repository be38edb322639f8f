import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { collectedCounter } from "@rl/metrics";
import type { MalformKind } from "./fault-injector";

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface MockStatsSnapshot {
  rpcs: number;
  pairsReceived: number;
  distinctPairs: number;
  /** Pairs whose exact (company, title) had been received before: the number to keep at zero. */
  pairsReceivedMoreThanOnce: number;
  pairsAnswered: number;
  queueDepthPairs: number;
  queueDepthBatches: number;
  maxQueueDepthPairs: number;
  injectedErrors: number;
  malformedResponses: Record<MalformKind, number>;
  rejected: number;
  latency: LatencySummary;
  /** Pairs answered per second between the first RPC received and the last answer sent. */
  answeredPairsPerSecond: number;
  /**
   * Pairs answered in each whole second since the first RPC was received (index 0 is its first
   * second): the rate the model delivered, on its own clock, for charts over fixed windows.
   */
  answeredBySecond: number[];
  since: string;
  /** This process's own footprint (the whole process, not just since the last reset). */
  process: { cpuSeconds: number; rssBytes: number; peakRssBytes: number };
}

const RING = 10_000;

function processFootprint() {
  const cpu = process.cpuUsage();
  return {
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    rssBytes: process.memoryUsage.rss(),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

/**
 * What the mock saw. Distinct pairs are tracked by exact text, so the duplicate count is exact
 * (memory grows with distinct pairs: about 100 bytes each).
 */
export class MockStats {
  readonly registry = new Registry();
  private seen = new Set<string>();
  private counts = this.zero();
  private latencies = new Float64Array(RING);
  private latencyCount = 0;
  private firstRpcAt = 0;
  private lastAnswerAt = 0;
  private answeredBySecond: number[] = [];
  private since = new Date();
  private readonly histogram: Histogram;

  constructor(private readonly queueDepth: () => { pairs: number; batches: number; maxPairs: number }) {
    // prom-client calls collect() with the metric as `this`, so the readers are arrows over the stats.
    const distinct = () => this.seen.size;
    const malformed = () => this.counts.malformed;
    const depth = () => this.queueDepth().pairs;
    const counter = (name: string, help: string, read: () => number) =>
      collectedCounter(this.registry, name, help, read);
    counter("mock_seniority_rpcs_total", "InferSeniority RPCs received", () => this.counts.rpcs);
    counter("mock_seniority_pairs_received_total", "Pairs received", () => this.counts.pairsReceived);
    counter(
      "mock_seniority_pairs_received_more_than_once_total",
      "Pairs received whose exact text had been received before",
      () => this.counts.pairsReceivedMoreThanOnce,
    );
    counter(
      "mock_seniority_pairs_answered_total",
      "Pairs answered with a result",
      () => this.counts.pairsAnswered,
    );
    counter(
      "mock_seniority_injected_errors_total",
      "RPCs answered with an injected error",
      () => this.counts.injectedErrors,
    );
    counter(
      "mock_seniority_rejected_total",
      "RPCs rejected because the queue was full",
      () => this.counts.rejected,
    );
    new Counter({
      name: "mock_seniority_malformed_responses_total",
      help: "Responses deliberately malformed",
      labelNames: ["kind"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [kind, n] of Object.entries(malformed())) this.inc({ kind }, n);
      },
    });
    new Gauge({
      name: "mock_seniority_distinct_pairs",
      help: "Distinct pairs received",
      registers: [this.registry],
      collect() {
        this.set(distinct());
      },
    });
    new Gauge({
      name: "mock_seniority_queue_depth_pairs",
      help: "Pairs admitted and not yet answered",
      registers: [this.registry],
      collect() {
        this.set(depth());
      },
    });
    this.histogram = new Histogram({
      name: "mock_seniority_rpc_duration_seconds",
      help: "Time from receiving an RPC to answering it",
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [this.registry],
    });
  }

  private zero() {
    return {
      rpcs: 0,
      pairsReceived: 0,
      pairsReceivedMoreThanOnce: 0,
      pairsAnswered: 0,
      injectedErrors: 0,
      rejected: 0,
      malformed: { missing: 0, duplicate: 0, unknown: 0, "out-of-range": 0 } as Record<MalformKind, number>,
    };
  }

  received(batch: ReadonlyArray<{ company: string; title: string }>): void {
    if (this.counts.rpcs === 0) this.firstRpcAt = performance.now();
    this.counts.rpcs += 1;
    this.counts.pairsReceived += batch.length;
    for (const { company, title } of batch) {
      // Length-prefixed: pairs that differ only in where a NUL sits are different pairs.
      const key = `${company.length}:${company}${title}`;
      if (this.seen.has(key)) this.counts.pairsReceivedMoreThanOnce += 1;
      else this.seen.add(key);
    }
  }

  answered(pairs: number, latencyMs: number): void {
    this.counts.pairsAnswered += pairs;
    this.lastAnswerAt = performance.now();
    // Counts reset while calls were in flight: the clock starts at the first answer since.
    if (this.firstRpcAt === 0) this.firstRpcAt = this.lastAnswerAt;
    const second = Math.max(0, Math.floor((this.lastAnswerAt - this.firstRpcAt) / 1000));
    while (this.answeredBySecond.length <= second) this.answeredBySecond.push(0);
    this.answeredBySecond[second] = (this.answeredBySecond[second] ?? 0) + pairs;
    this.observe(latencyMs);
  }

  failed(kind: "error" | "rejected", latencyMs: number): void {
    if (kind === "error") this.counts.injectedErrors += 1;
    else this.counts.rejected += 1;
    this.observe(latencyMs);
  }

  malformed(kind: MalformKind): void {
    this.counts.malformed[kind] += 1;
  }

  private observe(ms: number): void {
    this.latencies[this.latencyCount % RING] = ms;
    this.latencyCount += 1;
    this.histogram.observe(ms / 1000);
  }

  private latencySummary(): LatencySummary {
    const n = Math.min(this.latencyCount, RING);
    const sorted = Array.from(this.latencies.subarray(0, n)).sort((a, b) => a - b);
    const q = (p: number) => (n === 0 ? 0 : (sorted[Math.min(n - 1, Math.floor(p * n))] ?? 0));
    return {
      count: this.latencyCount,
      p50Ms: q(0.5),
      p90Ms: q(0.9),
      p99Ms: q(0.99),
      maxMs: n === 0 ? 0 : (sorted[n - 1] ?? 0),
    };
  }

  snapshot(): MockStatsSnapshot {
    const depth = this.queueDepth();
    const elapsed = (this.lastAnswerAt - this.firstRpcAt) / 1000;
    return {
      rpcs: this.counts.rpcs,
      pairsReceived: this.counts.pairsReceived,
      distinctPairs: this.seen.size,
      pairsReceivedMoreThanOnce: this.counts.pairsReceivedMoreThanOnce,
      pairsAnswered: this.counts.pairsAnswered,
      queueDepthPairs: depth.pairs,
      queueDepthBatches: depth.batches,
      maxQueueDepthPairs: depth.maxPairs,
      injectedErrors: this.counts.injectedErrors,
      malformedResponses: { ...this.counts.malformed },
      rejected: this.counts.rejected,
      latency: this.latencySummary(),
      answeredPairsPerSecond: elapsed > 0 ? this.counts.pairsAnswered / elapsed : 0,
      answeredBySecond: [...this.answeredBySecond],
      since: this.since.toISOString(),
      process: processFootprint(),
    };
  }

  reset(): void {
    this.seen = new Set();
    this.counts = this.zero();
    this.latencyCount = 0;
    this.firstRpcAt = 0;
    this.lastAnswerAt = 0;
    this.answeredBySecond = [];
    this.since = new Date();
    this.histogram.reset();
  }
}
