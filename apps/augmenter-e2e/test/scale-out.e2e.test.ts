import { join } from "node:path";
import { Redis } from "ioredis";
import { startLocalRedisCluster } from "@rl/cache/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  augmenterEnv,
  generateClean,
  mockStats,
  readJson,
  scenario,
  sleep,
  spawnAugmenter,
  startEnv,
  until,
  untilOutputs,
  verifySeeded,
  type E2eEnvironment,
  type Scenario,
  type SpawnedAugmenter,
} from "./env";

// N augmenter processes over one raw prefix, one Redis and one model: each file by one worker
// at a time, each pair inferred once across all of them, a killed worker's files finished by
// the others.
let env: E2eEnvironment;
beforeAll(async () => {
  env = await startEnv("scale-out");
});
afterAll(() => env.stop());
beforeEach(() => env.model.resetStats());

const workerEnv = (s: Scenario, cacheUrl: string, extra: Record<string, string> = {}) =>
  augmenterEnv(env, s, {
    CACHE_URL: cacheUrl,
    MODEL_VERSION: `so-${s.id}`,
    HTTP_PORT: "-1",
    LOG_LEVEL: "warn",
    FILE_CONCURRENCY: "2",
    ...extra,
  });

/** The figures a reader of the CI log wants: model pairs received against distinct pairs. */
function report(mock: ReturnType<typeof mockStats>, distinct: number) {
  console.info(
    `[scale-out] ${expect.getState().currentTestName}: model pairs received ${mock.pairsReceived}, distinct pairs ${distinct}, received more than once ${mock.pairsReceivedMoreThanOnce}`,
  );
}

async function verify(s: Scenario, lines: number) {
  const v = await verifySeeded(s);
  expect(v).toMatchObject({ linesChecked: lines, linesNotComparable: 0, mismatches: [], missingOutputs: [] });
  return v;
}

/** 3 `run` workers over the scenario: all exit 0, every line verified, each pair sent once. */
async function threeWorkersInferEachPairOnce(s: Scenario, cacheUrl: string, args = (_i: number) => ["run"]) {
  const workers = [1, 2, 3].map((i) =>
    spawnAugmenter(args(i), workerEnv(s, cacheUrl, { WORKER_ID: `w${i}` })),
  );
  const codes = await Promise.all(workers.map((w) => w.exited));
  expect(codes, workers.map((w) => w.err()).join("\n")).toEqual([0, 0, 0]);
  const v = await verify(s, 30_000);
  const mock = mockStats(env);
  report(mock, v.distinctPairs);
  expect(mock.pairsReceived).toBe(v.distinctPairs);
  expect(mock.pairsReceivedMoreThanOnce).toBe(0);
  return v;
}

interface WorkerReport {
  files: Array<{ key: string; status: string }>;
  model: { pairsSent: number };
}

