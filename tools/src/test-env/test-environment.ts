import type * as ContainersModule from "./containers";
import { CreateBucketCommand, S3ServiceException } from "@aws-sdk/client-s3";
import { startLocalRedis } from "@rl/cache/testing";
import { createS3Client } from "@rl/s3/s3-object-store";
import { startLocalS3Server } from "@rl/s3/testing";
import {
  startMockSeniorityServer,
  type MockSeniorityServerInput,
  type MockStatsSnapshot,
} from "mock-seniority-server";
import { checkImage } from "./docker-images";
import { probeDocker, type DockerProbe } from "./docker-probe";
import { testImages } from "./images";
import { testServersMode, type TestServersMode } from "./test-servers-mode";

export type Source = "env" | "container" | "local";

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
  /** Why containers were passed over, when they were. */
  dockerSkipped?: string;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface TestEnvironmentOptions {
  /** Buckets to create on a started S3 server. @default ["rl-data"] */
  buckets?: string[];
  mock?: MockSeniorityServerInput;
  /** Where TEST_SERVERS, the endpoints and the images are read. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Injected in tests of the fall-through itself. */
  probe?: () => Promise<DockerProbe>;
  /** How long `auto` may spend finding an image (inspect, then pull) before it falls through. @default 800 */
  autoImageBudgetMs?: number;
  log?: (line: string) => void;
}

/**
 * In `containers` mode a pull may take its time (failing is then the only alternative), but
 * less than a test hook's 60 s, so a pull that hangs ends in this harness's own one line.
 */
const CONTAINERS_IMAGE_BUDGET_MS = 45_000;

const firstLine = (err: unknown) => ((err as Error).message ?? String(err)).split("\n")[0]?.slice(0, 300);

/**
 * One environment for every test and benchmark. Each server comes, in this order, from (1) the
 * endpoint the environment gives (REDIS_URL, S3_ENDPOINT, SENIORITY_GRPC_ADDR); (2) a container
 * (Redis, MinIO; TEST_SERVERS=auto|containers) where an engine answers and the image can be had;
 * (3) a local process: redis-server from PATH, s3rver, the mock model in-process
 * (TEST_SERVERS=auto|local). In `auto`, a container that cannot start is said in one line and
 * the next source is used; in `containers` it fails the run, saying why. It prints which servers
 * it used, and stops everything it started.
 */
