import { describe, expect, it } from "vitest";
import { fileJobId, fileQueueName, isQueueUrl } from "./file-queue";
import { isPermanentFailure } from "./permanent-failure";
import { retryDelay } from "./queue-source";

describe("file queue naming", () => {
  it("a job id per (key, ETag): deterministic, never an integer, never a ':'", () => {
    expect(fileJobId("a:b.jsonl", "e1")).toBe(fileJobId("a:b.jsonl", "e1"));
    expect(fileJobId("a:b.jsonl", "e1")).not.toBe(fileJobId("a:b.jsonl", "e2"));
    // Key and ETag joined without a separator would make these two one id.
    expect(fileJobId("1.jsonl", "12")).not.toBe(fileJobId("1.jsonl1", "2"));
    for (const id of [fileJobId("1721183880", "1"), fileJobId("x:y:z.jsonl.gz", "abc-3")]) {
      expect(id).not.toContain(":");
      expect(`${Number.parseInt(id, 10)}`).not.toBe(id);
    }
  });

  it("one queue per (raw prefix, output prefix), its name free of ':'", () => {
    const a = fileQueueName({ rawLocation: "s3://b/raw/", modLocation: "s3://b/mod/" });
    expect(a).toMatch(/^files-[0-9a-f]{12}$/);
    expect(fileQueueName({ rawLocation: "s3://b/raw/", modLocation: "s3://b/mod2/" })).not.toBe(a);
  });

  it("lives only on Redis or Redis Cluster", () => {
    for (const url of [
      "redis://h:6379",
      "rediss://h:6380",
      "redis-cluster://h:1,h:2",
      "rediss-cluster://h:1",
    ])
      expect(isQueueUrl(url)).toBe(true);
    for (const url of ["lmdb:.data/cache", "memory:", "memcached://h:11211"])
      expect(isQueueUrl(url)).toBe(false);
  });
});

describe("what a failure leads to", () => {
  it("corrupt gzip can never succeed; other failures may", () => {
    expect(isPermanentFailure({ status: "failed", error: "corrupt gzip: incorrect header check" })).toBe(
      true,
    );
    expect(isPermanentFailure({ status: "failed", error: "model call failed: UNAVAILABLE" })).toBe(false);
    expect(isPermanentFailure({ status: "done" })).toBe(false);
  });

  it("retries wait FILE_RETRY_BASE_MS doubling, at most 10 minutes", () => {
    expect([1, 2, 3, 4].map((n) => retryDelay(5_000, n))).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(retryDelay(200, 99)).toBe(600_000);
  });
});
