import { existsSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startMockSeniorityServer, type MockSeniorityServer } from "mock-seniority-server";
import type { RunReport } from "augmenter";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJson, sleep, spawnAugmenter, until } from "./env";

// Issue 11, item 9: a `run` stopped by a signal says so: exit 130/143, and the summary and the
// report name every pending file it did not process. Local directories and an in-process model
// slow enough (200 pairs/s, 400 distinct pairs a file: about 2 s a file) that the run is still
// going when it is signalled.
const FILES = 10;
const PAIRS_PER_FILE = 400;
const RATE = 200;
const keys = Array.from({ length: FILES }, (_, i) => `${1721000000 + i}.jsonl`);

let model: MockSeniorityServer;
beforeAll(async () => {
  model = await startMockSeniorityServer({ port: 0, pairsPerSecond: RATE, seed: "interrupted-run" });
});
afterAll(async () => model.stop());

/** Ten inputs of distinct pairs, each record padded so a file is read in several batches. */
async function scenario() {
  const dir = await mkdtemp(join(tmpdir(), "interrupted-run-"));
  const raw = join(dir, "raw");
  const mod = join(dir, "mod");
  await mkdir(raw);
  const pad = "x".repeat(1500);
  for (const [i, key] of keys.entries()) {
    const lines = Array.from(
      { length: PAIRS_PER_FILE },
      (_, j) => `${JSON.stringify({ company: `Company ${i}`, title: `Title ${j}`, description: pad })}\n`,
    );
    await writeFile(join(raw, key), lines.join(""));
  }
  const start = (extraEnv: Record<string, string> = {}) =>
    spawnAugmenter(["run", "--report", join(dir, "report.json")], {
      RAW_URI: raw,
      MOD_URI: mod,
      ERRORS_URI: join(dir, "errors"),
      SENIORITY_GRPC_ADDR: model.address,
      CACHE_URL: "memory:",
      MODEL_RATE: String(RATE),
      FILE_CONCURRENCY: "1",
      CHUNK_RECORDS: "20",
      CHUNK_WINDOW: "1",
      HTTP_PORT: "-1",
      // One file in flight at a time, as these tests count on: a file waiting on the model
      // keeps its place instead of spilling and letting the next one start (last test: spilled).
      SPILL_MAX_BYTES: "0",
      ...extraEnv,
    });
  const hasOutput = (key: string) => existsSync(join(mod, key));
  const report = () => readJson<RunReport>(join(dir, "report.json"));
  return {
    dir,
    start,
    hasOutput,
    report,
    [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }),
  };
}

describe("run, interrupted", () => {
  it.each([
    // The default grace: the file in flight finishes, the ones never started are listed.
    { signal: "SIGINT" as const, code: 130, graceMs: undefined },
    // No grace: the file in flight is aborted, writes no output and is listed too.
    { signal: "SIGTERM" as const, code: 143, graceMs: "0" },
  ])(
    "$signal: exits $code; the summary and the report name exactly the files with no output",
    async ({ signal, code, graceMs }) => {
      await using s = await scenario();
      const p = s.start(graceMs === undefined ? {} : { SHUTDOWN_GRACE_MS: graceMs });
      try {
        await until("the first output", () => s.hasOutput(keys[0] as string), 60_000, p.err, 25);
        await sleep(300); // the second file is in flight (it takes about 2 s), not between files
        p.child.kill(signal); // the node process itself: spawned as `node --import tsx`, no wrapper
        expect(await p.exited).toBe(code);
      } finally {
        p.child.kill("SIGKILL");
      }
      const r = await s.report();
      const noOutput = keys.filter((k) => !s.hasOutput(k));
      expect(noOutput.length).toBeGreaterThanOrEqual(5); // the run was really cut short
      expect(r.notProcessed).toEqual(noOutput);
      expect(r.interrupted).toMatchObject({ signal });
      const { notStarted, aborted } = r.interrupted as NonNullable<RunReport["interrupted"]>;
      expect([...notStarted, ...aborted].sort()).toEqual(noOutput);
      if (graceMs === "0") {
        expect(aborted).toEqual([keys[1]]);
        expect(r.files.find((f) => f.key === keys[1])).toMatchObject({ status: "failed" });
      } else {
        expect(aborted).toEqual([]);
      }
      const done = r.files.filter((f) => f.status === "done").map((f) => f.key);
      expect(done.length).toBeGreaterThanOrEqual(1);
      for (const key of done) expect(s.hasOutput(key), key).toBe(true);
      expect([...done, ...noOutput].sort()).toEqual(keys);

      const summary = p.out();
      expect(summary).toMatch(
        new RegExp(
          `^INTERRUPTED by ${signal}: ${noOutput.length} of ${FILES} pending files not processed`,
          "m",
        ),
      );
      const line = summary.split("\n").find((l) => l.startsWith("INTERRUPTED")) ?? "";
      for (const key of noOutput) expect(line).toContain(key);
      for (const key of done) expect(line).not.toContain(key);
      expect(line).toContain("(run again to finish them)");
    },
    90_000,
  );

  it("SIGTERM without grace while files wait on the model spilled: every one of them is aborted, listed, and has no output", async () => {
    await using s = await scenario();
    const spillDir = join(s.dir, "spill");
    await mkdir(spillDir);
    // FILE_CONCURRENCY 1, but each file gives its place up once spilled: all ten are read ahead.
    const p = s.start({ SPILL_MAX_BYTES: String(1 << 30), SPILL_DIR: spillDir, SHUTDOWN_GRACE_MS: "0" });
    try {
      await until("the first output", () => s.hasOutput(keys[0] as string), 60_000, p.err, 25);
      p.child.kill("SIGTERM");
      expect(await p.exited).toBe(143);
    } finally {
      p.child.kill("SIGKILL");
    }
    const r = await s.report();
    const noOutput = keys.filter((k) => !s.hasOutput(k));
    const { notStarted, aborted } = r.interrupted as NonNullable<RunReport["interrupted"]>;
    // Several files were in flight at once (waiting, spilled), more than FILE_CONCURRENCY.
    expect(aborted.length).toBeGreaterThanOrEqual(5);
    expect([...notStarted, ...aborted].sort()).toEqual(noOutput);
    expect(r.notProcessed).toEqual(noOutput);
    for (const f of r.files.filter((x) => x.status === "done")) expect(s.hasOutput(f.key), f.key).toBe(true);
    expect(readdirSync(spillDir)).toEqual([]); // spill segments are unlinked when opened
  }, 90_000);

  it("a second SIGINT while stopping exits at once with 130, without waiting for the file in flight", async () => {
    await using s = await scenario();
    const p = s.start({ SHUTDOWN_GRACE_MS: "60000" });
    try {
      await until("the first output", () => s.hasOutput(keys[0] as string), 60_000, p.err, 25);
      p.child.kill("SIGINT");
      await until(
        "the stop acknowledged",
        () => p.err().includes("stopping: taking no new file"),
        10_000,
        p.err,
      );
      p.child.kill("SIGINT");
      expect(await p.exited).toBe(130);
    } finally {
      p.child.kill("SIGKILL");
    }
    // The file in flight was abandoned: no output, and no summary or report (it did not wait).
    expect(s.hasOutput(keys[1] as string)).toBe(false);
    expect(p.out()).not.toMatch(/INTERRUPTED|files\s+\d+ done/);
    expect(p.err()).toContain("augmenter: SIGINT while stopping: exiting now, abandoning files in flight");
  }, 90_000);
});
