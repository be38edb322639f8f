// Warm-cache throughput of the whole pipeline (S3 in, cache, S3 out) with Redis and with
// LMDB, each as a fraction of a bare split + JSON.parse + splice loop over the same bytes,
// measured in the same run; plus Redis bytes per cached pair from INFO memory. Each run is the
// built augmenter in its own process (`augmenter run`), as production runs it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { text } from "node:stream/consumers";
import { Redis } from "ioredis";
import { option, parseOptions } from "@rl/cli";
import { startLocalRedis } from "@rl/cache/testing";
import { startLocalS3Server } from "@rl/s3/testing";
import { S3ObjectStore, createS3Client } from "@rl/s3/s3-object-store";
import { startMockSeniorityServer } from "mock-seniority-server";
import { DEFAULT_GENERATE_OPTIONS, generateSamples, seedFromText } from "sample-generator";
import { runAugmenter, type AugmenterTarget } from "./bench/run-augmenter";

const { values: o } = parseOptions(
  {
    total: option.number("total", "Postings", { default: 200_000, integer: true, min: 1 }),
    split: option.number("split", "Per file", { default: 20_000, integer: true, min: 1 }),
  },
  process.argv.slice(2),
  process.env,
);

const redis = await startLocalRedis();
const s3 = await startLocalS3Server({ buckets: ["rl-data"] });
const mock = await startMockSeniorityServer({ port: 0, pairsPerSecond: 1_000_000 });
const lmdbDir = await mkdtemp(join(tmpdir(), "bench-lmdb-"));
const client = createS3Client({ endpoint: s3.endpoint, credentials: s3.credentials });
const raw = new S3ObjectStore(client, { bucket: "rl-data", prefix: "warm/raw/" });

try {
  const gen = await generateSamples(raw, {
    ...DEFAULT_GENERATE_OPTIONS,
    total: o.total,
    split: o.split,
    seed: seedFromText("bench"),
  });
  const target = (cacheUrl: string, modPrefix: string): AugmenterTarget => ({
    s3,
    modelAddress: mock.address,
    modelRate: 1_000_000,
    cacheUrl,
    modelVersion: "bench-warm",
    prefix: "warm",
    modPrefix,
    // Sized to the data, as an operator would: about 100 fields a bucket.
    extraEnv: { EXPECTED_PAIRS: String(gen.distinctPairs) },
  });

  // The bare loop over the same bytes: split, JSON.parse, splice. No I/O, no cache.
  const bodies: string[] = [];
  for await (const f of raw.list()) bodies.push(await text(await raw.get(f.key)));
  const bare = () => {
    const t0 = performance.now();
    let n = 0;
    let bytes = 0;
    for (const body of bodies) {
      let out = "";
      for (const line of body.split("\n")) {
        if (line === "") continue;
        const v = JSON.parse(line) as { title: string };
        out += `${line.slice(0, -1)},"seniority":${(v.title.length % 7) + 1}}\n`;
        n += 1;
      }
      bytes += out.length;
    }
    return { linesPerSecond: n / ((performance.now() - t0) / 1000), bytes };
  };

  const rows: Array<Record<string, string | number>> = [];
  const measure = async (name: string, cacheUrl: string) => {
    const redisClient = cacheUrl.startsWith("redis") ? new Redis(cacheUrl) : undefined;
    const mem0 = redisClient ? Number(/used_memory:(\d+)/.exec(await redisClient.info("memory"))?.[1]) : 0;
    // Cold: fills the L2.
    const cold = await runAugmenter(target(cacheUrl, `${name}-cold`));
    const mem1 = redisClient ? Number(/used_memory:(\d+)/.exec(await redisClient.info("memory"))?.[1]) : 0;
    redisClient?.disconnect();
    // Warm from L2: a new process, empty L1.
    const b0 = bare();
    const warm = await runAugmenter(target(cacheUrl, `${name}-warm`));
    const b1 = bare();
    const bareRate = (b0.linesPerSecond + b1.linesPerSecond) / 2;
    const warmRate = warm.totals.records / warm.wallSeconds;
    rows.push({
      cache: name,
      coldSeconds: +cold.wallSeconds.toFixed(2),
      coldModelPairs: cold.model.pairsSent,
      warmSeconds: +warm.wallSeconds.toFixed(2),
      warmModelPairs: warm.model.pairsSent,
      warmLinesPerSecond: Math.round(warmRate),
      bareLoopLinesPerSecond: Math.round(bareRate),
      fractionOfBareLoop: +(warmRate / bareRate).toFixed(3),
      warmCacheReadSeconds: +(warm.totals.cacheReadMs / 1000).toFixed(2),
      coldCacheWriteSeconds: +(cold.cache.writeMs / 1000).toFixed(2),
      ...(mem1 > 0 ? { redisBytesPerPair: +((mem1 - mem0) / cold.model.pairsSent).toFixed(1) } : {}),
    });
  };
  await measure("redis", redis.url);
  await measure("lmdb", `lmdb://${lmdbDir}`);
  console.log(
    `postings: ${gen.records}, files: ${gen.files}, distinct pairs (exact text): ${gen.distinctPairs}`,
  );
  console.table(rows);
  console.log(JSON.stringify(rows));
} finally {
  await mock.stop();
  await s3.stop();
  await redis.stop();
  await rm(lmdbDir, { recursive: true, force: true });
}
