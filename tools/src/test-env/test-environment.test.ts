import { Redis } from "ioredis";
import { startLocalRedis } from "@rl/cache/testing";
import { createSeniorityClient, inferSeniority } from "@rl/proto";
import { S3ObjectStore, createS3Client } from "@rl/s3";
import { describe, expect, it } from "vitest";
import { probeDocker } from "./docker-probe";
import { startTestEnvironment } from "./test-environment";

describe("test environment", () => {
  it("says in one line why testcontainers was passed over, in under a second, and falls through to local processes", async () => {
    const lines: string[] = [];
    const t0 = performance.now();
    const probe = await probeDocker({ DOCKER_HOST: "unix:///nonexistent/docker.sock" });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(probe).toEqual({
      ok: false,
      reason: expect.stringMatching(/no Docker engine at unix:\/\/\/nonexistent\/docker\.sock \(ENOENT\)/),
    });

    await using env = await startTestEnvironment({
      env: { DOCKER_HOST: "unix:///nonexistent/docker.sock" },
      log: (l) => lines.push(l),
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/testcontainers passed over: no Docker engine .*; using local processes/);
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
      env: { REDIS_URL: redis.url, DOCKER_HOST: "unix:///nonexistent/docker.sock" },
      log: (l) => lines.push(l),
    });
    expect(env.redisUrl).toBe(redis.url);
    expect(env.sources.redis).toBe("env");
    expect(env.sources.s3).toBe("local");
  });
});
