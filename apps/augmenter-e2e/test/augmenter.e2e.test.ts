import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DEFAULT_GENERATE_OPTIONS,
  generateSamples,
  seedFromText,
  type GenerateOptions,
} from "sample-generator";
import { seededSeniority } from "mock-seniority-server";
import type { ObjectStore } from "@rl/s3";
import { startLocalMemcached } from "@rl/cache/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SEED, mockStats, readText, scenario, startEnv, verifySeeded, type TestEnvironment } from "./env";

let env: TestEnvironment;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => env.stop());
beforeEach(() => env.model.resetStats());

const gen = (store: ObjectStore, o: Partial<GenerateOptions> = {}) =>
  generateSamples(store, {
    ...DEFAULT_GENERATE_OPTIONS,
    total: 10_000,
    split: 2_000,
    seed: seedFromText("e2e"),
    variantRate: 0.02,
    longLineBytes: 10_000,
    ...o,
  });
const expected = (c: string, t: string) => seededSeniority(SEED, c, t);

describe("augmenter against redis-server, s3rver and the mock model", () => {
  it("200k generated lines: byte-exact outputs in order, counts reconcile, each distinct pair inferred once", async () => {
    const s = await scenario(env);
    await gen(s.store("raw"), { total: 200_000, split: 20_000 });
    const report = await s.run();
    expect(report.totals).toMatchObject({
      files: 10,
      failedFiles: 0,
      records: 200_000,
      outputLines: 200_000,
      deadLetters: 0,
    });
    const v = await verifySeeded(s);
    expect(v).toMatchObject({
      files: 10,
      linesChecked: 200_000,
      linesNotComparable: 0,
      mismatches: [],
      missingOutputs: [],
    });
    const mock = mockStats(env);
    expect(mock.pairsReceived).toBe(v.distinctPairs);
    expect(mock.distinctPairs).toBe(v.distinctPairs);
    expect(mock.pairsReceivedMoreThanOnce).toBe(0);
    expect(report.model.pairsSent).toBe(v.distinctPairs);
  }, 120_000);

  it("a second run over the same files sends zero pairs to the model, from Redis", async () => {
    const s = await scenario(env);
    await gen(s.store("raw"));
    const first = await s.run();
    expect(first.model.pairsSent).toBeGreaterThan(1000);
    env.model.resetStats();
    // New outputs location: every file is pending again, but every pair is in the shared L2.
    const second = await s.run({ modUri: s.uri("mod2") });
    expect(second.totals.files).toBe(5);
    expect(second.model.pairsSent).toBe(0);
    expect(mockStats(env).pairsReceived).toBe(0);
    expect(second.totals.l2Hits).toBeGreaterThan(0);
    expect(second.totals.l1Hits + second.totals.l2Hits).toBeGreaterThanOrEqual(
      first.totals.l1Hits + first.totals.l2Hits,
    );
  }, 60_000);

  it("a pair in two files processed at the same time is sent once", async () => {
    const s = await scenario(env);
    const raw = s.store("raw");
    const lines = (n: number, tag: string) =>
      Array.from({ length: n }, (_, i) =>
        JSON.stringify({ company: `Shared ${i % 300}`, title: `Engineer ${i % 7}`, tag }),
      ).join("\n") + "\n";
    await raw.put("1721183880.jsonl", lines(3000, "a"));
    await raw.put("1721183940.jsonl", lines(3000, "b"));
    const report = await s.run({ fileConcurrency: 2, modelLingerMs: 200 });
    expect(report.totals.failedFiles).toBe(0);
    const mock = mockStats(env);
    expect(mock.pairsReceivedMoreThanOnce).toBe(0);
    expect(mock.pairsReceived).toBe(2100); // 300 companies × 7 titles
    expect(report.totals.joinedPairs).toBeGreaterThan(0);
  }, 60_000);

  it("a restart after half the files processes only the rest; outputs carry the input's ETag", async () => {
    const s = await scenario(env);
    const raw = s.store("raw");
    const summary = await gen(raw, { total: 10_000, split: 1_000 });
    const half = summary.keys.slice(5);
    const removed = new Map<string, string>();
    for (const k of half) {
      removed.set(k, await readText(raw, k));
      await raw.delete(k);
    }
    const first = await s.run();
    expect(first.files.map((f) => f.key)).toEqual(summary.keys.slice(0, 5));
    for (const [k, body] of removed) await raw.put(k, body);
    const second = await s.run();
    expect(second.files.map((f) => f.key)).toEqual(half);
    const info = [];
    for await (const o of raw.list()) info.push(o);
    for (const o of info) expect((await s.store("mod").head(o.key))?.metadata["source-etag"]).toBe(o.etag);
    // A re-uploaded input (new ETag) is processed again; the others stay done.
    await raw.put(half[0] as string, '{"company":"Acme","title":"CEO"}\n');
    const third = await s.run();
    expect(third.files.map((f) => f.key)).toEqual([half[0]]);
    expect(await readText(s.store("mod"), half[0] as string)).toBe(
      `{"company":"Acme","title":"CEO","seniority":${expected("Acme", "CEO")}}\n`,
    );
  }, 60_000);

  it("hostile lines: dead letters name file, line and reason; counts reconcile; the rest is intact", async () => {
    const s = await scenario(env);
    const raw = s.store("raw");
    const gz = await gen(raw, { total: 4_000, split: 2_000, badRate: 0.05, gzip: true });
    await raw.put("notes.txt", "not an input");
    const report = await s.run();
    expect(report.totals.failedFiles).toBe(0);
    expect(report.ignoredKeys).toEqual(["notes.txt"]);
    for (const f of report.files) expect(f.records).toBe(f.outputLines + f.deadLetters);
    expect(report.totals.records).toBe(gz.records);
    const deadText = await readText(s.store("errors"), (gz.keys[0] as string).replace(/\.gz$/, ""));
    const dead = deadText
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { file: string; line: number; reason: string });
    expect(dead.length).toBe(report.files[0]?.deadLetters);
    for (const d of dead) {
      expect(d.file).toBe(gz.keys[0]);
      expect(d.line).toBeGreaterThan(0);
      expect(d.reason).toMatch(/invalid JSON|not a JSON object|not closed/);
    }
    const v = await verifySeeded(s);
    expect(v.mismatches).toEqual([]);
    expect(v.linesChecked).toBeGreaterThan(3_500);
  }, 60_000);

  it("memcached as L2 (two servers): a second run sends nothing while they keep the pairs", async () => {
    const servers = await Promise.all([startLocalMemcached(), startLocalMemcached()]);
    try {
      const s = await scenario(env);
      await gen(s.store("raw"), { total: 4_000, split: 2_000 });
      const url = `memcached://${servers.map((m) => m.address).join(",")}`;
      const first = await s.run({ cacheUrl: url });
      expect(first.model.pairsSent).toBeGreaterThan(0);
      env.model.resetStats();
      const second = await s.run({ cacheUrl: url, modUri: s.uri("mod2") });
      expect(second.model.pairsSent).toBe(0);
      expect(second.cache.l2).toMatch(/^memcached:\/\/.*\(not persistent\)$/);
    } finally {
      await Promise.all(servers.map((m) => m.stop()));
    }
  }, 60_000);

  it("the embedded LMDB cache survives a restart: nothing is inferred again", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lmdb-e2e-"));
    try {
      const s = await scenario(env);
      await gen(s.store("raw"), { total: 5_000, split: 2_500 });
      const first = await s.run({ cacheUrl: `lmdb://${dir}` });
      expect(first.model.pairsSent).toBeGreaterThan(0);
      env.model.resetStats();
      const second = await s.run({ cacheUrl: `lmdb://${dir}`, modUri: s.uri("mod2") });
      expect(second.model.pairsSent).toBe(0);
      expect(mockStats(env).pairsReceived).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
