import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalRedis, type LocalRedisServer } from "@rl/cache/testing";
import { registerQueueMetrics, QUEUE_STATES, type JobCountsSource } from "./queue-metrics";
import { settledFileQueue, type SettledFileQueue } from "./testing/settled-file-queue";

/** Series of one gauge from the registry, as `state=value` (or `queue=value`) lines. */
async function series(registry: Registry, name: string, label: "state" | "queue") {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  if (!metric) throw new Error(`${name} is not registered`);
  return Object.fromEntries(metric.values.map((v) => [String(v.labels[label]), v.value]));
}

describe("BullMQ queue metrics on a real Redis", () => {
  let redis: LocalRedisServer;
  let files: SettledFileQueue;
  beforeAll(async () => {
    redis = await startLocalRedis();
    files = await settledFileQueue(redis.port);
  });
  afterAll(async () => {
    await files?.close();
    await redis?.stop();
  });

  it("exports the queue's job counts per state, read at scrape time", async () => {
    const registry = new Registry();
    registerQueueMetrics([files.queue], registry);
    await files.queue.add("later.jsonl", { key: "later.jsonl", etag: "x" }, { delay: 60_000 });
    await files.queue.add("next.jsonl", { key: "next.jsonl", etag: "y" });

    const counts = await files.queue.getJobCounts(...QUEUE_STATES);
    expect(counts).toMatchObject({ completed: 1, failed: 1, delayed: 1, waiting: 1, active: 0 });
    expect(await series(registry, "augmenter_queue_jobs", "state")).toEqual(counts);
    expect(await series(registry, "augmenter_queue_counts_read", "queue")).toEqual({ [files.queue.name]: 1 });
    // The text Prometheus reads, with the queue's name as a label.
    expect(await registry.metrics()).toContain(
      `augmenter_queue_jobs{queue="${files.queue.name}",state="failed"} 1`,
    );
  });
});

describe("BullMQ queue metrics when Redis is slow", () => {
  it("answers /metrics within the timeout, with no stale counts and the read marked failed", async () => {
    let calls = 0;
    let answer: Record<string, number> | undefined = { waiting: 4, failed: 2 };
    const queue: JobCountsSource = {
      name: "files",
      getJobCounts: () => {
        calls++;
        const a = answer;
        return a ? Promise.resolve(a) : new Promise(() => {}); // never answers
      },
    };
    const registry = new Registry();
    registerQueueMetrics([queue], registry, { timeoutMs: 100 });
    expect(await series(registry, "augmenter_queue_jobs", "state")).toMatchObject({ waiting: 4, failed: 2 });
    // Both gauges of a scrape share one read.
    expect(calls).toBe(1);

    answer = undefined;
    const t0 = Date.now();
    const text = await registry.metrics();
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(text).toContain('augmenter_queue_counts_read{queue="files"} 0');
    expect(text).not.toContain("augmenter_queue_jobs{");
  });
});
