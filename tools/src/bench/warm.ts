// 12. The warm path (issue 15): 1M generated postings in 40 files on local directories, every
// pair already in L2 (LMDB, or Redis with `warm-redis`), run by the built bundle from process
// start to exit. Beside it, in the same run, the bare loop (bare-loop.ts) over the same bytes:
// the machine is shared, so lines/s moves with its load, and the ratio is the comparable figure.
// Then the same loop cut after each stage (bare-loop.ts --stages), for the chart of lines/s by
// stage with the augmenter's own figure as the last bar.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { LocalObjectStore } from "@rl/s3";
import type { RunReport } from "augmenter";
import { DEFAULT_GENERATE_OPTIONS, generateSamples, seedFromText } from "sample-generator";
import { augmenterBundle } from "../augmenter-bundle";
import { stageRates, type StagePass } from "./bare-loop-stages";
import { profileSummary } from "./cpu-profile";
import { ROOT, TSX, startMockProcess } from "./processes";
import type { Ctx } from "./scenarios";

export const WARM_TARGET_LINES_PER_SECOND = { lmdb: 250_000, redis: 200_000 };
/** Fast enough that filling the cache is not the benchmark's long pole. */
const FILL_MODEL_RATE = 1_000_000;

/** Runs a child to its exit (which must be 0); returns its wall seconds and its stdout. */
function run(cmd: string, args: string[]): Promise<{ seconds: number; stdout: string }> {
  const t0 = performance.now();
  const child = spawn(cmd, args, {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, NODE_NO_WARNINGS: "1" },
  });
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve, reject) =>
    child.once("exit", (code) =>
      code === 0
        ? resolve({ seconds: (performance.now() - t0) / 1000, stdout })
        : reject(new Error(`${args.slice(0, 2).join(" ")} exited with ${code}`)),
    ),
  );
}

/** `augmenter run` over local directories; `nodeFlags` go before the bundle (e.g. --cpu-prof). */
interface LocalRun {
  dir: string;
  cacheUrl: string;
  modelAddress: string;
  /** Its own per benchmark run, so a shared Redis never starts warm from an earlier run. */
  modelVersion: string;
}

async function runLocal(
  t: LocalRun,
  out: string,
  nodeFlags: string[] = [],
): Promise<{ seconds: number; report: RunReport }> {
  const { dir } = t;
  const reportFile = join(dir, `report-${randomUUID()}.json`);
  const args = [
    ...nodeFlags,
    await augmenterBundle(),
    "run",
    ...["--raw-uri", `${join(dir, "raw")}/`, "--mod-uri", `${join(dir, out)}/`],
    ...["--errors-uri", `${join(dir, `${out}-errors`)}/`, "--cache-url", t.cacheUrl],
    ...[
      "--grpc-addr",
      t.modelAddress,
      "--model-rate",
      String(FILL_MODEL_RATE),
      "--model-version",
      t.modelVersion,
    ],
    ...["--http-port", "-1", "--log-level", "warn", "--report", reportFile],
  ];
  const { seconds } = await run(process.execPath, args);
  return { seconds, report: JSON.parse(await readFile(reportFile, "utf8")) as RunReport };
}

/** bare-loop.ts in its own process over the raw files; its parsed stdout. */
async function bareLoopProcess(dir: string, out: string, flags: string[] = []): Promise<unknown> {
  const script = `${ROOT}tools/src/bench/bare-loop.ts`;
  const { stdout } = await run(TSX, [script, join(dir, "raw"), join(dir, out), ...flags]);
  return JSON.parse(stdout);
}

async function bare(dir: string, out: string): Promise<number> {
  const r = (await bareLoopProcess(dir, out)) as { lines: number; seconds: number };
  return r.lines / r.seconds;
}

/** The bare loop cut after each stage, each a whole pass (bare-loop.ts --stages). */
async function bareStages(dir: string, out: string) {
  const r = (await bareLoopProcess(dir, out, ["--stages"])) as { stages: StagePass[] };
  return stageRates(r.stages);
}

