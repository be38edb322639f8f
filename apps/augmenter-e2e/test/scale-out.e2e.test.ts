import { join } from "node:path";
import { clusterSlot } from "@rl/cache";
import { startLocalRedisCluster } from "@rl/cache/testing";
import { FILE_QUEUE_PREFIX, openFileQueue } from "augmenter";
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
  verifySeeded,
  type E2eEnvironment,
  type Scenario,
  type TestEnvironment,
} from "./env";

// N augmenter processes over one raw prefix, one Redis and one model: files handed out by the
// BullMQ file queue (each by one worker at a time), each pair inferred once across all of them,
// the model's rate shared, a killed worker's file finished by another (stalled-job recovery).
let env: E2eEnvironment;
beforeAll(async () => {
  env = await startEnv("scale-out");
});
afterAll(() => env.stop());
beforeEach(() => env.model.resetStats());

const gen = (store: Parameters<typeof generateClean>[0], files: number, perFile: number) =>
  generateClean(store, files, perFile, "scale-out");

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
function report(mock: ReturnType<TestEnvironment["model"]["stats"]>, distinct: number) {
  console.info(
    `[scale-out] ${expect.getState().currentTestName}: model pairs received ${mock?.pairsReceived}, distinct pairs ${distinct}, received more than once ${mock?.pairsReceivedMoreThanOnce}`,
  );
}

async function verify(s: Scenario, lines: number) {
  const v = await verifySeeded(s);
  expect(v).toMatchObject({ linesChecked: lines, linesNotComparable: 0, mismatches: [], missingOutputs: [] });
  return v;
}

/** 3 `run` workers over the scenario: all exit 0, every line verified, each pair sent once. */
async function threeWorkersInferEachPairOnce(
  s: Scenario,
  cacheUrl: string,
  args = (_i: number) => ["run"],
  extra: Record<string, string> = {},
) {
  const workers = [1, 2, 3].map((i) =>
    spawnAugmenter(args(i), workerEnv(s, cacheUrl, { ...extra, WORKER_ID: `w${i}` })),
  );
  const codes = await Promise.all(workers.map((w) => w.exited));
  expect(codes, workers.map((w) => w.err()).join("\n")).toEqual([0, 0, 0]);
  const v = await verify(s, 30_000);
  const mock = mockStats(env);
  report(mock, v.distinctPairs);
  expect(mock?.pairsReceived).toBe(v.distinctPairs);
  expect(mock?.pairsReceivedMoreThanOnce).toBe(0);
  return v;
}

interface WorkerReport {
  files: Array<{ key: string; status: string }>;
  model: { pairsSent: number };
}

/** The file queue of a scenario, as the workers open it. */
const queueOf = (s: Scenario, cacheUrl: string) =>
  openFileQueue({ cacheUrl, rawLocation: s.store("raw").location, modLocation: s.store("mod").location });

