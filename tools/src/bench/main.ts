// `npm run bench`: the owners' questions answered with figures. Each scenario prints a table;
// all of them go to results.json and a Markdown report with SVG charts (vega-lite), written to
// docs/benchmarks/ on a full run, to a temp dir with --smoke (tiny sizes, for CI).
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import * as prettier from "prettier";
import { formatHelp, option, parseOptions, quietRuntimeNotice } from "@rl/cli";
import { startLocalRedis } from "@rl/cache/testing";
import { barsChart, demandChart, renderSvg, saturationChart, warmStagesChart, warmupChart } from "./charts";
import { markdownReport } from "./report";
import { ROOT, startS3Process } from "./processes";
import { startup } from "./startup";
import { warm } from "./warm";
import {
  FULL,
  SMOKE,
  backlog,
  cacheAtScale,
  cacheImport,
  normalisation,
  oneDay,
  scaleOut,
  oneFile,
  warmupCurve,
  type Ctx,
} from "./scenarios";

const NAMES = [
  "one-file",
  "one-day",
  "backlog",
  "cache-at-scale",
  "warmup-curve",
  "cache-import",
  "normalisation",
  "scale-out",
  "startup",
  "warm",
  "warm-redis",
] as const;
const OPTIONS = {
  smoke: option.boolean("smoke", "Tiny sizes, written to a temp dir: proves the suite runs (CI)", {
    default: false,
  }),
  only: option.optionalString(
    "only",
    `Comma-separated scenarios: ${NAMES.join(", ")} (backlog covers model saturation and warm throughput)`,
  ),
  out: option.optionalString(
    "out",
    "Report directory (default docs/benchmarks/, or a temp dir with --smoke)",
  ),
  modelRate: option.number("model-rate", "The mock model's rate, pairs/s", { default: 1000, min: 1 }),
};

quietRuntimeNotice();
const { values: o, help } = parseOptions(OPTIONS, process.argv.slice(2), process.env);
if (help) {
  process.stdout.write(formatHelp("usage: npm run bench -- [options]", OPTIONS));
  process.exit(0);
}
const only = o.only ? o.only.split(",") : [...NAMES];
for (const n of only)
  if (!(NAMES as readonly string[]).includes(n))
    throw new Error(`--only: unknown scenario ${n}; expected ${NAMES.join(", ")}`);
const out =
  o.out ?? (o.smoke ? await mkdtemp(join(tmpdir(), "bench-smoke-")) : join(ROOT, "docs/benchmarks"));
await mkdir(out, { recursive: true });

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const redis = await startLocalRedis();
const s3 = await startS3Process({ buckets: ["rl-data"] });
const ctx: Ctx = { s3, redisUrl: redis.url, sizes: o.smoke ? SMOKE : FULL, modelRate: o.modelRate, log };
// With --only, the other scenarios' earlier results (and charts) in the same directory are kept.
const previous = o.only
  ? ((await readFile(join(out, "results.json"), "utf8").then(JSON.parse, () => ({}))) as Record<
      string,
      unknown
    >)
  : {};
const results: Record<string, unknown> = {
  ...previous,
  meta: {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    smoke: o.smoke,
    modelRate: o.modelRate,
    sizes: ctx.sizes,
  },
};
const charts: Record<string, string> = {};
/** The commit the figures come from, so a report never passes off old figures as current. */
function commitMeasured(): string {
  try {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty = git("status", "--porcelain", "--untracked-files=no") !== "";
    return `commit ${git("rev-parse", "--short", "HEAD")}${dirty ? " with uncommitted changes" : ""}`;
  } catch {
    return "commit unknown (not a git checkout)";
  }
}
const commit = commitMeasured();
const measuredAt: Record<string, string> = {
  ...((previous.measuredAt as Record<string, string> | undefined) ?? {}),
};
const table = (title: string, rows: Record<string, unknown>) => {
  process.stdout.write(`\n${title}\n`);
  console.table(Object.fromEntries(Object.entries(rows).filter(([, v]) => typeof v !== "object")));
};