describe("scale-out: 3 workers on one Redis", () => {
  it("30 files: every line exactly once, model pairs = distinct pairs, none received twice", async () => {
    const s = await scenario(env);
    await generateClean(s.store("raw"), 30, 1000, "scale-out");
    const v = await threeWorkersInferEachPairOnce(s, env.redisUrl, (i) => [
      "run",
      "--report",
      join(env.dir, `${s.id}-w${i}.json`),
    ]);
    // Each file done by exactly one worker, and the work was shared.
    const reports = await Promise.all(
      [1, 2, 3].map((i) => readJson<WorkerReport>(join(env.dir, `${s.id}-w${i}.json`))),
    );
    const done = reports.flatMap((r) => r.files.filter((f) => f.status === "done").map((f) => f.key));
    expect(done.length).toBe(30);
    expect(new Set(done).size).toBe(30);
    expect(reports.filter((r) => r.files.length > 0).length).toBeGreaterThanOrEqual(2);
    expect(reports.reduce((n, r) => n + r.model.pairsSent, 0)).toBe(v.distinctPairs);
  }, 180_000);

  it("a worker killed mid-file: its files finish on the others; extra model pairs bounded by its in-flight batches", async () => {
    const s = await scenario(env);
    await generateClean(s.store("raw"), 30, 1000, "scale-out");
    // A slow shared rate keeps the run going long enough to kill a worker inside it.
    const extra = { MODEL_RATE: "3000", FILE_LEASE_MS: "2000", PAIR_CLAIM_MS: "3000" };
    const victim = spawnAugmenter(["run"], workerEnv(s, env.redisUrl, { ...extra, WORKER_ID: "victim" }));
    const redis = new Redis(env.redisUrl);
    // Kill it once it holds a file lease (it is inside a file).
    await until(
      "the victim leases a file",
      async () => {
        const leases = await redis.keys("sen:lease:*");
        const held = await Promise.all(leases.map((k) => redis.get(k)));
        return held.some((v) => v?.startsWith("victim:"));
      },
      30_000,
      victim.err,
      50,
    );
    const others = [1, 2].map((i) =>
      spawnAugmenter(["run"], workerEnv(s, env.redisUrl, { ...extra, WORKER_ID: `w${i}` })),
    );
    await sleep(300);
    victim.child.kill("SIGKILL");
    expect(await victim.exited).toBe(null);
    const codes = await Promise.all(others.map((w) => w.exited));
    redis.disconnect();
    expect(codes, others.map((w) => w.err()).join("\n")).toEqual([0, 0]);
    const v = await verify(s, 30_000);
    const mock = mockStats(env);
    report(mock, v.distinctPairs);
    // Pairs the victim had sent when it died were answered to nobody: inferred again, at most
    // its RPCs in flight (2 × 1000 pairs).
    expect(mock.pairsReceived).toBeGreaterThanOrEqual(v.distinctPairs);
    expect(mock.pairsReceived - v.distinctPairs).toBeLessThanOrEqual(2000);
    expect(mock.pairsReceivedMoreThanOnce).toBeLessThanOrEqual(2000);
  }, 180_000);
});

describe("scale-out on a Redis Cluster (3 masters, 3 replicas)", () => {
  it("3 workers over 30 files: every line exactly once, model pairs = distinct pairs, none received twice", async () => {
    const cluster = await startLocalRedisCluster({ masters: 3, replicas: 1 });
    try {
      const s = await scenario(env);
      await generateClean(s.store("raw"), 30, 1000, "scale-out");
      await threeWorkersInferEachPairOnce(s, cluster.url);
    } finally {
      await cluster.stop();
    }
  }, 180_000);

  it("3 workers over 30 files, one worker and one master killed mid-run: every line once, pairs inferred once but for the killed work", async () => {
    const cluster = await startLocalRedisCluster({ masters: 3, replicas: 1 });
    const workers: SpawnedAugmenter[] = [];
    try {
      const s = await scenario(env);
      await generateClean(s.store("raw"), 30, 1000, "scale-out");
      // serve mode: a file that fails while the cluster fails over is retried a moment later.
      const extra = {
        MODEL_RATE: "3000",
        POLL_INTERVAL_MS: "200",
        FILE_RETRY_BASE_MS: "200",
        FILE_MAX_ATTEMPTS: "100",
        FILE_LEASE_MS: "2000",
        PAIR_CLAIM_MS: "3000",
      };
      for (const i of [1, 2, 3])
        workers.push(spawnAugmenter(["serve"], workerEnv(s, cluster.url, { ...extra, WORKER_ID: `w${i}` })));
      const log = () => workers.map((w) => w.err()).join("\n");
      await untilOutputs(s, { atLeast: 5 }, 60_000, log);
      workers[2]?.child.kill("SIGKILL");
      await cluster.nodes[0]?.stop(); // a master: its replica is promoted
      await untilOutputs(s, { all: 30 }, 120_000, log);
      for (const w of workers.slice(0, 2)) w.child.kill("SIGTERM");
      expect(await Promise.all(workers.slice(0, 2).map((w) => w.exited))).toEqual([0, 0]);
      const v = await verify(s, 30_000);
      const mock = mockStats(env);
      report(mock, v.distinctPairs);
      // Extra inferences: the killed worker's RPCs in flight (2 × 1000 pairs) and values the
      // dead master had acknowledged but not yet replicated.
      expect(mock.pairsReceived).toBeGreaterThanOrEqual(v.distinctPairs);
      expect(mock.pairsReceived - v.distinctPairs).toBeLessThanOrEqual(3000);
    } finally {
      for (const w of workers) w.child.kill("SIGKILL");
      await cluster.stop();
    }
  }, 240_000);
});
