import { CreateBucketCommand, DeleteBucketCommand } from "@aws-sdk/client-s3";
import { startLocalRedis, type LocalRedisServer } from "@rl/cache/testing";
import { createS3Client } from "@rl/s3/s3-object-store";
import { startMockSeniorityServer, type MockSeniorityServer } from "mock-seniority-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  augmenterEnv,
  scenario,
  SEED,
  spawnAugmenter,
  startEnv,
  tail,
  until,
  untilStarting,
  type TestEnvironment,
} from "./env";

// Issue 12, point 1: /readyz tells the truth about the model and L2, /healthz stays a liveness
// check. The model and Redis here are the test's own, so it can stop and restart them on
// their ports; S3 is the shared environment's.
let env: TestEnvironment;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(() => env.stop());

interface Readyz {
  status: number;
  body: { ready: boolean; down?: Array<{ dependency: string; since: string; reason: string }> };
}

/** `augmenter serve` on a free HTTP port, and a poller of its /readyz that keeps the last answer. */
async function serveWithHttp(extraEnv: Record<string, string>) {
  const svc = spawnAugmenter(["serve"], { ...extraEnv, HTTP_PORT: "0", LOG_LEVEL: "info" });
  const base = `http://127.0.0.1:${await untilStarting(svc)}`;
  const r = {
    svc,
    base,
    last: undefined as Readyz | undefined,
    /** Until /readyz answers `status` (naming `dependency`, when given). */
    readyzUntil: (what: string, status: number, ms: number, dependency?: string) =>
      until(
        what,
        async () => {
          const res = await fetch(`${base}/readyz`);
          r.last = { status: res.status, body: (await res.json()) as Readyz["body"] };
          return (
            r.last.status === status &&
            (!dependency || !!r.last.body.down?.some((d) => d.dependency === dependency))
          );
        },
        ms,
        () => `${JSON.stringify(r.last)}\n${tail(svc)}`,
        200,
      ),
  };
  return r;
}

describe("readiness of a serve process whose dependencies go away and come back", () => {
  it("/readyz names the model, then L2, while each is down and is 200 within seconds of its return; /healthz stays 200", async () => {
    const startModel = (port: number) =>
      startMockSeniorityServer({ port, pairsPerSecond: 100_000, seed: SEED });
    let model: MockSeniorityServer = await startModel(0);
    let redis: LocalRedisServer = await startLocalRedis();
    const s = await scenario(env);
    const healthz: number[] = [];
    let polling = true;
    let poller: Promise<void> = Promise.resolve();
    const r = await serveWithHttp(
      augmenterEnv(env, s, {
        SENIORITY_GRPC_ADDR: model.address,
        CACHE_URL: redis.url,
        POLL_INTERVAL_MS: "500",
      }),
    );
    const { svc } = r;
    try {
      poller = (async () => {
        while (polling) {
          healthz.push((await fetch(`${r.base}/healthz`)).status);
          await new Promise((done) => setTimeout(done, 200));
        }
      })();
      await r.readyzUntil("ready at start", 200, 15_000);
      expect(r.last?.body).toEqual({ ready: true });

      // The model goes away: 503 naming it, since when, and why.
      const modelPort = model.port;
      await model.stop();
      const modelStopped = Date.now();
      await r.readyzUntil("/readyz names the model", 503, 10_000, "model");
      const down = r.last?.body.down?.find((d) => d.dependency === "model");
      expect(down?.reason).toContain(`127.0.0.1:${modelPort}`);
      expect(Date.parse(down?.since ?? "")).toBeGreaterThanOrEqual(modelStopped - 1_000);
      expect(r.last?.body.ready).toBe(false);
      // Long enough for gRPC's default reconnect backoff to have grown past "seconds".
      await new Promise((done) => setTimeout(done, 8_000));
      model = await startModel(modelPort);
      const modelBack = Date.now();
      await r.readyzUntil("/readyz 200 after the model returns", 200, 15_000);
      const modelRecoveryMs = Date.now() - modelBack;

      // L2 goes away: the same, naming l2.
      const redisPort = redis.port;
      await redis.stop();
      await r.readyzUntil("/readyz names L2", 503, 10_000, "l2");
      expect(r.last?.body.down?.map((d) => d.dependency)).toEqual(["l2"]);
      expect(r.last?.body.down?.[0]?.reason).toContain(`127.0.0.1:${redisPort}`);
      await new Promise((done) => setTimeout(done, 3_000));
      redis = await startLocalRedis({ port: redisPort });
      const redisBack = Date.now();
      await r.readyzUntil("/readyz 200 after Redis returns", 200, 15_000);
      const redisRecoveryMs = Date.now() - redisBack;
      console.info(
        `[readiness] ready again ${modelRecoveryMs} ms after the model returned, ${redisRecoveryMs} ms after Redis did; ${healthz.length} /healthz polls`,
      );
      expect(modelRecoveryMs).toBeLessThan(5_000);
      expect(redisRecoveryMs).toBeLessThan(5_000);

      polling = false;
      await poller;
      expect(healthz.length).toBeGreaterThan(40);
      expect(healthz.filter((code) => code !== 200)).toEqual([]);

      const metrics = await (await fetch(`${r.base}/metrics`)).text();
      expect(metrics).toContain("# TYPE augmenter_pairs_resolved_by_other_workers_total counter");
      expect(metrics).toContain("# TYPE augmenter_coordination_errors_total counter");
      expect(metrics).toMatch(/^augmenter_dependency_up\{dependency="model"\} 1$/m);
      svc.child.kill("SIGTERM");
      expect(await svc.exited).toBe(0);
    } finally {
      polling = false;
      await poller.catch(() => {});
      if (svc.child.exitCode === null) svc.child.kill("SIGKILL");
      await model.stop();
      await redis.stop();
    }
  }, 120_000);

  it("/readyz names the mod location while its bucket is gone, and is 200 within seconds of its return", async () => {
    const s = await scenario(env);
    const modBucket = `${s.bucket}-mod`;
    const client = createS3Client({ endpoint: env.s3.endpoint, credentials: env.s3.credentials });
    await client.send(new CreateBucketCommand({ Bucket: modBucket }));
    const r = await serveWithHttp(augmenterEnv(env, s, { MOD_URI: `s3://${modBucket}/mod/` }));
    const { svc } = r;
    try {
      await r.readyzUntil("ready at start", 200, 15_000);
      await client.send(new DeleteBucketCommand({ Bucket: modBucket }));
      await r.readyzUntil("/readyz names mod", 503, 10_000, "mod");
      expect(r.last?.body.down).toEqual([
        {
          dependency: "mod",
          since: expect.any(String),
          reason: expect.stringContaining(`s3://${modBucket}/mod/`),
        },
      ]);
      await client.send(new CreateBucketCommand({ Bucket: modBucket }));
      const back = Date.now();
      await r.readyzUntil("/readyz 200 after the bucket returns", 200, 10_000);
      expect(Date.now() - back).toBeLessThan(5_000);
      svc.child.kill("SIGTERM");
      expect(await svc.exited).toBe(0);
    } finally {
      if (svc.child.exitCode === null) svc.child.kill("SIGKILL");
      client.destroy();
    }
  }, 60_000);
});
