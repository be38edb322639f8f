import { describe, expect, it } from "vitest";
import { emptyFileReport, type FileReport } from "../pipeline/file-report";
import { formatSummary, totalsOf, type RunReport } from "./run-report";

describe("totalsOf", () => {
  it("sums every per-file counter and timing, and counts failed files", () => {
    const a = {
      ...emptyFileReport("a", "1"),
      records: 3,
      outputLines: 2,
      deadLetters: 1,
      distinctPairs: 2,
      l1Hits: 5,
      modelPairs: 1,
      bytesIn: 10,
    };
    a.timings = { ...a.timings, s3ReadMs: 1.5, cacheWriteMs: 2, modelCallMs: 3 };
    const b = {
      ...emptyFileReport("b", "2"),
      status: "failed" as const,
      records: 4,
      outputLines: 4,
      nullSeniority: 1,
      distinctPairs: 3,
      l2Hits: 2,
      joinedPairs: 2,
      bytesOut: 7,
    };
    b.timings = { ...b.timings, s3ReadMs: 0.5, modelWaitMs: 4, cacheReadMs: 1 };
    expect(totalsOf([a, b])).toEqual({
      files: 2,
      failedFiles: 1,
      distinctPairsPerFileSum: 5,
      records: 7,
      outputLines: 6,
      deadLetters: 1,
      nullSeniority: 1,
      l1Hits: 5,
      l2Hits: 2,
      modelPairs: 1,
      joinedPairs: 2,
      bytesIn: 10,
      bytesOut: 7,
      spilledBytes: 0,
      s3ReadMs: 2,
      s3WriteMs: 0,
      cacheReadMs: 1,
      cacheWriteMs: 2,
      modelWaitMs: 4,
      modelCallMs: 3,
    });
  });
});

describe("formatSummary", () => {
  const report = (over: Partial<RunReport>, files: FileReport[]): RunReport => ({
    startedAt: "2024-07-15T00:00:00.000Z",
    finishedAt: "2024-07-15T00:00:10.000Z",
    wallSeconds: 10,
    cpuSeconds: 1,
    peakRssBytes: 100 * 1048576,
    ignoredKeys: [],
    files,
    totals: totalsOf(files),
    model: { rpcs: 0, pairsSent: 0, failedRpcs: 0, retries: 0, callMs: 0, pairsPerSecond: 0 },
    cache: { l2: "memory", l1Entries: 0, writeMs: 0, writeErrors: 0 },
    notProcessed: [],
    ...over,
  });
  const key = (i: number) => `${1721000000 + i}.jsonl`;
  const done = (i: number) => emptyFileReport(key(i), "e");

  it("a complete run prints no interruption line and names no file as left", () => {
    const text = formatSummary(report({}, [done(0), done(1)]));
    expect(text).toMatch(/^files\s+2 done, 0 failed, 0 keys ignored$/m);
    expect(text).not.toMatch(/INTERRUPTED|not started|not processed/);
  });

  it("an interrupted run names the files never started and those aborted in flight", () => {
    const aborted = { ...done(4), status: "failed" as const, error: "aborted: the service is shutting down" };
    const notStarted = [5, 6, 7, 8, 9].map(key);
    const text = formatSummary(
      report(
        {
          interrupted: { signal: "SIGINT", notStarted, aborted: [key(4)] },
          notProcessed: [key(4), ...notStarted],
        },
        [done(0), done(1), done(2), done(3), aborted],
      ),
    );
    expect(text).toMatch(/^files\s+4 done, 1 failed, 5 not started, 0 keys ignored$/m);
    expect(text.split("\n").at(-1)).toBe(
      "INTERRUPTED by SIGINT: 6 of 10 pending files not processed (1 aborted in flight): " +
        "1721000004.jsonl, 1721000005.jsonl, 1721000006.jsonl, 1721000007.jsonl, 1721000008.jsonl, " +
        "1721000009.jsonl (run again to finish them)",
    );
  });

  it("a big backlog lists the first 10 keys and counts the rest", () => {
    const notStarted = Array.from({ length: 1234 }, (_, i) => key(i + 1));
    const text = formatSummary(
      report({ interrupted: { signal: "SIGTERM", notStarted, aborted: [] }, notProcessed: notStarted }, [
        done(0),
      ]),
    );
    const last = text.split("\n").at(-1) ?? "";
    expect(last).toMatch(
      /^INTERRUPTED by SIGTERM: 1,234 of 1,235 pending files not processed: 1721000001\.jsonl, /,
    );
    expect(last).toContain("1721000010.jsonl and 1,224 more (run again to finish them)");
    expect(last).not.toContain("1721000011.jsonl");
  });

  it("stopped after the last file finished: says nothing was left", () => {
    const text = formatSummary(
      report({ interrupted: { signal: "SIGTERM", notStarted: [], aborted: [] } }, [done(0)]),
    );
    expect(text.split("\n").at(-1)).toBe(
      "INTERRUPTED by SIGTERM: every pending file was processed before the run stopped",
    );
  });

  it("records add up when files fail: a failed file's records are their own term", () => {
    const ok = { ...done(0), records: 20_000, outputLines: 19_990, deadLetters: 10, nullSeniority: 3 };
    // A file that failed half way: its lines were read and resolved, never published.
    const bad = {
      ...done(1),
      status: "failed" as const,
      records: 20_000,
      outputLines: 12_000,
      error: "boom",
    };
    const text = formatSummary(report({}, [ok, bad]));
    expect(text).toMatch(
      /^records\s+40,000 = 19,990 written \+ 10 dead-lettered \+ 20,000 in failed files \(not written\) \(3 with seniority null\)$/m,
    );
    expect(text).toMatch(/^failed files:\n {2}1721000001\.jsonl: boom$/m);
  });

  it("an unreachable model: the pairs sent count every attempt, and the failed calls are named", () => {
    const model = {
      rpcs: 9,
      pairsSent: 5_896,
      failedRpcs: 9,
      retries: 8,
      callMs: 900,
      pairsPerSecond: 589.6,
    };
    const text = formatSummary(report({ model }, [done(0)]));
    expect(text).toMatch(
      /^model\s+5,896 pairs sent in 9 calls \(590 pairs\/s\), 8 retries, 9 calls failed; 0 lookups joined a pending pair$/m,
    );
  });
});
