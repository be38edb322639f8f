import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seededSeniority } from "mock-seniority-server";
import { startLocalRedis } from "@rl/cache/testing";
import type { RunReport } from "augmenter";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  SEED,
  augmenterEnv,
  generateClean,
  mockStats,
  readText,
  scenario,
  sleep,
  spawnAugmenter,
  startEnv,
  untilOutputs,
  verifySeeded,
  type E2eEnvironment,
  type Scenario,
} from "./env";

// Issue 11: at the edges (huge fields, requests past the model's message limit, L2 gone
// mid-run) no posting gets another pair's value, none is lost, and no pair is paid for twice.
let env: E2eEnvironment;
beforeAll(async () => {
  env = await startEnv("edges");
});
afterAll(() => env.stop());

const sen = (c: string, t: string) => seededSeniority(SEED, c, t);
const line = (c: string, t: string) => JSON.stringify({ company: c, title: t });
const spliced = (l: string, v: number | null) => `${l.slice(0, -1)},"seniority":${v}}`;

async function runWithReport(s: Scenario, extra: Record<string, string>) {
  const reportPath = join(env.dir, `${s.id}-${Math.random().toString(36).slice(2)}.json`);
  const p = spawnAugmenter(["run", "--report", reportPath], augmenterEnv(env, s, extra));
  const code = await p.exited;
  const body = await readFile(reportPath, "utf8").catch(() => {
    throw new Error(`no report (exit ${code}):\n${p.err().slice(-3000)}`);
  });
  return { code, p, report: JSON.parse(body) as RunReport };
}

describe("fields past the limits", () => {
  it("a field over MAX_FIELD_CHARS is written with seniority null, counted by reason, and never sent", async () => {
    const s = await scenario(env);
    const lines = [
      line("Acme", "x".repeat(1000)),
      line("Acme", "y".repeat(1001)),
      line("c".repeat(5000), "CEO"),
      line("Acme", "CEO"),
      line("Acme", "  "),
    ];
    await s.store("raw").put("1721183900.jsonl", `${lines.join("\n")}\n`);
    env.model.resetStats();
    const { code, p, report } = await runWithReport(s, { HTTP_PORT: "-1" });
    expect(code, p.err()).toBe(0);
    const out = (await readText(s.store("mod"), "1721183900.jsonl")).trimEnd().split("\n");
    expect(out).toEqual([
      spliced(lines[0] as string, sen("Acme", "x".repeat(1000))),
      spliced(lines[1] as string, null),
      spliced(lines[2] as string, null),
      spliced(lines[3] as string, sen("Acme", "CEO")),
      spliced(lines[4] as string, null),
    ]);
    expect(report.files[0]?.nullSeniorityBy).toEqual({
      missing: 0,
      empty: 1,
      "too-long": 2,
      "too-large": 0,
    });
    expect(mockStats(env).pairsReceived).toBe(2);
  });

  it("titles of ~1 MB (limit raised): requests are cut under the model's 4 MiB, no file fails, an innocent file sharing the batch is untouched", async () => {
    const s = await scenario(env);
    const big = Array.from({ length: 6 }, (_, i) => line("Acme", `${String(i)}${"t".repeat(1_000_000)}`));
    const tooBig = line("Acme", "z".repeat(5_000_000)); // alone past MODEL_MAX_REQUEST_BYTES
    const small = Array.from({ length: 50 }, (_, i) => line("Innocent", `Engineer ${i}`));
    await s.store("raw").put("1721183901.jsonl", `${[...big, tooBig].join("\n")}\n`);
    await s.store("raw").put("1721183902.jsonl", `${small.join("\n")}\n`);
    env.model.resetStats();
    const { code, p, report } = await runWithReport(s, {
      HTTP_PORT: "-1",
      MAX_FIELD_CHARS: "10000000",
      MODEL_LINGER_MS: "300", // both files' pairs meet in one batch unless bytes cut it
      MODEL_MAX_ATTEMPTS: "1", // a request the model refuses would fail its files at once
    });
    expect(code, p.err()).toBe(0);
    expect(report.totals.failedFiles).toBe(0);
    const out1 = (await readText(s.store("mod"), "1721183901.jsonl")).trimEnd().split("\n");
    expect(out1.slice(0, 6)).toEqual(
      big.map((l) => spliced(l, sen("Acme", (JSON.parse(l) as { title: string }).title))),
    );
    expect(out1[6]).toBe(spliced(tooBig, null));
    const out2 = (await readText(s.store("mod"), "1721183902.jsonl")).trimEnd().split("\n");
    expect(out2).toEqual(small.map((l, i) => spliced(l, sen("Innocent", `Engineer ${i}`))));
    expect(report.files.find((f) => f.key === "1721183901.jsonl")?.nullSeniorityBy["too-large"]).toBe(1);
    const mock = mockStats(env);
    expect(mock.pairsReceived).toBe(56);
    // ≤ 3 one-megabyte titles fit under 4,000,000 bytes: 6 titles took at least 2 requests.
    expect(report.model.rpcs).toBeGreaterThanOrEqual(2);
  }, 120_000);
});

