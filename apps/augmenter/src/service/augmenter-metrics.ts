import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { collectedCounter } from "@rl/metrics";
import type { InferenceScheduler } from "../inference/inference-scheduler";
import type { FileReport } from "../pipeline/file-report";
import type { Readiness } from "./readiness";

/** Prometheus metrics of one augmenter process, on its own registry. */
export class AugmenterMetrics {
  readonly registry = new Registry();
  private readonly c = (name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name: `augmenter_${name}`, help, labelNames, registers: [this.registry] });
  readonly files = this.c("files_total", "Files finished, by result", ["result"]);
  readonly records = this.c("records_total", "Input records read");
  readonly outputLines = this.c("output_lines_total", "Output lines written");
  readonly deadLetters = this.c("dead_letters_total", "Records dead-lettered");
  readonly nullSeniority = this.c(
    "null_seniority_total",
    "Postings written with seniority null, by reason (missing, empty, too-long, too-large)",
    ["reason"],
  );
  readonly l2Outages = this.c(
    "l2_outages_total",
    "Times the L2 cache stopped answering (model calls pause until it is back)",
  );
  readonly cacheHits = this.c("cache_hits_total", "Pair lookups answered by a cache tier", ["tier"]);
  readonly ignoredKeys = this.c(
    "ignored_keys_total",
    "Keys under the raw prefix that are not .jsonl or .jsonl.gz files",
  );
  readonly modelPairs = this.c("model_pairs_total", "Pairs sent to the model (retries included)");
  readonly modelRpcs = this.c("model_rpcs_total", "Model calls, by result", ["result"]);
  readonly cacheWriteErrors = this.c("cache_write_errors_total", "L2 writes that failed (values kept in L1)");
  readonly setAside = this.c(
    "files_set_aside_total",
    "Inputs set aside after repeated failures until they are re-uploaded",
  );
  readonly batchSize = new Histogram({
    name: "augmenter_model_batch_pairs",
    help: "Pairs per model call",
    buckets: [1, 10, 50, 100, 250, 500, 750, 1000],
    registers: [this.registry],
  });
  readonly rpcSeconds = new Histogram({
    name: "augmenter_model_rpc_seconds",
    help: "Model call latency",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });
  readonly fileSeconds = new Histogram({
    name: "augmenter_file_seconds",
    help: "Time to process one file",
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly backlog = new Gauge({
    name: "augmenter_backlog_files",
    help: "Files pending at the last listing",
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: "augmenter_files_in_flight",
    help: "Files being processed",
    registers: [this.registry],
  });

  readonly fileDistinctPairs = new Histogram({
    name: "augmenter_file_distinct_pairs",
    help: "Distinct (company, title) pairs per file",
    buckets: [10, 100, 500, 1000, 2000, 5000, 10000, 50000],
    registers: [this.registry],
  });
  readonly cacheMisses = this.c(
    "cache_misses_total",
    "Pair lookups neither tier answered: sent to the model, or joined a call already pending",
  );
  readonly modelRateLimit = new Gauge({
    name: "augmenter_model_rate_limit_pairs_per_second",
    help: "The model's sustainable rate this worker paces to (MODEL_RATE; shared by all workers)",
    registers: [this.registry],
  });

  constructor(
    sources: {
      scheduler?: () => InferenceScheduler | undefined;
      readiness?: () => Readiness | undefined;
    } = {},
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: "augmenter_" });
    const stats = () => sources.scheduler?.()?.stats();
    new Gauge({
      name: "augmenter_model_pending_pairs",
      help: "Pairs waiting on the model (queued or in flight)",
      registers: [this.registry],
      collect() {
        this.set(stats()?.pending ?? 0);
      },
    });
    // Totals kept by the scheduler, exposed as counters (rate() and resets work on them).
    const total = (name: string, help: string, read: () => number) =>
      collectedCounter(this.registry, name, help, read);
    // Scale-out: how often another worker's inference spared this one, and coordination trouble.
    total(
      "augmenter_pairs_resolved_by_other_workers_total",
      "Pairs this worker waited for while another worker inferred them",
      () => stats()?.remoteResolved ?? 0,
    );
    total(
      "augmenter_coordination_errors_total",
      "Coordination calls (Redis or the embedded record space) that failed; the work went on uncoordinated",
      () => stats()?.coordinationErrors ?? 0,
    );
    new Gauge({
      name: "augmenter_dependency_up",
      help: "1 while a dependency answers its readiness probe (model, l2, raw, mod), else 0",
      labelNames: ["dependency"],
      registers: [this.registry],
      async collect() {
        const readiness = sources.readiness?.();
        if (!readiness) return;
        const report = await readiness.check();
        const down = new Set((report.down ?? []).map((d) => d.dependency));
        for (const dependency of readiness.names) this.set({ dependency }, down.has(dependency) ? 0 : 1);
      },
    });
  }

  fileDone(r: FileReport): void {
    this.files.inc({ result: r.status });
    this.records.inc(r.records);
    this.outputLines.inc(r.outputLines);
    this.deadLetters.inc(r.deadLetters);
    for (const [reason, n] of Object.entries(r.nullSeniorityBy))
      if (n > 0) this.nullSeniority.inc({ reason }, n);
    this.cacheHits.inc({ tier: "l1" }, r.l1Hits);
    this.cacheHits.inc({ tier: "l2" }, r.l2Hits);
    this.cacheMisses.inc(r.modelPairs + r.joinedPairs);
    if (r.status === "done") this.fileDistinctPairs.observe(r.distinctPairs);
    this.fileSeconds.observe(r.timings.totalMs / 1000);
  }
}
