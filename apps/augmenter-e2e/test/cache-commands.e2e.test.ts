import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { Redis } from "ioredis";
import { LmdbStore, normaliseText, openSeniorityStore, pairKey, pairText, storageNamespace } from "@rl/cache";
import { RedisStore } from "@rl/cache/redis";
import { startLocalRedisCluster } from "@rl/cache/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mockStats, root, scenario, startEnv, type E2eEnvironment } from "./env";

const exec = promisify(execFile);
let env: E2eEnvironment;
beforeAll(async () => {
  env = await startEnv("cache-cmd");
});
afterAll(() => env.stop());

async function cache(
  args: string[],
  extraEnv: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(
      `${root}node_modules/.bin/tsx`,
      [`${root}apps/augmenter/src/main.ts`, "cache", ...args],
      {
        cwd: root,
        env: { ...process.env, NODE_NO_WARNINGS: "1", ...extraEnv },
      },
    );
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
const key = (c: string, t: string) =>
  pairKey(pairText(normaliseText(c, "default"), normaliseText(t, "default")));
async function redisValues(ns: string, pairs: Array<[string, string]>) {
  const s = await RedisStore.open(new Redis(env.redisUrl), { modelVersion: storageNamespace(ns) });
  const v = await s.getMany(pairs.map(([c, t]) => key(c, t)));
  await s.close();
  return v;
}

describe("augmenter cache", () => {
  it("import: CSV with quotes, header order and BOM, TSV, gzipped JSONL; idempotent; conflicts kept unless --overwrite", async () => {
    const ns = `imp-${randomUUID().slice(0, 8)}`;
    const e = { CACHE_URL: env.redisUrl, MODEL_VERSION: ns };
    const csv = join(env.dir, `${ns}.csv`);
    await writeFile(
      csv,
      '\uFEFFtitle,seniority,company\r\n"Senior ""Data"" Engineer",3,"Acme, Inc."\r\nCEO,7,Acme\r\nIntern,9,Acme\r\n',
    );
    const r1 = await cache(["import", csv, "--max-bad-fraction", "0.5"], e);
    expect(r1.code).toBe(0);
    expect(r1.stdout).toMatch(/new 2, unchanged 0, conflicts 0/);
    expect(r1.stdout).toContain(`bad row: ${csv} line 4: seniority "9" is not an integer from 1 to 7`);
    expect(
      await redisValues(ns, [
        ["Acme, Inc.", 'Senior "Data" Engineer'],
        ["Acme", "CEO"],
      ]),
    ).toEqual([3, 7]);

    const again = await cache(["import", csv, "--max-bad-fraction", "0.5"], e);
    expect(again.stdout).toMatch(/new 0, unchanged 2, conflicts 0/);

    const tsv = join(env.dir, `${ns}.tsv`);
    await writeFile(tsv, "company\ttitle\tseniority\nAcme\tCEO\t6\nAcme\t  Junior   Dev \t2\n");
    const kept = await cache(["import", tsv], e);
    expect(kept.stdout).toMatch(/new 1, unchanged 0, conflicts 1 \(existing values kept/);
    expect(
      await redisValues(ns, [
        ["Acme", "CEO"],
        ["Acme", "Junior Dev"],
      ]),
    ).toEqual([7, 2]);
    const over = await cache(["import", tsv, "--overwrite"], e);
    expect(over.stdout).toMatch(/conflicts 1 \(1 overwritten\)/);
    expect(await redisValues(ns, [["Acme", "CEO"]])).toEqual([6]);

    const jsonl = join(env.dir, `${ns}.jsonl.gz`);
    await writeFile(jsonl, gzipSync('{"company":"Beta","title":"VP Sales","seniority":5}\n'));
    expect((await cache(["import", jsonl], e)).stdout).toMatch(/new 1/);
  }, 60_000);

  it("import fails past the bad-row threshold, naming lines; reads from S3 too", async () => {
    const ns = `bad-${randomUUID().slice(0, 8)}`;
    const s = await scenario(env);
    await s.store("seed").put("rows.csv", "company,title,seniority\nA,T,3\nA,U,x\nB,T,4\n");
    const r = await cache(["import", `${s.uri("seed")}rows.csv`], {
      CACHE_URL: env.redisUrl,
      MODEL_VERSION: ns,
      S3_ENDPOINT: env.s3.endpoint,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/line 3: seniority "x" is not an integer/);
    expect(r.stderr).toMatch(/1 bad rows of 3 \(33\.33%\) exceed the limit of 1\.00% \(--max-bad-fraction\)/);
  }, 30_000);

  it("export / restore move a namespace Redis → LMDB → Redis unchanged; stats and drop", async () => {
    const ns = `mig-${randomUUID().slice(0, 8)}`;
    const rows = Array.from({ length: 3000 }, (_, i) => `Company ${i % 97},Title ${i},${(i % 7) + 1}`);
    const csv = join(env.dir, `${ns}.csv`);
    await writeFile(csv, `company,title,seniority\n${rows.join("\n")}\n`);
    const redisEnv = { CACHE_URL: env.redisUrl, MODEL_VERSION: ns };
    expect((await cache(["import", csv], redisEnv)).code).toBe(0);

    const dump = join(env.dir, `${ns}.export.gz`);
    expect((await cache(["export", dump], redisEnv)).stdout).toMatch(/exported 3,000 pairs/);
    const lmdbDir = join(env.dir, `lmdb-${ns}`);
    expect((await cache(["restore", dump], { CACHE_URL: `lmdb://${lmdbDir}` })).stdout).toMatch(
      /restoring into lmdb:\/\/.* namespace mig-[^\n]*\n.*restored 3,000 pairs/s,
    );
    const lmdb = LmdbStore.open(lmdbDir, storageNamespace(ns));
    const pairs = Array.from(
      { length: 3000 },
      (_, i) => [`Company ${i % 97}`, `Title ${i}`] as [string, string],
    );
    expect(await lmdb.getMany(pairs.map(([c, t]) => key(c, t)))).toEqual(pairs.map((_, i) => (i % 7) + 1));
    await lmdb.close();

    const back = join(env.dir, `${ns}.lmdb-export`);
    expect((await cache(["export", back], { CACHE_URL: `lmdb://${lmdbDir}`, MODEL_VERSION: ns })).code).toBe(
      0,
    );
    const ns2 = `${ns}-back`;
    expect(
      (await cache(["restore", back, "--model-version", ns2], { CACHE_URL: env.redisUrl })).stdout,
    ).toMatch(/restored 3,000 pairs/);
    expect(await redisValues(ns2, pairs)).toEqual(pairs.map((_, i) => (i % 7) + 1));

    const stats = await cache(["stats"], redisEnv);
    expect(stats.stdout).toMatch(new RegExp(`namespaces \\(model versions\\) in .*${ns}`));
    expect(stats.stdout).toMatch(/namespace mig-\S+: 3,000 pairs, [\d.]+ bytes\/pair/);
    expect(stats.stdout).toMatch(/encodings \{"listpack":\d+\}/);
    expect((await cache(["stats"], { CACHE_URL: `lmdb://${lmdbDir}`, MODEL_VERSION: ns })).stdout).toMatch(
      /3,000 pairs, [\d.]+ bytes\/pair/,
    );

    expect((await cache(["drop"], { CACHE_URL: env.redisUrl })).code).toBe(2);
    expect((await cache(["drop", "--model-version", ns], { CACHE_URL: env.redisUrl })).stdout).toMatch(
      /dropped namespace mig-\S+: [\d,]+ keys unlinked/,
    );
    const client = new Redis(env.redisUrl);
    expect(await client.keys(`sen:${storageNamespace(ns)}:*`)).toEqual([]);
    client.disconnect();
  }, 90_000);

  it("a namespace of the superseded key encoding is listed as such, never read by the service, and dropped with --key-encoding 1", async () => {
    const ns = `old-${randomUUID().slice(0, 8)}`;
    // What a version before the injective key wrote: `sen:<version>:...`, keyed by company NUL title.
    const legacy = await RedisStore.open(new Redis(env.redisUrl), { modelVersion: ns });
    await legacy.setMany([[pairKey(`Acme\u0000CEO`), 2]]);
    await legacy.close();
    const stats = await cache(["stats"], { CACHE_URL: env.redisUrl, MODEL_VERSION: ns });
    expect(stats.stdout).toContain(`${ns} (superseded key encoding 1)`);
    // Looking does not create the current namespace (nor fix its bucket count for whoever looked).
    expect(stats.stdout).toMatch(/namespace old-\S+: not created yet \(no pairs\)/);
    const look = new Redis(env.redisUrl);
    expect(await look.exists(`sen:${storageNamespace(ns)}:meta`)).toBe(0);
    look.disconnect();
    expect(
      (await cache(["stats", "--key-encoding", "1"], { CACHE_URL: env.redisUrl, MODEL_VERSION: ns })).stdout,
    ).toMatch(/namespace old-\S+ \(superseded key encoding 1\): 1 pairs/);
    const run = await cache(["import", "x.csv", "--key-encoding", "1"], { CACHE_URL: env.redisUrl });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--key-encoding 1 is superseded/);
    expect(
      (await cache(["drop", "--model-version", ns, "--key-encoding", "1"], { CACHE_URL: env.redisUrl }))
        .stdout,
    ).toMatch(/dropped namespace old-\S+ \(superseded key encoding 1\): [\d,]+ keys unlinked/);
    const client = new Redis(env.redisUrl);
    expect(await client.keys(`sen:${ns}:*`)).toEqual([]);
    client.disconnect();
  }, 60_000);

  it("moves a namespace Redis → Redis Cluster → LMDB; import, stats and drop on a real cluster", async () => {
    const cluster = await startLocalRedisCluster({ masters: 3, replicas: 1 });
    try {
      const ns = `cl-${randomUUID().slice(0, 8)}`;
      const pairs = Array.from(
        { length: 3000 },
        (_, i) => [`Company ${i % 97}`, `Title ${i}`] as [string, string],
      );
      const expected = pairs.map((_, i) => (i % 7) + 1);
      const csv = join(env.dir, `${ns}.csv`);
      await writeFile(
        csv,
        `company,title,seniority\n${pairs.map(([c, t], i) => `${c},${t},${expected[i]}`).join("\n")}\n`,
      );
      expect((await cache(["import", csv], { CACHE_URL: env.redisUrl, MODEL_VERSION: ns })).code).toBe(0);
      const dump = join(env.dir, `${ns}.export.gz`);
      expect((await cache(["export", dump], { CACHE_URL: env.redisUrl, MODEL_VERSION: ns })).code).toBe(0);

      const onCluster = { CACHE_URL: cluster.url, MODEL_VERSION: ns };
      expect((await cache(["restore", dump], { CACHE_URL: cluster.url })).stdout).toMatch(
        /restored 3,000 pairs/,
      );
      const store = await openSeniorityStore(cluster.url, { modelVersion: ns });
      expect(await store.getMany(pairs.map(([c, t]) => key(c, t)))).toEqual(expected);
      await store.close();

      const fromCluster = join(env.dir, `${ns}.cluster-export`);
      expect((await cache(["export", fromCluster], onCluster)).stdout).toMatch(/exported 3,000 pairs/);
      const lmdbDir = join(env.dir, `lmdb-${ns}`);
      expect((await cache(["restore", fromCluster], { CACHE_URL: `lmdb://${lmdbDir}` })).stdout).toMatch(
        /restored 3,000 pairs/,
      );
      const lmdb = LmdbStore.open(lmdbDir, storageNamespace(ns));
      expect(await lmdb.getMany(pairs.map(([c, t]) => key(c, t)))).toEqual(expected);
      await lmdb.close();

      const again = await cache(["import", csv], onCluster);
      expect(again.stdout).toMatch(/new 0, unchanged 3000, conflicts 0/);
      const stats = await cache(["stats"], onCluster);
      expect(stats.stdout).toMatch(new RegExp(`namespace ${ns}: 3,000 pairs, [\\d.]+ bytes/pair`));
      expect(stats.stdout).toMatch(/encodings \{"listpack":\d+\}/);
      expect((await cache(["drop", "--model-version", ns], { CACHE_URL: cluster.url })).code).toBe(0);
      // The listing must be there for its not naming `ns` to mean anything.
      const after = await cache(["stats"], { CACHE_URL: cluster.url, MODEL_VERSION: "none" });
      expect(after.code, after.stderr).toBe(0);
      expect(after.stdout).toMatch(/^namespaces \(model versions\) in .*: /m);
      expect(after.stdout).not.toContain(ns);
    } finally {
      await cluster.stop();
    }
  }, 120_000);

  it("a warmed cache spares the model: import the pairs, then the run sends none", async () => {
    const s = await scenario(env);
    const postings = ['{"company":"Acme","title":"CEO"}', '{"company":"Acme","title":" Senior  Dev "}'];
    await s.store("raw").put("1721183880.jsonl", `${postings.join("\n")}\n`);
    const ns = `test-${s.id}`;
    const csv = join(env.dir, `${ns}.csv`);
    await writeFile(csv, "company,title,seniority\nAcme,CEO,7\nAcme,Senior Dev,3\n");
    expect((await cache(["import", csv], { CACHE_URL: env.redisUrl, MODEL_VERSION: ns })).code).toBe(0);
    env.model.resetStats();
    const report = await s.run();
    expect(report.model.pairsSent).toBe(0);
    expect(mockStats(env).pairsReceived).toBe(0);
  }, 60_000);
});

describe("augmenter cache warm", () => {
  it("infers the historic inputs' pairs ahead of time; the run after it sends none", async () => {
    const s = await scenario(env);
    const raw = s.store("raw");
    await raw.put(
      "1721183880.jsonl",
      [
        '{"company":"Acme","title":"CEO"}',
        '{"company":"Acme","title":"CTO"}',
        '{"company":"Acme","title":"CEO"}',
      ].join("\n") + "\n",
    );
    env.model.resetStats();
    const r = await cache(["warm", "--from", s.uri("raw")], {
      CACHE_URL: env.redisUrl,
      MODEL_VERSION: `test-${s.id}`,
      SENIORITY_GRPC_ADDR: env.model.address,
      MODEL_RATE: "100000",
      S3_ENDPOINT: env.s3.endpoint,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/1 files, 3 records, 2 distinct pairs: 0 already cached, 2 inferred/);
    expect(mockStats(env).pairsReceived).toBe(2);
    env.model.resetStats();
    const report = await s.run();
    expect(report.model.pairsSent).toBe(0);
  }, 60_000);
});