try {
  for (const name of only) {
    log(`${name}: starting`);
    const t0 = performance.now();
    if (name === "one-file") {
      const r = await oneFile(ctx);
      results.oneFile = r;
      table("1. One file through the full flow (appearance → output visible)", r);
      charts["one-file"] = await renderSvg(
        barsChart(
          "One file: seconds from upload to output",
          [
            { label: "cold cache", value: r.coldSeconds },
            { label: "warm cache", value: r.warmSeconds },
          ],
          "seconds",
        ),
      );
    } else if (name === "one-day") {
      const r = await oneDay(ctx);
      results.oneDay = r;
      table("2. One day of files", {
        ...r,
        mockCpuSeconds: r.mock.cpuSeconds,
        mockPeakRssMiB: r.mock.peakRssMiB,
        meanDemandPairsPerSecond: r.demand.meanPairsPerSecond,
        peakMinuteDemandPairsPerSecond: r.demand.peakMinutePairsPerSecond,
      });
      charts["model-demand"] = await renderSvg(
        demandChart(
          r.demand.points,
          r.demand.limit,
          `derived from the one-day run (${r.files.toLocaleString("en-US")} generated files, cold cache at hour 0): each file's new pairs over its minute, averaged per ${r.demand.windowMinutes} min`,
        ),
      );
    } else if (name === "backlog") {
      const r = await backlog(ctx);
      results.backlog = r.backlog;
      results.saturation = r.saturation;
      results.warmThroughput = r.warmThroughput;
      table("3a. Backlog drained, cold cache", r.backlog.cold);
      table("3b. Backlog drained, warm cache", r.backlog.warm);
      table("4. Model saturation (cold backlog)", r.saturation);
      table("5. Warm throughput vs a bare split + parse + splice loop", r.warmThroughput);
      charts.saturation = await renderSvg(
        saturationChart(r.saturation.points, r.saturation.limit, r.saturation.windowSeconds),
      );
    } else if (name === "cache-at-scale") {
      const r = await cacheAtScale(ctx);
      results.cacheAtScale = r;
      table("6. Cache at scale (Redis, compact layout)", {
        ...r,
        encodings: JSON.stringify(r.sampledBucketEncodings),
      });
    } else if (name === "cache-import") {
      const r = await cacheImport(ctx);
      results.cacheImport = r;
      table("8. cache import into Redis", r);
    } else if (name === "normalisation") {
      const r = await normalisation(ctx);
      results.normalisation = r;
      process.stdout.write("\n9. Model calls saved by each normalisation level\n");
      console.table(r.levels);
    } else if (name === "warmup-curve") {
      const r = await warmupCurve(ctx);
      results.warmupCurve = r;
      table("7. Warm-up curve", r);
      charts["warmup-curve"] = await renderSvg(warmupChart(r.points));
    } else if (name === "scale-out") {
      const r = await scaleOut(ctx);
      results.scaleOut = r;
      table("10. Scale-out: 3 workers cold (shared model rate)", r.cold3);
      process.stdout.write("\n10. Scale-out: warm lines/s by worker processes\n");
      console.table(r.warm);
    } else if (name === "startup") {
      const r = await startup();
      results.startup = r;
      table("11. Start-up: augmenter run --help (built bundle) vs node -e 0", r);
    } else if (name === "warm" || name === "warm-redis") {
      const r = await warm(ctx, name === "warm" ? "lmdb" : "redis");
      results[name === "warm" ? "warm" : "warmRedis"] = r;
      charts[`${name}-stages`] = await renderSvg(warmStagesChart(r));
      table(
        `12. Warm path, local directories, ${r.l2} L2: built bundle from start to exit vs the bare loop`,
        r,
      );
      process.stdout.write("Bare loop by stage (cumulative; each a whole pass over the files)\n");
      console.table(r.bareLoopStages);
      process.stdout.write("CPU profile, top 10 self time (share of samples)\n");
      console.table(r.cpuProfileTop10);
    }
    log(`${name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    measuredAt[name] = `${new Date().toISOString()}, ${commit}`;
  }
} finally {
  await s3.stop();
  await redis.stop();
}

for (const [name, svg] of Object.entries(charts)) await writeFile(join(out, `${name}.svg`), svg);
results.measuredAt = measuredAt;
await writeFile(join(out, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
// Charts of scenarios kept from an earlier run (with --only) stay listed.
const chartFiles = (await readdir(out)).filter((f) => f.endsWith(".svg")).map((f) => f.slice(0, -4));
// Formatted as the repository formats Markdown, so a committed report passes format:check.
const reportPath = join(out, "README.md");
const prettierConfig = (await prettier.resolveConfig(reportPath)) ?? {};
await writeFile(
  reportPath,
  await prettier.format(markdownReport(results, chartFiles), { ...prettierConfig, parser: "markdown" }),
);
log(`report written to ${out}`);