describe("scale-out: 3 workers on one Redis", () => {
  it("30 files: every line exactly once, model pairs = distinct pairs, none received twice, the shared model rate held", async () => {
    const s = await scenario(env);
    await gen(s.store("raw"), 30, 1000);
    // The mock answers at 100,000 pairs/s: what paces the workers is their shared rate.
    const rate = 1000;
    const batch = 500;
    const v = await threeWorkersInferEachPairOnce(
      s,
      env.redisUrl,
      (i) => ["run", "--report", join(env.dir, `${s.id}-w${i}.json`)],
      { MODEL_RATE: String(rate), MODEL_BATCH_SIZE: String(batch) },
    );
    // The mock counts pairs when it answers them, per whole second of its clock. The GCRA lets
    // the three together send at most rate × T + one batch in any T seconds; a call's latency
    // (up to a second on this shared machine) can carry its answers into the next second. So:
    // the whole run took at least as long as the shared rate allows (three workers each pacing
    // itself would take a third of it), no second passed 2 × rate + a batch, and no three
    // consecutive seconds passed 4 × rate + a batch (unpaced, three workers send 3 × rate a second).
    const bySecond = mockStats(env).answeredBySecond;
    console.info(
      `[scale-out] pairs answered per second at a shared MODEL_RATE=${rate}: ${bySecond.join(", ")}`,
    );
    expect(bySecond.length).toBeGreaterThanOrEqual(Math.floor(v.distinctPairs / rate) - 1);
    expect(Math.max(...bySecond)).toBeLessThanOrEqual(2 * rate + batch);
    const threeSeconds = bySecond.map((_, i) => bySecond.slice(i, i + 3).reduce((x, y) => x + y, 0));
    expect(Math.max(...threeSeconds)).toBeLessThanOrEqual(4 * rate + batch);
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

  it("a worker killed inside a file: the stalled job goes to another; extra model pairs bounded by its in-flight batches", async () => {
    const s = await scenario(env);
    await gen(s.store("raw"), 30, 1000);
    // A slow shared rate keeps the run going long enough to kill a worker inside it; a short
    // lock (FILE_LEASE_MS) lets the stalled check find its job within seconds.
    const extra = { MODEL_RATE: "3000", FILE_LEASE_MS: "5000", PAIR_CLAIM_MS: "3000" };
    const victim = spawnAugmenter(["run"], workerEnv(s, env.redisUrl, { ...extra, WORKER_ID: "victim" }));
    const q = queueOf(s, env.redisUrl);
    try {
      // Alone, the victim holds every active job: kill it once it is inside one.
      await until(
        "the victim took a file",
        async () => (await q.queue.getActiveCount()) > 0,
        30_000,
        victim.err,
      );
      const held = (await q.queue.getActive()).map((j) => j.data.key);
      const others = [1, 2].map((i) =>
        spawnAugmenter(["run"], workerEnv(s, env.redisUrl, { ...extra, WORKER_ID: `w${i}` })),
      );
      await sleep(300);
      victim.child.kill("SIGKILL");
      expect(await victim.exited).toBe(null);
      const codes = await Promise.all(others.map((w) => w.exited));
      expect(codes, others.map((w) => w.err()).join("\n")).toEqual([0, 0]);
      // The files it held were finished by the others, and nothing is left in the queue.
      for (const key of held) expect((await s.store("mod").head(key))?.metadata["source-etag"]).toBeTruthy();
      expect(await q.queue.getJobCounts("waiting", "active", "delayed", "failed")).toMatchObject({
        waiting: 0,
        active: 0,
        delayed: 0,
        failed: 0,
      });
    } finally {
      victim.child.kill("SIGKILL");
      await q.close();
    }
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
      await gen(s.store("raw"), 30, 1000);
      await threeWorkersInferEachPairOnce(s, cluster.url);
    } finally {
      await cluster.stop();
    }
  }, 180_000);

  it("3 workers over 30 files, one worker and the queue's master killed mid-run: work resumes within 60 s, every line once, pairs inferred once but for the killed work", async () => {
    const cluster = await startLocalRedisCluster({ masters: 3, replicas: 1 });
    const workers: Array<ReturnType<typeof spawnAugmenter>> = [];
    const closers: Array<() => Promise<void>> = [];
    try {
      const s = await scenario(env);
      await gen(s.store("raw"), 30, 1000);
      // serve mode: a file that fails while the cluster fails over is retried a moment later.
      const extra = {
        MODEL_RATE: "3000",
        POLL_INTERVAL_MS: "200",
        FILE_RETRY_BASE_MS: "200",
        FILE_MAX_ATTEMPTS: "100",
        // Long enough that a loaded machine's event-loop stalls do not pass for dead workers.
        FILE_LEASE_MS: "10000",
        PAIR_CLAIM_MS: "3000",
      };
      for (const i of [1, 2, 3])
        workers.push(spawnAugmenter(["serve"], workerEnv(s, cluster.url, { ...extra, WORKER_ID: `w${i}` })));
      // The queue as the test last saw it, for the message of a timeout.
      const q = queueOf(s, cluster.url);
      closers.push(() => q.close());
      let counts = "";
      const outputs = async () => {
        let n = 0;
        for await (const _ of s.store("mod").list()) n += 1;
        counts = JSON.stringify(
          await Promise.race([
            q.queue.getJobCounts().catch((e: Error) => e.message),
            sleep(2000).then(() => "no answer"),
          ]),
        );
        return n;
      };
      const logs = () => `queue: ${counts}\n${workers.map((w) => w.err() + w.out()).join("\n")}`;
      await until("5 outputs", async () => (await outputs()) >= 5, 120_000, logs);
      workers[2]?.child.kill("SIGKILL");
      // The master of the queue's slot (every queue key has the {augmenter} hash tag): its
      // replica is promoted. BullMQ workers have been known to hang on such a failover
      // (taskforcesh/bullmq#648, #3088): the work must go on within a bounded time.
      const queueMaster = await cluster.masterOf(clusterSlot(FILE_QUEUE_PREFIX));
      const before = await outputs();
      const killedAt = Date.now();
      await queueMaster.stop();
      // More outputs than the 2 live workers had files in flight (2 each): a file taken from the
      // queue after the failover was finished.
      const resumed = Math.min(30, before + 5);
      await until(
        "files taken from the queue after the failover",
        async () => (await outputs()) >= resumed,
        60_000,
        logs,
      );
      console.info(
        `[scale-out] ${resumed - before} more outputs ${Date.now() - killedAt} ms after the queue's master was killed`,
      );
      await until("all 30 outputs", async () => (await outputs()) === 30, 120_000, logs);
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
      for (const close of closers) await close();
      await cluster.stop();
    }
  }, 240_000);
});
