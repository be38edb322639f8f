import { gzipSync } from "node:zlib";
import { DEFAULT_GENERATE_OPTIONS, generateSamples, seedFromText } from "sample-generator";
import { freePort } from "@rl/cache/testing";
import type { ObjectInfo } from "@rl/s3";
import { FileEnqueuer, fileJobId, openFileQueue } from "augmenter";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  augmenterEnv,
  countObjects,
  scenario,
  sleep,
  spawnAugmenter,
  startEnv,
  until,
  type TestEnvironment,
} from "./env";

// Issue 16: files go through a BullMQ queue when the cache is Redis. Any number of scanners
// enqueue a (key, ETag) once; attempts are the queue's, so they add up across worker restarts;
// a file that fails for good is set aside in the failed set, listed and retried by
// `augmenter files`; a re-upload is a new job.
let env: TestEnvironment;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => env.stop());

type Scenario = Awaited<ReturnType<typeof scenario>>;
const queueOf = (s: Scenario) =>
  openFileQueue({
    cacheUrl: env.redisUrl,
    rawLocation: s.store("raw").location,
    modLocation: s.store("mod").location,
  });

async function listRaw(s: Scenario): Promise<ObjectInfo[]> {
  const files: ObjectInfo[] = [];
  for await (const o of s.store("raw").list()) files.push(o);
  return files;
}

/** `augmenter files …` on the scenario; resolves with its exit code and output. */
async function filesCommand(s: Scenario, args: string[]) {
  const p = spawnAugmenter(["files", ...args], augmenterEnv(env, s));
  const code = await p.exited;
  return { code, out: p.out(), err: p.err() };
}

