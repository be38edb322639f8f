import { Redis } from "ioredis";
import { startLocalRedis } from "@rl/cache/testing";
import { createSeniorityClient, inferSeniority } from "@rl/proto";
import { S3ObjectStore, createS3Client } from "@rl/s3/s3-object-store";
import { describe, expect, it } from "vitest";
import { checkImage } from "./docker-images";
import { probeDocker } from "./docker-probe";
import { startTestEnvironment } from "./test-environment";

const NO_ENGINE = { DOCKER_HOST: "unix:///nonexistent/docker.sock" };
// This machine's engine, if one answers: the container paths below need it and say so when skipped.
const engine = await probeDocker(process.env);
const localRedisImage = process.env.REDIS_IMAGE ?? "local/redis:7";
const redisImageHere = engine.ok && (await checkImage(localRedisImage, process.env, 800)).ok;

describe("test environment", () => {
  it("says in one line why containers were passed over, in under a second, and falls through to local processes", async () => {
    const lines: string[] = [];
    const t0 = performance.now();
    const probe = await probeDocker(NO_ENGINE);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(probe).toEqual({
      ok: false,
      reason: expect.stringMatching(/no Docker engine at unix:\/\/\/nonexistent\/docker\.sock \(ENOENT\)/),
    });

    await using env = await startTestEnvironment({ env: NO_ENGINE, log: (l) => lines.push(l) });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/containers passed over: no Docker engine .*; using local processes/);
    expect(lines[1]).toMatch(
      /^test servers: redis=local redis-server redis:\/\/127\.0\.0\.1:\d+ s3=local s3rver /,
    );
    expect(env.sources).toEqual({ redis: "local", s3: "local", model: "local" });
    // Each server answers.
    const redis = new Redis(env.redisUrl);
    expect(await redis.ping()).toBe("PONG");
    redis.disconnect();
    const store = new S3ObjectStore(
      createS3Client({ endpoint: env.s3.endpoint, credentials: env.s3.credentials }),
      { bucket: "rl-data", prefix: "t/" },
    );
    await store.put("x.jsonl", "x\n");
    expect(await store.head("x.jsonl")).toBeDefined();
    const client = createSeniorityClient(env.model.address);
    expect(await inferSeniority(client, [{ uuid: 0, company: "a", title: "b" }])).toHaveLength(1);
    client.close();
    expect(env.model.stats()?.pairsReceived).toBe(1);
  });

  it("times out quickly on a TCP Docker host that does not answer", async () => {
    const t0 = performance.now();
    const probe = await probeDocker({ DOCKER_HOST: "tcp://127.0.0.1:1" }, 500);
    expect(probe.ok).toBe(false);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it("uses endpoints given by the environment as they are, starting nothing for them", async () => {
    await using redis = await startLocalRedis();
    const lines: string[] = [];
    await using env = await startTestEnvironment({
      env: { REDIS_URL: redis.url, ...NO_ENGINE },
      log: (l) => lines.push(l),
    });
    expect(env.redisUrl).toBe(redis.url);
    expect(env.sources.redis).toBe("env");
    expect(env.sources.s3).toBe("local");
    expect(lines.at(-1)).toContain(`redis=env REDIS_URL ${redis.url}`);
  });

  it("TEST_SERVERS=local never asks Docker", async () => {
    let probed = 0;
    const lines: string[] = [];
    await using env = await startTestEnvironment({
      env: { TEST_SERVERS: "local" },
      probe: async () => {
        probed += 1;
        return { ok: true, where: "test" };
      },
      log: (l) => lines.push(l),
    });
    expect(probed).toBe(0);
    expect(env.sources).toEqual({ redis: "local", s3: "local", model: "local" });
    expect(lines).toHaveLength(1);
  });

  it("TEST_SERVERS=containers fails at once, saying why, when no engine answers", async () => {
    const t0 = performance.now();
    await expect(startTestEnvironment({ env: { TEST_SERVERS: "containers", ...NO_ENGINE } })).rejects.toThrow(
      /^TEST_SERVERS=containers, but no Docker engine at unix:\/\/\/nonexistent\/docker\.sock/,
    );
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it("refuses a TEST_SERVERS value it does not know, naming the variable", async () => {
    await expect(startTestEnvironment({ env: { TEST_SERVERS: "docker" } })).rejects.toThrow(
      "TEST_SERVERS=docker is not one of auto, containers, local (default auto)",
    );
  });

  it.skipIf(!engine.ok)(
    "auto: with an engine that cannot have the image, says so in one line per server and falls through in under a second (needs a Docker engine)",
    async () => {
      const lines: string[] = [];
      const at: number[] = [];
      const t0 = performance.now();
      await using env = await startTestEnvironment({
        env: {
          ...process.env,
          TEST_SERVERS: "auto",
          REDIS_IMAGE: "local/absent:0",
          MINIO_IMAGE: "local/absent:0",
        },
        log: (l) => {
          lines.push(l);
          at.push(performance.now() - t0);
        },
      });
      expect(env.sources).toEqual({ redis: "local", s3: "local", model: "local" });
      expect(lines.slice(0, 2)).toEqual([
        expect.stringMatching(
          /^test environment: Redis container \(local\/absent:0\) could not start: local\/absent:0 is not here and cannot be pulled.*; using a local process$/,
        ),
        expect.stringMatching(
          /^test environment: MinIO container \(local\/absent:0\) could not start: .*; using a local process$/,
        ),
      ]);
      // From the start to the decision to fall through (the probe, the image check, the pull
      // refused): what is bounded, before the local server starts.
      expect(at[0]).toBeLessThan(1000);
    },
  );

  it.skipIf(!redisImageHere)(
    `containers: Redis in a container from REDIS_IMAGE (${localRedisImage}), stopped with the environment; MinIO that cannot be had leaves S3 to s3rver, saying so (needs an engine and that image: npm run images)`,
    async () => {
      const lines: string[] = [];
      await using env = await startTestEnvironment({
        env: {
          ...process.env,
          TEST_SERVERS: "containers",
          REDIS_IMAGE: localRedisImage,
          MINIO_IMAGE: "local/absent:0",
        },
        log: (l) => lines.push(l),
      });
      expect(env.sources).toEqual({ redis: "container", s3: "local", model: "local" });
      expect(lines).toEqual([
        expect.stringMatching(
          /^test environment: TEST_SERVERS=containers, but MinIO container \(local\/absent:0\) could not start: .*; S3 is s3rver, a local process, not a container$/,
        ),
        expect.stringContaining(`test servers: redis=container ${localRedisImage} redis://127.0.0.1:`),
      ]);
      const redis = new Redis(env.redisUrl);
      expect(await redis.ping()).toBe("PONG");
      redis.disconnect();
      await env.stop();
      const after = new Redis(env.redisUrl, {
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
      });
      after.on("error", () => {}); // the refused connection is what is expected
      await expect(after.connect()).rejects.toThrow();
      after.disconnect();
    },
  );

  it.skipIf(!engine.ok)(
    "containers: a Redis image that cannot be had fails the run, saying why (needs a Docker engine)",
    async () => {
      await expect(
        startTestEnvironment({
          env: { ...process.env, TEST_SERVERS: "containers", REDIS_IMAGE: "local/absent:0" },
          log: () => {},
        }),
      ).rejects.toThrow(
        /^TEST_SERVERS=containers: Redis container \(local\/absent:0\) could not start: local\/absent:0 is not here/,
      );
    },
  );
});
