import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mockStats, readJson, root, scenario, startEnv, verifySeeded, type TestEnvironment } from "./env";

const run = promisify(execFile);
let env: TestEnvironment;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => env.stop());

describe("the whole flow, as a user runs it", () => {
  it("generator CLI → S3 → augmenter process → every line verified; model pairs = distinct pairs, none twice", async () => {
    const s = await scenario(env);
    const processEnv = {
      ...process.env,
      S3_ENDPOINT: env.s3.endpoint,
      AWS_ACCESS_KEY_ID: env.s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: env.s3.credentials.secretAccessKey,
      AWS_REGION: "us-east-1",
    };
    await run(
      "npm",
      [
        "run",
        "-s",
        "sample-generator",
        "--",
        "--total",
        "30000",
        "--split",
        "5555",
        "--seed",
        "user",
        "--out",
        s.uri("raw"),
      ],
      { cwd: root, env: processEnv },
    );
    env.model.resetStats();
    // A directory that does not exist yet, as on a fresh clone: the augmenter creates it.
    const report = `${root}.data/e2e-${s.id}/report.json`;
    const { stdout } = await run(
      "npm",
      ["run", "-s", "augmenter", "--", "run", "--report", report, "--http-port", "-1"],
      {
        cwd: root,
        env: {
          ...processEnv,
          RAW_URI: s.uri("raw"),
          MOD_URI: s.uri("mod"),
          ERRORS_URI: s.uri("errors"),
          SENIORITY_GRPC_ADDR: env.model.address,
          CACHE_URL: env.redisUrl,
          MODEL_VERSION: `user-${s.id}`,
          MODEL_RATE: "100000",
        },
      },
    );
    expect(stdout).toMatch(/files\s+6 done, 0 failed/);
    const r = await readJson<{ totals: { records: number; outputLines: number; deadLetters: number } }>(
      report,
    );
    expect(r.totals).toMatchObject({ records: 30_000, outputLines: 30_000, deadLetters: 0 });
    const v = await verifySeeded(s);
    expect(v).toMatchObject({ files: 6, linesChecked: 30_000, mismatches: [], missingOutputs: [] });
    const stats = mockStats(env);
    expect(stats.pairsReceived).toBe(v.distinctPairs);
    expect(stats.pairsReceivedMoreThanOnce).toBe(0);
  }, 120_000);
});
