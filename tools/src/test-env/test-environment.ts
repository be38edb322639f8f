import type * as ContainersModule from "./containers";
import { CreateBucketCommand, S3ServiceException } from "@aws-sdk/client-s3";
import { startLocalRedis } from "@rl/cache/testing";
import { createS3Client } from "@rl/s3";
import { startLocalS3Server } from "@rl/s3/testing";
import {
  startMockSeniorityServer,
  type MockSeniorityServerInput,
  type MockStatsSnapshot,
} from "mock-seniority-server";
import { probeDocker, type DockerProbe } from "./docker-probe";

export type Source = "env" | "testcontainers" | "local";

/** Redis, an S3-compatible server and a model server, however they were obtained. */
export interface TestEnvironment {
  redisUrl: string;
  s3: { endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  model: {
    address: string;
    /** The mock's accounting; undefined for a model given by SENIORITY_GRPC_ADDR. */
    stats(): MockStatsSnapshot | undefined;
    resetStats(): void;
  };
  sources: { redis: Source; s3: Source; model: "env" | "local" };
  /** Why the testcontainers path was passed over, when it was. */
  dockerSkipped?: string;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface TestEnvironmentOptions {
  /** Buckets to create on a started S3 server. @default ["rl-data"] */
  buckets?: string[];
  mock?: MockSeniorityServerInput;
  /** @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Injected in tests of the fall-through itself. */
  probe?: () => Promise<DockerProbe>;
  log?: (line: string) => void;
}

/**
 * One environment for every test and benchmark, in this order: (1) endpoints given by
 * REDIS_URL, S3_ENDPOINT and SENIORITY_GRPC_ADDR are used as they are; (2) otherwise, where a
 * Docker engine answers, testcontainers starts Redis and MinIO (pinned tags, 127.0.0.1 only);
 * (3) otherwise local processes: redis-server from PATH, s3rver, and the mock model in-process.
 * Everything it started, it stops.
 */
export async function startTestEnvironment(o: TestEnvironmentOptions = {}): Promise<TestEnvironment> {
  const env = o.env ?? process.env;
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const buckets = o.buckets ?? ["rl-data"];
  const stops: Array<() => Promise<unknown>> = [];
  const needContainers = !env.REDIS_URL || !env.S3_ENDPOINT;
  let docker: DockerProbe = { ok: false, reason: "not needed: REDIS_URL and S3_ENDPOINT are set" };
  let containers: typeof ContainersModule | undefined;
  if (needContainers) {
    docker = await (o.probe ?? (() => probeDocker(env)))();
    if (docker.ok) {
      // testcontainers is loaded only here, so machines without Docker never pay for it.
      containers = await import("./containers").catch((err: Error) => {
        docker = { ok: false, reason: `testcontainers did not load (${err.message})` };
        return undefined;
      });
    }
    if (!docker.ok)
      log(`test environment: testcontainers passed over: ${docker.reason}; using local processes`);
  }
  try {
    let redisUrl: string;
    let redisSource: Source;
    if (env.REDIS_URL) [redisUrl, redisSource] = [env.REDIS_URL, "env"];
    else if (containers) {
      const r = await containers.startRedisContainer();
      stops.push(() => r.container.stop());
      [redisUrl, redisSource] = [r.url, "testcontainers"];
    } else {
      const r = await startLocalRedis();
      stops.push(() => r.stop());
      [redisUrl, redisSource] = [r.url, "local"];
    }

    let s3: TestEnvironment["s3"];
    let s3Source: Source;
    if (env.S3_ENDPOINT) {
      s3 = {
        endpoint: env.S3_ENDPOINT,
        credentials: {
          accessKeyId: env.AWS_ACCESS_KEY_ID ?? "",
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "",
        },
      };
      s3Source = "env";
    } else if (containers) {
      const m = await containers.startMinioContainer();
      stops.push(() => m.container.stop());
      s3 = { endpoint: m.endpoint, credentials: m.credentials };
      s3Source = "testcontainers";
    } else {
      const l = await startLocalS3Server({ buckets });
      stops.push(() => l.stop());
      s3 = { endpoint: l.endpoint, credentials: l.credentials };
      s3Source = "local";
    }
    if (s3Source !== "local") {
      const client = createS3Client({ endpoint: s3.endpoint, credentials: s3.credentials });
      for (const b of buckets) {
        try {
          await client.send(new CreateBucketCommand({ Bucket: b }));
        } catch (err) {
          const name = err instanceof S3ServiceException ? err.name : "";
          if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw err;
        }
      }
      client.destroy();
    }

    let model: TestEnvironment["model"];
    let modelSource: "env" | "local";
    if (env.SENIORITY_GRPC_ADDR) {
      model = { address: env.SENIORITY_GRPC_ADDR, stats: () => undefined, resetStats: () => {} };
      modelSource = "env";
    } else {
      const m = await startMockSeniorityServer({ port: 0, ...o.mock });
      stops.push(() => m.stop());
      model = { address: m.address, stats: () => m.stats(), resetStats: () => m.resetStats() };
      modelSource = "local";
    }

    let stopped: Promise<void> | undefined;
    const stop = () =>
      (stopped ??= (async () => {
        await Promise.allSettled(stops.reverse().map((s) => s()));
      })());
    return {
      redisUrl,
      s3,
      model,
      sources: { redis: redisSource, s3: s3Source, model: modelSource },
      ...(needContainers && !docker.ok ? { dockerSkipped: docker.reason } : {}),
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (err) {
    await Promise.allSettled(stops.reverse().map((s) => s()));
    throw err;
  }
}
