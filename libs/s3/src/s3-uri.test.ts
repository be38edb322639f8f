import { describe, expect, it } from "vitest";
import { assertSafeKey } from "./object-store";
import { formatS3Uri, parseS3Uri } from "./s3-uri";

describe("parseS3Uri", () => {
  it("parses bucket and prefix, normalising the trailing slash", () => {
    expect(parseS3Uri("s3://rl-data/job-postings-raw/")).toEqual({
      bucket: "rl-data",
      prefix: "job-postings-raw/",
    });
    expect(parseS3Uri("s3://rl-data/a/b")).toEqual({ bucket: "rl-data", prefix: "a/b/" });
    expect(parseS3Uri("s3://rl-data")).toEqual({ bucket: "rl-data", prefix: "" });
    expect(formatS3Uri({ bucket: "b1b", prefix: "p/" }, "k.jsonl")).toBe("s3://b1b/p/k.jsonl");
  });

  it("rejects what is not an S3 URI, with the reason", () => {
    expect(() => parseS3Uri("http://x/y")).toThrow(/expected an S3 URI like s3:\/\/bucket\/prefix\//);
    expect(() => parseS3Uri("s3://Bad_Bucket/x")).toThrow(/invalid bucket name "Bad_Bucket"/);
    expect(() => parseS3Uri("s3://ok-bucket/a/../b")).toThrow(/"\." or "\.\." path segment/);
  });
});

describe("assertSafeKey", () => {
  it.each(["../x", "a/../../x", "/abs", "a//b", "", "a\u0000b", "./a"])("rejects %j", (key) => {
    expect(() => assertSafeKey(key, "s3://b/p/")).toThrow(/unsafe object key/);
  });
  it.each(["1721183934.jsonl", "sub/dir/file name (1).jsonl.gz", "ünïcödé.jsonl"])("accepts %j", (key) => {
    expect(() => assertSafeKey(key, "s3://b/p/")).not.toThrow();
  });
});
