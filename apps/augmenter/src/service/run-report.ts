import type { SchedulerStats } from "../inference/scheduler-options";
import type { FileReport, FileTimings } from "../pipeline/file-report";

/** Per-file counters that a run's totals sum. */
const SUMMED_COUNTS = [
  "records",
  "outputLines",
  "deadLetters",
  "nullSeniority",
  "l1Hits",
  "l2Hits",
  "modelPairs",
  "joinedPairs",
  "bytesIn",
  "bytesOut",
  "spilledBytes",
] as const satisfies ReadonlyArray<keyof FileReport>;
/** Per-file timings that a run's totals sum (waits overlap across files, so sums can exceed wall time). */
const SUMMED_TIMINGS = [
  "s3ReadMs",
  "s3WriteMs",
  "cacheReadMs",
  "cacheWriteMs",
  "modelWaitMs",
  "modelCallMs",
] as const satisfies ReadonlyArray<keyof FileTimings>;

export type RunTotals = { files: number; failedFiles: number; distinctPairsPerFileSum: number } & Record<
  (typeof SUMMED_COUNTS)[number] | (typeof SUMMED_TIMINGS)[number],
  number
>;

/** The signals that stop a run; `main` maps them to exit codes 130 and 143. */
export type StopSignal = "SIGINT" | "SIGTERM";

export interface RunReport {
  startedAt: string;
  finishedAt: string;
  wallSeconds: number;
  cpuSeconds: number;
  peakRssBytes: number;
  ignoredKeys: string[];
  files: FileReport[];
  totals: RunTotals;
  model: {
    rpcs: number;
    pairsSent: number;
    failedRpcs: number;
    retries: number;
    /** Sum of model call durations (calls overlap, so this can exceed wall time). */
    callMs: number;
    /** Pairs sent per second of wall time while the run lasted. */
    pairsPerSecond: number;
  };
  cache: { l2: string; l1Entries: number; writeMs: number; writeErrors: number };
  /**
   * Present when the run was stopped (a signal, or `stop()` without one) before it had
   * finished: it took no new file from then on.
   */
  interrupted?: {
    signal?: StopSignal;
    /** Pending files never started (including files another worker held at the time). */
    notStarted: string[];
    /** Files in flight when the shutdown grace ran out; they are also in `files`, failed. */
    aborted: string[];
  };
  /** Pending files this run did not complete (`notStarted` + `aborted`), sorted; empty when it finished. */
  notProcessed: string[];
}

export function totalsOf(files: readonly FileReport[]): RunTotals {
  const t = { files: files.length, failedFiles: 0, distinctPairsPerFileSum: 0 } as RunTotals;
  for (const k of SUMMED_COUNTS) t[k] = 0;
  for (const k of SUMMED_TIMINGS) t[k] = 0;
  for (const f of files) {
    if (f.status === "failed") t.failedFiles += 1;
    t.distinctPairsPerFileSum += f.distinctPairs;
    for (const k of SUMMED_COUNTS) t[k] += f[k];
    for (const k of SUMMED_TIMINGS) t[k] += f.timings[k];
  }
  return t;
}

export function modelSection(s: SchedulerStats, wallSeconds: number): RunReport["model"] {
  return {
    rpcs: s.rpcs,
    pairsSent: s.pairsSent,
    failedRpcs: s.failedRpcs,
    retries: s.retries,
    callMs: s.modelMs,
    pairsPerSecond: wallSeconds > 0 ? s.pairsSent / wallSeconds : 0,
  };
}

const sum = (files: readonly FileReport[], k: "records" | "outputLines" | "deadLetters" | "nullSeniority") =>
  files.reduce((a, f) => a + f[k], 0);
const n = (v: number) => Math.round(v).toLocaleString("en-US");
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Keys the summary names before "and N more"; the JSON report lists them all. */
const LISTED_KEYS = 10;

function interruptedLine(r: RunReport): string | undefined {
  const i = r.interrupted;
  if (!i) return undefined;
  const by = `INTERRUPTED${i.signal ? ` by ${i.signal}` : ""}`;
  const left = r.notProcessed;
  if (left.length === 0) return `${by}: every pending file was processed before the run stopped`;
  const pending = new Set([...r.files.map((f) => f.key), ...left]).size;
  const shown = left.slice(0, LISTED_KEYS).join(", ");
  const more = left.length > LISTED_KEYS ? ` and ${n(left.length - LISTED_KEYS)} more` : "";
  const aborted = i.aborted.length ? ` (${n(i.aborted.length)} aborted in flight)` : "";
  return `${by}: ${n(left.length)} of ${n(pending)} pending files not processed${aborted}: ${shown}${more} (run again to finish them)`;
}

/** The end-of-run summary table for a terminal. */
export function formatSummary(r: RunReport): string {
  const t = r.totals;
  const done = r.files.filter((f) => f.status === "done");
  const failed = r.files.filter((f) => f.status !== "done");
  const perFile = done.length > 0 ? done.reduce((a, f) => a + f.timings.totalMs, 0) / done.length : 0;
  const rows: Array<[string, string]> = [
    [
      "files",
      `${n(t.files - t.failedFiles)} done, ${n(t.failedFiles)} failed, ${r.interrupted ? `${n(r.interrupted.notStarted.length)} not started, ` : ""}${n(r.ignoredKeys.length)} keys ignored`,
    ],
    [
      "records",
      `${n(t.records)} = ${n(sum(done, "outputLines"))} written + ${n(sum(done, "deadLetters"))} dead-lettered${
        t.failedFiles ? ` + ${n(sum(failed, "records"))} in failed files (not written)` : ""
      } (${n(sum(done, "nullSeniority"))} with seniority null)`,
    ],
    [
      "wall time",
      `${r.wallSeconds.toFixed(2)} s (${n(t.records / Math.max(r.wallSeconds, 1e-9))} records/s); ${s(perFile)} per file on average`,
    ],
    ["cache hits", `L1 ${n(t.l1Hits)}, L2 ${n(t.l2Hits)} (${r.cache.l2})`],
    [
      "model",
      // Every attempt counts: a failed call's pairs are sent again on each retry.
      `${n(r.model.pairsSent)} pairs sent in ${n(r.model.rpcs)} calls (${r.model.pairsPerSecond.toFixed(0)} pairs/s), ${n(r.model.retries)} retries, ${n(r.model.failedRpcs)} calls failed; ${n(t.joinedPairs)} lookups joined a pending pair`,
    ],
    ["time in cache reads", `${s(t.cacheReadMs)} (L2, summed over files)`],
    [
      "time in cache writes",
      `${s(r.cache.writeMs)} (L2)${r.cache.writeErrors ? `, ${r.cache.writeErrors} failed writes` : ""}`,
    ],
    ["time waiting on model", `${s(t.modelWaitMs)} (summed over files; calls took ${s(r.model.callMs)})`],
    ["time in S3 reads / writes", `${s(t.s3ReadMs)} / ${s(t.s3WriteMs)} (summed over files)`],
    ["CPU, peak RSS", `${r.cpuSeconds.toFixed(2)} s, ${(r.peakRssBytes / 1048576).toFixed(0)} MiB`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  const interrupted = interruptedLine(r);
  return [
    ...rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`),
    ...(failed.length ? ["failed files:", ...failed.map((f) => `  ${f.key}: ${f.error ?? "failed"}`)] : []),
    ...(interrupted ? [interrupted] : []),
  ].join("\n");
}