/** Redis's own CPU seconds so far (user + system), from INFO. */
async function redisCpuSeconds(url: string): Promise<number> {
  const client = new Redis(url);
  try {
    const info = await client.info("cpu");
    const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
    return field("used_cpu_user") + field("used_cpu_sys");
  } finally {
    client.disconnect();
  }
}

export async function warm(ctx: Ctx, l2: "lmdb" | "redis") {
  const dir = await mkdtemp(join(tmpdir(), "bench-warm-"));
  const { warmLines: lines, warmFiles: files } = ctx.sizes;
  const mock = await startMockProcess(FILL_MODEL_RATE);
  try {
    ctx.log(`warm-${l2}: generating ${lines.toLocaleString("en-US")} lines in ${files} files`);
    await generateSamples(new LocalObjectStore(join(dir, "raw")), {
      ...DEFAULT_GENERATE_OPTIONS,
      total: lines,
      split: Math.ceil(lines / files),
      seed: seedFromText("warm"),
    });
    // Laid out as a user (or another harness) lays files out: without the store's side files.
    // Listing used to read every such file in full for its ETag (round 4 of warm-path.md).
    for (const f of await readdir(join(dir, "raw")))
      if (f.endsWith(".meta.json")) await rm(join(dir, "raw", f));
    const t: LocalRun = {
      dir,
      cacheUrl: l2 === "lmdb" ? `lmdb://${join(dir, "cache")}` : ctx.redisUrl,
      modelAddress: mock.address,
      modelVersion: `warm-${randomUUID().slice(0, 8)}`,
    };
    ctx.log(`warm-${l2}: filling the cache (cold run)`);
    const fill = await runLocal(t, "mod-fill");
    // Bare loop, augmenter, bare loop: the loop's mean brackets the augmenter's load.
    const bare0 = await bare(dir, "bare-0");
    const redis0 = l2 === "redis" ? await redisCpuSeconds(ctx.redisUrl) : 0;
    const r = await runLocal(t, "mod");
    const redisCpu = l2 === "redis" ? (await redisCpuSeconds(ctx.redisUrl)) - redis0 : undefined;
    const bare1 = await bare(dir, "bare-1");
    // After the bracket, so its passes do not stretch the gap between the two runs above.
    const stages = await bareStages(dir, "bare-stages");
    // Profiled on its own: the profiler's cost stays out of the figures above.
    const prof = join(dir, "prof");
    await runLocal(t, "mod-prof", ["--cpu-prof", `--cpu-prof-dir=${prof}`]);
    if (r.report.model.pairsSent !== 0)
      throw new Error(`the warm run sent ${r.report.model.pairsSent} pairs to the model`);
    const linesPerSecond = r.report.totals.records / r.seconds;
    const bareLinesPerSecond = (bare0 + bare1) / 2;
    return {
      l2,
      lines: r.report.totals.records,
      files,
      distinctPairs: fill.report.model.pairsSent,
      wallSecondsWithStartup: +r.seconds.toFixed(2),
      linesPerSecond: Math.round(linesPerSecond),
      targetLinesPerSecond: WARM_TARGET_LINES_PER_SECOND[l2],
      cpuSeconds: +r.report.cpuSeconds.toFixed(2),
      linesPerCpuSecond: Math.round(r.report.totals.records / r.report.cpuSeconds),
      peakRssMiB: Math.round(r.report.peakRssBytes / 1048576),
      bareLoopLinesPerSecond: Math.round(bareLinesPerSecond),
      // Two fields, not an array: results.json stays as Prettier formats it.
      bareLoopBefore: Math.round(bare0),
      bareLoopAfter: Math.round(bare1),
      ratioToBareLoop: +(linesPerSecond / bareLinesPerSecond).toFixed(2),
      bareLoopStages: stages,
      ...(redisCpu === undefined ? {} : { redisCpuSeconds: +redisCpu.toFixed(2) }),
      l1Hits: r.report.totals.l1Hits,
      l2Hits: r.report.totals.l2Hits,
      ...(await profileSummary(prof, 10).then((p) => ({
        cpuProfileTop10: p.top,
        cpuProfileThreads: p.threads,
      }))),
    };
  } finally {
    await mock.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
