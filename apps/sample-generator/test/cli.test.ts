import { execFile } from "node:child_process";
import { text } from "node:stream/consumers";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { S3ObjectStore, createS3Client } from "@rl/s3/s3-object-store";
import { startLocalS3Server } from "@rl/s3/testing";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const run = promisify(execFile);

describe("sample-generator CLI", () => {
  it("writes to an S3 prefix through a custom endpoint and prints a JSON summary", async () => {
    await using s3 = await startLocalS3Server({ buckets: ["rl-data"] });
    const { stdout } = await run(
      `${root}node_modules/.bin/tsx`,
      [
        main,
        "--total",
        "3000",
        "--split=1000",
        "--out",
        "s3://rl-data/job-postings-raw/",
        "--s3-endpoint",
        s3.endpoint,
        "--seed",
        "abc",
        "--json",
      ],
      {
        cwd: root,
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: "S3RVER",
          AWS_SECRET_ACCESS_KEY: "S3RVER",
          AWS_REGION: "us-east-1",
        },
      },
    );
    const summary = JSON.parse(stdout) as { files: number; records: number; firstKey: string; out: string };
    expect(summary).toMatchObject({
      files: 3,
      records: 3000,
      firstKey: "1721183880.jsonl",
      out: "s3://rl-data/job-postings-raw/",
    });
    const store = new S3ObjectStore(createS3Client({ endpoint: s3.endpoint, credentials: s3.credentials }), {
      bucket: "rl-data",
      prefix: "job-postings-raw/",
    });
    const keys = [];
    for await (const o of store.list()) keys.push(o.key);
    expect(keys).toEqual(["1721183880.jsonl", "1721183940.jsonl", "1721184000.jsonl"]);
    expect((await text(await store.get("1721183940.jsonl"))).split("\n")).toHaveLength(1001);
  });

  it("exits 2 naming the bad flag", async () => {
    const err = await run(`${root}node_modules/.bin/tsx`, [main, "--total", "-5", "--out", "ftp://x"], {
      cwd: root,
    }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toContain(
      '--total (or GEN_TOTAL): expected an integer >= 1, got "-5"',
    );
  });
});