describe("L2 gone mid-run", () => {
  it("stops paying the model while Redis is down, says so in one line, resumes, and pays no pair twice", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "edges-redis-"));
    const aof = ["--appendonly", "yes"];
    let redis = await startLocalRedis({ dir: dataDir, extraArgs: aof });
    const port = redis.port;
    const s = await scenario(env);
    await generateClean(s.store("raw"), 12, 1000, "edges-redis-down");
    env.model.resetStats();
    const p = spawnAugmenter(
      ["serve"],
      augmenterEnv(env, s, {
        CACHE_URL: redis.url,
        MODEL_RATE: "400",
        POLL_INTERVAL_MS: "200",
        FILE_CONCURRENCY: "2",
        HTTP_PORT: "-1",
      }),
    );
    try {
      await untilOutputs(s, { atLeast: 1 }, 60_000, p.err);
      await redis.stop();
      // Batches already out may still come back; after that nothing new goes to the model.
      await sleep(2500);
      const atStop = mockStats(env).pairsReceived;
      await sleep(3000);
      expect(mockStats(env).pairsReceived, "pairs sent while L2 was down").toBe(atStop);
      expect(p.child.exitCode).toBe(null);
      redis = await startLocalRedis({ dir: dataDir, extraArgs: aof, port });
      await untilOutputs(s, { all: 12 }, 120_000, p.err);
      const logs = p.out();
      expect(logs).toMatch(
        /L2 cache unreachable \(CACHE_URL=redis:\/\/127\.0\.0\.1:\d+\): model calls paused/,
      );
      expect(logs.match(/L2 cache unreachable/g)).toHaveLength(1);
      expect(logs).toMatch(/L2 cache answers again/);
      expect(logs).not.toMatch(/"msg":"file failed/);
      const v = await verifySeeded(s);
      expect(v).toMatchObject({ linesChecked: 12_000, mismatches: [], missingOutputs: [] });
      const mock = mockStats(env);
      console.info(
        `[edges] Redis down mid-run: model pairs received ${mock.pairsReceived}, distinct ${v.distinctPairs}, received more than once ${mock.pairsReceivedMoreThanOnce}`,
      );
      expect(mock.pairsReceivedMoreThanOnce).toBe(0);
      expect(mock.pairsReceived).toBe(v.distinctPairs);
      p.child.kill("SIGTERM");
      expect(await p.exited).toBe(0);
      // Every answer reached Redis: a fresh run over the same inputs asks the model nothing.
      env.model.resetStats();
      const again = spawnAugmenter(
        ["run"],
        augmenterEnv(env, s, { CACHE_URL: redis.url, MOD_URI: s.uri("mod2"), HTTP_PORT: "-1" }),
      );
      expect(await again.exited, again.err()).toBe(0);
      expect(mockStats(env).pairsReceived).toBe(0);
    } finally {
      p.child.kill("SIGKILL");
      await redis.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 240_000);

  it("SIGTERM while Redis is down: serve stops within SHUTDOWN_GRACE_MS (plus a few seconds), not minutes", async () => {
    const redis = await startLocalRedis({});
    const s = await scenario(env);
    await generateClean(s.store("raw"), 8, 1000, "edges-sigterm");
    const p = spawnAugmenter(
      ["serve"],
      augmenterEnv(env, s, {
        CACHE_URL: redis.url,
        MODEL_RATE: "300",
        POLL_INTERVAL_MS: "200",
        SHUTDOWN_GRACE_MS: "2000",
        HTTP_PORT: "-1",
      }),
    );
    try {
      await untilOutputs(s, { atLeast: 1 }, 60_000, p.err);
      await redis.stop();
      await sleep(1500);
      const t0 = Date.now();
      p.child.kill("SIGTERM");
      await p.exited;
      const ms = Date.now() - t0;
      console.info(`[edges] serve stopped ${ms} ms after SIGTERM with Redis down (grace 2000 ms)`);
      expect(ms).toBeLessThan(2000 + 8000);
    } finally {
      p.child.kill("SIGKILL");
      await redis.stop();
    }
  }, 120_000);
});
