import { describe, expect, it } from "vitest";
import { emptyFileReport } from "../pipeline/file-report";
import { totalsOf } from "./run-report";

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
      s3ReadMs: 2,
      s3WriteMs: 0,
      cacheReadMs: 1,
      cacheWriteMs: 2,
      modelWaitMs: 4,
      modelCallMs: 3,
    });
  });
});
