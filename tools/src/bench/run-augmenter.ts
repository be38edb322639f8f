import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { stopChild } from "@rl/cache/testing";
import type { RunReport } from "augmenter";
import { augmenterBundle } from "../augmenter-bundle";

export interface AugmenterTarget {
  s3: { endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  modelAddress: string;
  modelRate: number;
  cacheUrl: string;
  modelVersion: string;
  prefix: string;
  modPrefix?: string;
  extraEnv?: Record<string, string>;
}

function augmenterEnv(t: AugmenterTarget): NodeJS.ProcessEnv {
  return {
    ...process.env,
    RAW_URI: `s3://rl-data/${t.prefix}/raw/`,
    MOD_URI: `s3://rl-data/${t.prefix}/${t.modPrefix ?? "mod"}/`,
    ERRORS_URI: `s3://rl-data/${t.prefix}/errors/`,
    S3_ENDPOINT: t.s3.endpoint,
    AWS_ACCESS_KEY_ID: t.s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: t.s3.credentials.secretAccessKey,
    AWS_REGION: "us-east-1",
    SENIORITY_GRPC_ADDR: t.modelAddress,
    CACHE_URL: t.cacheUrl,
    MODEL_VERSION: t.modelVersion,
    MODEL_RATE: String(t.modelRate),
    HTTP_PORT: "-1",
    LOG_LEVEL: "warn",
    NODE_NO_WARNINGS: "1",
    ...t.extraEnv,
  };
}

/** `augmenter run` from the built bundle in its own process, as production starts it; returns its report. */
export async function runAugmenter(t: AugmenterTarget): Promise<RunReport> {
  const report = join(tmpdir(), `bench-report-${randomUUID()}.json`);
  const child = spawn(process.execPath, [await augmenterBundle(), "run", "--report", report], {
    env: augmenterEnv(t),
    stdio: ["ignore", "ignore", "inherit"],
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`augmenter run exited with ${code}`);
  const r = JSON.parse(await readFile(report, "utf8")) as RunReport;
  await rm(report, { force: true });
  return r;
}

/** `augmenter serve` from the built bundle in its own process; resolves once it has started. */
export async function serveAugmenter(
  t: AugmenterTarget,
  pollIntervalMs: number,
): Promise<{ stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [await augmenterBundle(), "serve", "--poll-interval-ms", String(pollIntervalMs), "--log-level", "info"],
    {
      env: augmenterEnv(t),
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  await new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on("line", (l) => {
      if (l.includes('"augmenter starting"')) resolve();
    });
    child.once("exit", (code) => reject(new Error(`augmenter serve exited with ${code}`)));
  });
  return {
    // Longer than the service's own shutdown grace, so a clean shutdown is never cut short.
    stop: () => stopChild(child, 60_000),
  };
}