describe("the file queue (real redis-server and S3)", () => {
  it("3 scanners at once enqueue each (key, ETag) once; a re-upload is one new job", async () => {
    const s = await scenario(env);
    await generateSamples(s.store("raw"), {
      ...DEFAULT_GENERATE_OPTIONS,
      total: 3000,
      split: 100,
      seed: seedFromText("file-queue"),
      badRate: 0,
    });
    const files = await listRaw(s);
    expect(files.length).toBe(30);
    // Three scanners, each its own connection, each enqueueing the whole listing three times.
    const queues = [1, 2, 3].map(() => queueOf(s));
    try {
      await Promise.all(
        queues.flatMap((q) => {
          const e = new FileEnqueuer(q.queue, { attempts: 5, maxWaiting: 1000 });
          return [1, 2, 3].map(() => e.addAll(files));
        }),
      );
      const q = queues[0]!.queue;
      expect(await q.getJobCounts("waiting", "active", "delayed", "failed")).toMatchObject({ waiting: 30 });
      const ids = (await q.getWaiting(0, -1)).map((j) => j.id);
      expect(new Set(ids)).toEqual(new Set(files.map((f) => fileJobId(f.key, f.etag))));

      // The same key with other bytes: a new ETag, a new job beside the old one.
      const first = files[0]!;
      await s.store("raw").put(first.key, `${JSON.stringify({ company: "Re", title: "Upload" })}\n`);
      const again = await listRaw(s);
      await Promise.all(
        queues.map((x) => new FileEnqueuer(x.queue, { attempts: 5, maxWaiting: 1000 }).addAll(again)),
      );
      expect(await q.getWaitingCount()).toBe(31);

      // A bounded scan adds no more than the room left under maxWaiting.
      const s2 = await scenario(env);
      const bounded = queueOf(s2);
      try {
        const e = new FileEnqueuer(bounded.queue, { attempts: 5, maxWaiting: 10 });
        expect(await e.addBounded(files)).toBe(10);
        expect(await e.addBounded(files)).toBe(0);
        expect(await bounded.queue.getWaitingCount()).toBe(10);
      } finally {
        await bounded.close();
      }
    } finally {
      for (const q of queues) await q.close();
    }
  }, 60_000);

  it("a file failing at every try is set aside after FILE_MAX_ATTEMPTS tries counted across worker restarts; `files retry` completes it once the cause is gone", async () => {
    const s = await scenario(env);
    const key = "1721183880.jsonl";
    await s.store("raw").put(key, `${JSON.stringify({ company: "Acme", title: "Never Inferred" })}\n`);
    // A model that is not there: each try of the file fails (retryable: UNAVAILABLE).
    const deadModel = `127.0.0.1:${await freePort()}`;
    const workerEnv = augmenterEnv(env, s, {
      SENIORITY_GRPC_ADDR: deadModel,
      MODEL_MAX_ATTEMPTS: "1",
      MODEL_DEADLINE_MS: "1000",
      FILE_MAX_ATTEMPTS: "3",
      // Tries 2 s, then 4 s apart: room to stop a worker between two of them.
      FILE_RETRY_BASE_MS: "2000",
      POLL_INTERVAL_MS: "200",
      HTTP_PORT: "-1",
    });
    const q = queueOf(s);
    const id = fileJobId(key, (await s.store("raw").head(key))!.etag);
    const attempts = async () => (await q.queue.getJob(id))?.attemptsMade ?? 0;
    try {
      // Each worker makes one try and is stopped; the next one goes on from the queue's count.
      for (const n of [1, 2]) {
        const w = spawnAugmenter(["serve"], workerEnv);
        await until(`try ${n}`, async () => (await attempts()) >= n, 60_000, w.err);
        w.child.kill("SIGTERM");
        expect(await w.exited).toBe(0);
        expect(await attempts()).toBe(n);
      }
      const last = spawnAugmenter(["serve"], workerEnv);
      await until(
        "the failed set",
        async () => (await q.queue.getJobState(id)) === "failed",
        60_000,
        last.out,
      );
      await sleep(1500); // a process keeping its own count would try again here
      last.child.kill("SIGTERM");
      expect(await last.exited).toBe(0);
      expect(await attempts()).toBe(3);
      expect(last.out()).toMatch(
        new RegExp(`"file":"${key}".*"msg":"file set aside after repeated failures`),
      );

      const listed = await filesCommand(s, ["list-failed"]);
      expect(listed.code, listed.err).toBe(0);
      const row = listed.out.split("\n").find((l) => l.startsWith(`${key}\t`)) ?? "";
      const [, etag, tries, when, reason] = row.split("\t");
      expect(etag).toBe((await s.store("raw").head(key))!.etag);
      expect(tries).toBe("3");
      expect(Number.isNaN(Date.parse(when ?? ""))).toBe(false);
      expect(reason).toMatch(/model|UNAVAILABLE|No connection/i);
      expect(listed.out).toMatch(/^1 failed file$/m);

      // A run now reports it set aside (it does not try it again by itself) and exits 1.
      const run = spawnAugmenter(["run"], augmenterEnv(env, s));
      expect(await run.exited, run.err()).toBe(1);
      expect(run.out(), run.err()).toMatch(
        new RegExp(`${key.replace(".", "\\.")}: set aside after 3 attempts`),
      );

      expect((await filesCommand(s, ["retry", "nothing.jsonl"])).code).toBe(1);
      const retried = await filesCommand(s, ["retry", key]);
      expect(retried.code, retried.err).toBe(0);
      expect(retried.out).toContain(`retrying ${key}`);
      // With the model back: the retried job is done and leaves the queue.
      const fixed = spawnAugmenter(["run"], augmenterEnv(env, s));
      expect(await fixed.exited, fixed.err()).toBe(0);
      expect((await s.store("mod").head(key))?.metadata["source-etag"]).toBe(etag);
      expect(await q.queue.getJobCounts("waiting", "active", "delayed", "failed")).toMatchObject({
        waiting: 0,
        active: 0,
        delayed: 0,
        failed: 0,
      });
    } finally {
      await q.close();
    }
  }, 240_000);

  it("corrupt gzip is set aside at its first try (it can never succeed); a fixed re-upload is a new job and succeeds", async () => {
    const s = await scenario(env);
    const key = "1721183940.jsonl.gz";
    const line = `${JSON.stringify({ company: "Acme", title: "CEO" })}\n`;
    await s.store("raw").put(key, Buffer.concat([gzipSync(line).subarray(0, 12), Buffer.from("garbage")]));
    const w = spawnAugmenter(
      ["serve"],
      augmenterEnv(env, s, { FILE_MAX_ATTEMPTS: "5", POLL_INTERVAL_MS: "200", HTTP_PORT: "-1" }),
    );
    const q = queueOf(s);
    try {
      const bad = fileJobId(key, (await s.store("raw").head(key))!.etag);
      await until("the failed set", async () => (await q.queue.getJobState(bad)) === "failed", 60_000, w.err);
      expect((await q.queue.getJob(bad))?.attemptsMade).toBe(1);
      expect(w.out()).toMatch(/"msg":"file set aside: its input can never be processed as it is/);
      const listed = await filesCommand(s, ["list-failed"]);
      expect(listed.out).toMatch(new RegExp(`^${key.replace(/\./g, "\\.")}\t.*\t1\t.*corrupt gzip`, "m"));

      await s.store("raw").put(key, gzipSync(line));
      await until(
        "the output of the fixed upload",
        async () => (await countObjects(s.store("mod"))) === 1,
        60_000,
        w.err,
      );
      const etag = (await s.store("raw").head(key))!.etag;
      expect((await s.store("mod").head(key))?.metadata["source-etag"]).toBe(etag);
      // The corrupt version stays set aside, with its own (old) ETag.
      expect(await q.queue.getJobState(bad)).toBe("failed");
    } finally {
      w.child.kill("SIGTERM");
      await w.exited;
      await q.close();
    }
  }, 120_000);

  it("`files` on a cache that is not Redis says what it needs", async () => {
    const s = await scenario(env);
    const p = spawnAugmenter(["files", "list-failed"], augmenterEnv(env, s, { CACHE_URL: "memory:" }));
    expect(await p.exited).toBe(2);
    expect(p.err()).toContain("the file queue needs CACHE_URL=redis://… or redis-cluster://…");
  }, 30_000);
});
