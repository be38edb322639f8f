import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { startMockSeniorityServer } from "mock-seniority-server";
import { startLocalRedis } from "@rl/cache/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFaultProxy } from "tools/test-env";
import {
  SEED,
  augmenterEnv,
  generateClean,
  mockStats,
  scenario,
  sleep,
  spawnAugmenter,
  startEnv,
  until,
  untilOutputs,
  readText,
  verifySeeded,
  type E2eEnvironment,
} from "./env";

// Issue 6: failing dependencies and crashes lose nothing and corrupt nothing. Every check of a
// value is against the seeded model: a wrong value assigned anywhere is a mismatch.
let env: E2eEnvironment;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(() => env.stop());

describe("model faults", () => {
  it("errors, answers past the deadline and malformed answers are retried; no wrong value is assigned", async () => {
    await using faulty = await startMockSeniorityServer({
      port: 0,
      pairsPerSecond: 100_000,
      seed: SEED,
      faults: { errorRate: 0.15, errorStatus: "UNAVAILABLE", malformedRate: 0.2, latencyJitterMs: 400 },
    });
    const s = await scenario(env);
    await generateClean(s.store("raw"), 5, 2000, "reliability");
    const report = await s.run({
      grpcAddr: faulty.address,
      modelBatchSize: 200,
      modelDeadlineMs: 300,
      modelBackoffMs: 10,
      modelBackoffMaxMs: 200,
      modelMaxAttempts: 30,
    });
    const stats = faulty.stats();
    console.info(
      `[reliability] model faults: ${report.model.rpcs} RPCs, ${report.model.retries} retries, ${stats.injectedErrors} injected errors, malformed ${JSON.stringify(stats.malformedResponses)}`,
    );
    expect(report.totals.failedFiles).toBe(0);
    expect(report.model.retries).toBeGreaterThan(0);
    expect(stats.injectedErrors).toBeGreaterThan(0);
    expect(Object.values(stats.malformedResponses).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const v = await verifySeeded(s);
    expect(v).toMatchObject({ linesChecked: 10_000, mismatches: [], missingOutputs: [] });
  }, 120_000);

  it("the model restarting mid-run: calls fail, are retried, and the run completes", async () => {
    const first = await startMockSeniorityServer({ port: 0, pairsPerSecond: 2000, seed: SEED });
    const port = first.port;
    const s = await scenario(env);
    await generateClean(s.store("raw"), 4, 2000, "model-restart");
    const run = s.run({
      grpcAddr: first.address,
      modelRate: 2000,
      modelBackoffMs: 100,
      modelBackoffMaxMs: 1000,
      modelMaxAttempts: 30,
    });
    await until("the model has answered", async () => first.stats().pairsAnswered > 500, 30_000);
    await first.stop();
    await sleep(1500);
    await using second = await startMockSeniorityServer({ port, pairsPerSecond: 2000, seed: SEED });
    const report = await run;
    expect(report.totals.failedFiles).toBe(0);
    expect(report.model.retries).toBeGreaterThan(0);
    expect(second.stats().pairsReceived).toBeGreaterThan(0);
    expect(await verifySeeded(s)).toMatchObject({ linesChecked: 8000, mismatches: [], missingOutputs: [] });
  }, 120_000);
});

describe("Redis faults", () => {
  it("restarted from its own AOF: the cache survives and nothing is inferred again", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "redis-aof-"));
    const aof = ["--appendonly", "yes", "--appendfsync", "everysec"];
    const first = await startLocalRedis({ dir: dataDir, extraArgs: aof });
    const s = await scenario(env);
    await generateClean(s.store("raw"), 3, 2000, "aof");
    const cold = await s.run({ cacheUrl: first.url });
    expect(cold.model.pairsSent).toBeGreaterThan(1000);
    await first.stop(); // SIGTERM: Redis flushes its AOF
    const second = await startLocalRedis({ dir: dataDir, extraArgs: aof, port: first.port });
    try {
      env.model.resetStats();
      const warm = await s.run({ cacheUrl: second.url, modUri: s.uri("mod-after-restart") });
      expect(warm.model.pairsSent).toBe(0);
      expect(mockStats(env).pairsReceived).toBe(0);
      expect(warm.totals.l2Hits).toBeGreaterThan(0);
    } finally {
      await second.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it("stopped mid-run and started later: the service says so, retries, recovers by itself, writes no wrong value", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "redis-down-"));
    const aof = ["--appendonly", "yes"];
    let redis = await startLocalRedis({ dir: dataDir, extraArgs: aof });
    const port = redis.port;
    const s = await scenario(env);
    await generateClean(s.store("raw"), 10, 1000, "redis-down");
    const p = spawnAugmenter(
      ["serve"],
      augmenterEnv(env, s, {
        CACHE_URL: redis.url,
        MODEL_RATE: "3000",
        POLL_INTERVAL_MS: "200",
        FILE_RETRY_BASE_MS: "200",
        FILE_MAX_ATTEMPTS: "1000",
        HTTP_PORT: "-1",
      }),
    );
    try {
      await untilOutputs(s, { atLeast: 2 }, 60_000, p.err);
      await redis.stop();
      await sleep(2000);
      redis = await startLocalRedis({ dir: dataDir, extraArgs: aof, port });
      await untilOutputs(s, { all: 10 }, 90_000, p.err);
      // The outage was logged, and its end, and the service kept running through it.
      expect(p.out()).toMatch(/"msg":"cache connection to redis:\/\/127\.0\.0\.1:\d+ lost; reconnecting/);
      expect(p.out()).toMatch(/"msg":"cache connection to redis:\/\/127\.0\.0\.1:\d+ restored"/);
      expect(p.child.exitCode).toBe(null);
      const v = await verifySeeded(s);
      expect(v).toMatchObject({ linesChecked: 10_000, mismatches: [], missingOutputs: [] });
      p.child.kill("SIGTERM");
      expect(await p.exited).toBe(0);
    } finally {
      p.child.kill("SIGKILL");
      await redis.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 180_000);

  it("slow (blocked for seconds at a time): the run waits and completes with every value right", async () => {
    const slow = await startLocalRedis({ extraArgs: ["--enable-debug-command", "yes"] });
    const admin = new Redis(slow.url);
    try {
      const s = await scenario(env);
      await generateClean(s.store("raw"), 4, 2000, "redis-slow");
      const run = s.run({ cacheUrl: slow.url, modelRate: 4000 });
      for (let i = 0; i < 3; i++) {
        await sleep(300);
        await admin.call("DEBUG", "SLEEP", "1");
      }
      const report = await run;
      expect(report.totals.failedFiles).toBe(0);
      expect(await verifySeeded(s)).toMatchObject({ linesChecked: 8000, mismatches: [], missingOutputs: [] });
    } finally {
      admin.disconnect();
      await slow.stop();
    }
  }, 120_000);
});

describe("crash safety", () => {
  it("SIGKILL at 10 random moments, restart each time: every line once, outputs byte-identical to a clean run, never a partial output", async () => {
    await using model = await startMockSeniorityServer({ port: 0, pairsPerSecond: 1000, seed: SEED });
    const s = await scenario(env);
    await generateClean(s.store("raw"), 30, 1000, "crash");
    const workerEnv = augmenterEnv(env, s, {
      SENIORITY_GRPC_ADDR: model.address,
      MODEL_RATE: "1000",
      HTTP_PORT: "-1",
      LOG_LEVEL: "info",
      FILE_CONCURRENCY: "2",
      // A stable name, as a deployment gives each worker: the restarted process takes back the
      // leases and claims of the one killed instead of waiting for them to lapse.
      WORKER_ID: "crash-test-worker",
    });
    const kills: number[] = [];
    let done = false;
    for (let k = 0; k < 10 && !done; k++) {
      const p = spawnAugmenter(["run"], workerEnv);
      // Kill points measured from the moment it is working (after start-up), 0.1 to 1.5 s in.
      // (run logs to stderr: stdout is for its summary)
      await until(
        "started",
        async () => p.err().includes('"augmenter starting"') || p.child.exitCode !== null,
        30_000,
        p.err,
      );
      const delay = 100 + Math.floor(Math.random() * 1400);
      const exited = await Promise.race([p.exited.then(() => true), sleep(delay).then(() => false)]);
      if (exited) {
        expect(await p.exited, `run ${k + 1} exited early:\n${p.err()}`).toBe(0);
        done = true; // it finished before this kill point
        break;
      }
      p.child.kill("SIGKILL");
      await p.exited;
      kills.push(delay);
      // After every crash: each output that exists is whole and right.
      const v = await verifySeeded(s);
      expect(v.mismatches).toEqual([]);
      expect(v.linesNotComparable).toBe(0);
    }
    const last = spawnAugmenter(["run"], workerEnv);
    expect(await last.exited, last.err()).toBe(0);
    const v = await verifySeeded(s);
    expect(v).toMatchObject({ files: 30, linesChecked: 30_000, mismatches: [], missingOutputs: [] });

    // A clean run of the same inputs into other outputs, with the same model: identical bytes.
    const clean = await s.run({ modUri: s.uri("mod-clean"), cacheUrl: "memory:" });
    expect(clean.totals.failedFiles).toBe(0);
    for await (const o of s.store("mod-clean").list()) {
      const a = await readText(s.store("mod"), o.key);
      const b = await readText(s.store("mod-clean"), o.key);
      expect(a === b, `${o.key} differs from the clean run`).toBe(true);
    }
    const stats = model.stats();
    console.info(
      `[reliability] crash safety: ${kills.length} kills at ${kills.join(", ")} ms; model pairs received ${stats.pairsReceived}, distinct ${v.distinctPairs}, received more than once ${stats.pairsReceivedMoreThanOnce}`,
    );
    expect(kills.length).toBeGreaterThanOrEqual(10);
    // Pairs a killed process had sent and not cached are inferred again: at most its RPCs in
    // flight (2 × 1000) per kill.
    expect(stats.pairsReceived - v.distinctPairs).toBeLessThanOrEqual(kills.length * 2000);
  }, 300_000);
});

describe("S3 faults", () => {
  it("500 InternalError, 503 SlowDown and dropped connections are retried; every output whole and right", async () => {
    const proxy = await startFaultProxy({
      target: env.s3.endpoint,
      internalErrorRate: 0.05,
      slowDownRate: 0.05,
      dropRate: 0.03,
    });
    const s = await scenario(env);
    await generateClean(s.store("raw"), 10, 1000, "s3-faults"); // written directly, not through the proxy
    const p = spawnAugmenter(
      ["serve"],
      augmenterEnv(env, s, {
        S3_ENDPOINT: proxy.endpoint,
        POLL_INTERVAL_MS: "200",
        FILE_RETRY_BASE_MS: "200",
        FILE_MAX_ATTEMPTS: "1000",
        HTTP_PORT: "-1",
      }),
    );
    try {
      await untilOutputs(s, { all: 10 }, 120_000, p.err);
      expect(p.child.exitCode).toBe(null);
      console.info(`[reliability] S3 faults through the proxy: ${JSON.stringify(proxy.counts)}`);
      expect(proxy.counts.internalErrors + proxy.counts.slowDowns + proxy.counts.dropped).toBeGreaterThan(0);
      expect(await verifySeeded(s)).toMatchObject({
        linesChecked: 10_000,
        mismatches: [],
        missingOutputs: [],
      });
    } finally {
      p.child.kill("SIGTERM");
      await p.exited;
      await proxy.stop();
    }
  }, 180_000);

  it("an input re-uploaded while it is processed is processed again; one deleted mid-way leaves no partial output", async () => {
    const s = await scenario(env);
    await using model = await startMockSeniorityServer({ port: 0, pairsPerSecond: 2000, seed: SEED });
    const raw = s.store("raw");
    await generateClean(raw, 1, 20_000, "reupload-v1");
    let name = "";
    for await (const o of raw.list()) name = o.key;
    const p = spawnAugmenter(
      ["serve"],
      augmenterEnv(env, s, {
        SENIORITY_GRPC_ADDR: model.address,
        MODEL_RATE: "2000",
        POLL_INTERVAL_MS: "200",
        HTTP_PORT: "-1",
        CACHE_URL: "memory:",
      }),
    );
    try {
      await until("processing started", async () => model.stats().pairsReceived > 0, 60_000, p.err);
      // Re-upload other content under the same name while the first version is in flight.
      const v2 = Array.from({ length: 500 }, (_, i) =>
        JSON.stringify({ company: "Re", title: `Upload ${i}` }),
      );
      await raw.put(name, `${v2.join("\n")}\n`);
      const etag2 = (await raw.head(name))!.etag;
      await until(
        "the output of the new version",
        async () => (await s.store("mod").head(name))?.metadata["source-etag"] === etag2,
        90_000,
        p.err,
      );
      expect(await verifySeeded(s)).toMatchObject({ linesChecked: 500, mismatches: [], missingOutputs: [] });

      // A second input deleted while it is read: the service goes on; no output, or a whole one.
      const big = "1721190000.jsonl";
      const lines = Array.from({ length: 30_000 }, (_, i) =>
        JSON.stringify({ company: "Del", title: `Gone ${i}` }),
      );
      await raw.put(big, `${lines.join("\n")}\n`);
      const before = model.stats().pairsReceived;
      await until("the second file started", async () => model.stats().pairsReceived > before, 60_000, p.err);
      await raw.delete(big);
      await sleep(3000);
      expect(p.child.exitCode).toBe(null);
      const out = await s.store("mod").head(big);
      const outLines = out ? (await readText(s.store("mod"), big)).split("\n").filter(Boolean).length : 0;
      expect([0, 30_000], "no output, or a whole one").toContain(outLines);
      console.info(
        `[reliability] input deleted mid-way: ${out ? "its output completed whole" : "no output written"}`,
      );
    } finally {
      p.child.kill("SIGTERM");
      await p.exited;
    }
  }, 240_000);
});
