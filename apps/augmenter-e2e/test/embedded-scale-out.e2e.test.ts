import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  augmenterEnv,
  generateClean,
  mockStats,
  readJson,
  scenario,
  spawnAugmenter,
  startEnv,
  verifySeeded,
  type E2eEnvironment,
} from "./env";

// Issue 11, item 7: two processes on one machine over one embedded (LMDB) cache, as a cron run
// and a manual run overlap. With default settings both finish (a `run` binds no metrics port it
// was not asked for), each file is done by one of them and each pair is inferred once.
let env: E2eEnvironment;
beforeAll(async () => {
  env = await startEnv("embedded-scale-out");
});
afterAll(() => env.stop());
beforeEach(() => env.model.resetStats());

interface WorkerReport {
  files: Array<{ key: string; status: string }>;
}

describe("two processes on one machine sharing an lmdb: cache", () => {
  it("two `run --once` at once, default HTTP settings: both exit 0, every line right, each pair inferred once", async () => {
    const s = await scenario(env);
    await generateClean(s.store("raw"), 20, 1000, "embedded-scale-out");
    // Not HTTP_PORT: the default (9465) is what overlapping runs would collide on.
    const runEnv = augmenterEnv(env, s, { CACHE_URL: `lmdb:${join(env.dir, s.id)}`, LOG_LEVEL: "warn" });
    const runs = [1, 2].map((i) =>
      spawnAugmenter(["run", "--once", "--report", join(env.dir, `${s.id}-${i}.json`)], runEnv),
    );
    const codes = await Promise.all(runs.map((r) => r.exited));
    expect(codes, runs.map((r) => r.err()).join("\n")).toEqual([0, 0]);

    const v = await verifySeeded(s);
    expect(v).toMatchObject({
      linesChecked: 20_000,
      linesNotComparable: 0,
      mismatches: [],
      missingOutputs: [],
    });
    const reports = await Promise.all(
      [1, 2].map((i) => readJson<WorkerReport>(join(env.dir, `${s.id}-${i}.json`))),
    );
    const done = reports.map((r) => r.files.filter((f) => f.status === "done").map((f) => f.key));
    const mock = mockStats(env);
    console.info(
      `[embedded-scale-out] files done per process ${done.map((d) => d.length).join(" + ")}; model pairs received ${mock.pairsReceived}, distinct pairs ${v.distinctPairs}, received more than once ${mock.pairsReceivedMoreThanOnce}`,
    );
    expect(done.flat().length).toBe(20);
    expect(new Set(done.flat()).size).toBe(20);
    expect(mock.pairsReceived).toBe(v.distinctPairs);
    expect(mock.pairsReceivedMoreThanOnce).toBe(0);
  }, 180_000);

  it("`serve` on a port in use exits 2 with a message naming HTTP_PORT", async () => {
    const s = await scenario(env);
    const taken = createServer();
    const port = await new Promise<number>((resolve) =>
      taken.listen(0, "127.0.0.1", () => resolve((taken.address() as { port: number }).port)),
    );
    try {
      const p = spawnAugmenter(
        ["serve"],
        augmenterEnv(env, s, { CACHE_URL: `lmdb:${join(env.dir, s.id)}`, HTTP_PORT: String(port) }),
      );
      expect(await p.exited).toBe(2);
      expect(p.err()).toMatch(new RegExp(`augmenter: cannot listen on 127\\.0\\.0\\.1:${port} .*HTTP_PORT`));
      expect(p.err()).not.toMatch(/\n\s+at /); // a message, not a stack
    } finally {
      taken.close();
    }
  }, 60_000);
});