export async function startTestEnvironment(o: TestEnvironmentOptions = {}): Promise<TestEnvironment> {
  const env = o.env ?? process.env;
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const mode = testServersMode(env);
  const images = testImages(env);
  const buckets = o.buckets ?? ["rl-data"];
  const stops: Array<() => Promise<unknown>> = [];
  const containers = await findEngine(mode, !env.REDIS_URL || !env.S3_ENDPOINT, env, o, log);
  const imageBudgetMs = mode === "containers" ? CONTAINERS_IMAGE_BUDGET_MS : (o.autoImageBudgetMs ?? 800);
  let noPull: string | undefined;

  /**
   * A container for one server, or undefined to fall through (auto); in `containers` it throws,
   * except for MinIO (`mayFallBack`): it cannot be had on every machine (none here), so S3 then
   * comes from s3rver, said in one line and in the servers line, never passed off as a container.
   */
  async function inContainer<T extends { container: { stop(): Promise<unknown> } }>(
    what: string,
    image: string,
    start: (module: typeof ContainersModule) => Promise<T>,
    mayFallBack = false,
  ): Promise<T | undefined> {
    if (!containers.engine) return undefined;
    // In auto, one image that could not be had is enough: an engine that cannot pull one
    // cannot pull the next, and the fall-through stays under a second.
    if (mode === "auto" && noPull) {
      log(`test environment: ${what} container (${image}) not tried: ${noPull}; using a local process`);
      return undefined;
    }
    try {
      const check = await checkImage(image, env, imageBudgetMs);
      if (!check.ok) {
        noPull = "an earlier image could not be had";
        throw new Error(check.reason);
      }
      const started = await start(await containers.load());
      stops.push(() => started.container.stop());
      return started;
    } catch (err) {
      const line = `${what} container (${image}) could not start: ${firstLine(err)}`;
      if (mode === "containers" && !mayFallBack) throw new Error(`TEST_SERVERS=containers: ${line}`);
      log(
        mode === "containers"
          ? `test environment: TEST_SERVERS=containers, but ${line}; S3 is s3rver, a local process, not a container`
          : `test environment: ${line}; using a local process`,
      );
      return undefined;
    }
  }

  try {
    let redisUrl: string;
    let redisSource: Source;
    let redisFrom: string;
    const redisContainer = env.REDIS_URL
      ? undefined
      : await inContainer("Redis", images.redis, (m) => m.startRedisContainer(images.redis));
    if (env.REDIS_URL) [redisUrl, redisSource, redisFrom] = [env.REDIS_URL, "env", "REDIS_URL"];
    else if (redisContainer)
      [redisUrl, redisSource, redisFrom] = [redisContainer.url, "container", images.redis];
    else {
      const r = await startLocalRedis();
      stops.push(() => r.stop());
      [redisUrl, redisSource, redisFrom] = [r.url, "local", "redis-server"];
    }

    let s3: TestEnvironment["s3"];
    let s3Source: Source;
    let s3From: string;
    const minio = env.S3_ENDPOINT
      ? undefined
      : await inContainer("MinIO", images.minio, (m) => m.startMinioContainer(images.minio), true);
    if (env.S3_ENDPOINT) {
      s3 = {
        endpoint: env.S3_ENDPOINT,
        credentials: {
          accessKeyId: env.AWS_ACCESS_KEY_ID ?? "",
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "",
        },
      };
      [s3Source, s3From] = ["env", "S3_ENDPOINT"];
    } else if (minio) {
      s3 = { endpoint: minio.endpoint, credentials: minio.credentials };
      [s3Source, s3From] = ["container", images.minio];
    } else {
      const l = await startLocalS3Server({ buckets });
      stops.push(() => l.stop());
      s3 = { endpoint: l.endpoint, credentials: l.credentials };
      [s3Source, s3From] = ["local", "s3rver"];
    }
    if (s3Source !== "local") await createBuckets(s3, buckets);

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
    log(
      `test servers: redis=${redisSource} ${redisFrom} ${redisUrl} s3=${s3Source} ${s3From} ${s3.endpoint} ` +
        `model=${modelSource} ${modelSource === "env" ? "SENIORITY_GRPC_ADDR" : "mock"} ${model.address}`,
    );

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
      ...(containers.skipped ? { dockerSkipped: containers.skipped } : {}),
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (err) {
    await Promise.allSettled(stops.reverse().map((s) => s()));
    throw err;
  }
}

/**
 * Whether an engine answers (unless TEST_SERVERS=local or nothing needs one). testcontainers is
 * loaded only once an image is known to be there, so a machine without an engine or without the
 * images never pays for loading it.
 */
async function findEngine(
  mode: TestServersMode,
  needed: boolean,
  env: Readonly<Record<string, string | undefined>>,
  o: TestEnvironmentOptions,
  log: (line: string) => void,
): Promise<{ engine: boolean; load: () => Promise<typeof ContainersModule>; skipped?: string }> {
  let loaded: Promise<typeof ContainersModule> | undefined;
  const load = () => (loaded ??= import("./containers"));
  if (mode === "local" || !needed) return { engine: false, load };
  const probe = await (o.probe ?? (() => probeDocker(env)))();
  if (probe.ok) return { engine: true, load };
  if (mode === "containers") throw new Error(`TEST_SERVERS=containers, but ${probe.reason}`);
  log(`test environment: containers passed over: ${probe.reason}; using local processes`);
  return { engine: false, load, skipped: probe.reason };
}

async function createBuckets(s3: TestEnvironment["s3"], buckets: string[]): Promise<void> {
  const client = createS3Client({ endpoint: s3.endpoint, credentials: s3.credentials });
  try {
    for (const b of buckets) {
      try {
        await client.send(new CreateBucketCommand({ Bucket: b }));
      } catch (err) {
        const name = err instanceof S3ServiceException ? err.name : "";
        if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw err;
      }
    }
  } finally {
    client.destroy();
  }
}
