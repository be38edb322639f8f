// `npm start`: the whole flow on one machine with nothing configured. Starts a local
// S3-compatible server and the mock model (keyword mode, as separate processes so their CPU
// and memory are measured apart), generates a sample, runs the augmenter exactly as a user
// would (`augmenter run`), verifies every output line, and answers the owners' questions.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ConfigError,
  defaultCacheUrl,
  formatHelp,
  option,
  parseOptions,
  runMain,
  type OptionValues,
} from "@rl/cli";
import { openSeniorityStore, validateCacheUrl } from "@rl/cache";
import { S3ObjectStore, createS3Client } from "@rl/s3/s3-object-store";
import { startLocalS3Server } from "@rl/s3/testing";
import type { RunReport } from "augmenter";
import { augmenterBundle } from "./augmenter-bundle";
import { localRunEnv } from "./local-run-env";
import { verifyOutputs } from "./verify-outputs";
import { keywordSeniority } from "mock-seniority-server";
import { startMockProcess } from "./bench/processes";
import { DEFAULT_GENERATE_OPTIONS, generateSamples, seedFromText } from "sample-generator";

const OPTIONS = {
  total: option.number("total", "Postings to generate", {
    env: "DEMO_TOTAL",
    default: 200_000,
    integer: true,
    min: 1,
  }),
  split: option.number("split", "Postings per file", {
    env: "DEMO_SPLIT",
    default: 10_000,
    integer: true,
    min: 1,
  }),
  rate: option.number("rate", "Mock model rate, pairs/s (the real model's is about 1000)", {
    env: "DEMO_RATE",
    default: 1000,
    min: 1,
  }),
  seed: option.string("seed", "Generator seed (the same seed and a kept cache make a warm second run)", {
    env: "DEMO_SEED",
    default: "demo",
  }),
  cacheUrl: option.string(
    "cache-url",
    "Augmenter cache. The default's .data/ is the data directory (DATA_DIR, else the checkout's .data/), as for the augmenter's own commands",
    { env: "CACHE_URL", default: "lmdb:.data/cache", secret: true },
  ),
};

const say = (msg: string) => process.stderr.write(`\n== ${msg}\n`);

async function main(): Promise<number> {
  const { values: o, help, positionals, sources } = parseOptions(OPTIONS, process.argv.slice(2), process.env);
  if (help) {
    process.stdout.write(formatHelp("usage: npm start -- [options]", OPTIONS));
    return 0;
  }
  if (positionals.length > 0)
    throw new ConfigError(
      `unexpected argument ${JSON.stringify(positionals[0])}: npm start takes options only`,
    );
  // The cache lives in the data directory the augmenter's own commands use, so a later `npm
  // run augmenter` or `nx serve augmenter` finds what this run paid for.
  const cacheUrl =
    sources.cacheUrl === "default"
      ? defaultCacheUrl({ DATA_DIR: process.env.DATA_DIR, XDG_DATA_HOME: process.env.XDG_DATA_HOME })
      : o.cacheUrl;
  // Checked before generating anything: a wrong CACHE_URL fails now, not after 200k postings.
  await checkCache(cacheUrl);
  say(`cache: ${cacheUrl.startsWith("lmdb:") ? cacheUrl : "from CACHE_URL"}`);
  return demo({ ...o, cacheUrl });
}

type DemoOptions = OptionValues<typeof OPTIONS>;

/** Checks CACHE_URL by opening the cache once (read-only) and closing it. */
async function checkCache(url: string): Promise<void> {
  try {
    validateCacheUrl(url);
  } catch (err) {
    throw new ConfigError(`--cache-url (or CACHE_URL): ${(err as Error).message}`);
  }
  const store = await openSeniorityStore(url, { modelVersion: "v1", readOnly: true });
  await store.close();
}

async function demo(o: DemoOptions): Promise<number> {
  const children: ChildProcess[] = [];
  const stops: Array<() => Promise<void>> = [];
  const work = await mkdtemp(join(tmpdir(), "augmenter-demo-"));
  const s3 = await startLocalS3Server({ buckets: ["rl-data"] });
  const cleanup = async () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
    await Promise.all(stops.map((stop) => stop()));
    await s3.stop();
    await rm(work, { recursive: true, force: true });
  };
  process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));

  try {
    say(`S3-compatible server (s3rver) on ${s3.endpoint}, bucket rl-data`);
    const mock = await startMockProcess(o.rate, "demo", "keyword");
    stops.push(mock.stop);
    say(`mock model (keyword mode, ${o.rate} pairs/s) on ${mock.address}`);

    const client = createS3Client({ endpoint: s3.endpoint, credentials: s3.credentials });
    const store = (prefix: string) => new S3ObjectStore(client, { bucket: "rl-data", prefix });
    const gen = await generateSamples(store("job-postings-raw/"), {
      ...DEFAULT_GENERATE_OPTIONS,
      total: o.total,
      split: o.split,
      startTime: Math.floor(Date.now() / 60_000) * 60 - Math.ceil(o.total / o.split) * 60,
      seed: seedFromText(o.seed),
    });
    say(
      `generated ${gen.records.toLocaleString("en-US")} postings in ${gen.files} files (${(gen.bytes / 1e6).toFixed(1)} MB) to s3://rl-data/job-postings-raw/`,
    );

    const reportPath = join(work, "report.json");
    // The built bundle, as production runs it (plain Node; tsx would compile at every start).
    const bundle = await augmenterBundle();
    say("augmenter run");
    const aug = spawn(
      process.execPath,
      [bundle, "run", "--report", reportPath, "--http-port", "-1", "--log-level", "warn"],
      {
        stdio: ["ignore", "inherit", "inherit"],
        env: {
          ...process.env,
          ...localRunEnv(s3, mock.address),
          CACHE_URL: o.cacheUrl,
          MODEL_RATE: String(o.rate),
        },
      },
    );
    children.push(aug);
    const code = await new Promise<number | null>((resolve) => aug.once("exit", resolve));
    if (code !== 0) throw new Error(`augmenter exited with code ${code}`);
    const report = JSON.parse(await readFile(reportPath, "utf8")) as RunReport;
    const mockStats = await mock.stats();

    say("verifying every output line against its input and the model's answer");
    const v = await verifyOutputs({
      raw: store("job-postings-raw/"),
      mod: store("job-postings-mod/"),
      normalise: "default",
      expected: (_c, t) => keywordSeniority(t),
    });
    const ok =
      v.mismatches.length === 0 &&
      v.missingOutputs.length === 0 &&
      v.linesChecked === report.totals.outputLines;
    const perFile = report.files.map((f) => f.timings.totalMs / 1000).sort((a, b) => a - b);
    const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
    const rows: Array<[string, string]> = [
      [
        "verification",
        ok
          ? `PASS: ${fmt(v.linesChecked)} output lines byte-exact, in order, ${v.files} files`
          : `FAIL: ${v.mismatches.length} mismatches, ${v.missingOutputs.length} missing outputs`,
      ],
      [
        "one file through the full flow",
        `median ${perFile[Math.floor(perFile.length / 2)]?.toFixed(2)} s, max ${perFile[perFile.length - 1]?.toFixed(2)} s (${fmt(o.split)} postings each, ${report.files.length} files, 4 at a time)`,
      ],
      [
        "all files",
        `${report.wallSeconds.toFixed(1)} s for ${fmt(report.totals.records)} postings (${fmt(report.totals.records / report.wallSeconds)}/s)`,
      ],
      [
        "cache reads / writes",
        `${(report.totals.cacheReadMs / 1000).toFixed(2)} s / ${(report.cache.writeMs / 1000).toFixed(2)} s (${report.cache.l2})`,
      ],
      [
        "model pairs vs distinct pairs",
        `${fmt(mockStats.pairsReceived)} received by the model, ${fmt(v.distinctPairs)} distinct normalised pairs in the input, ${fmt(mockStats.pairsReceivedMoreThanOnce)} received more than once`,
      ],
      ["model rate", `${report.model.pairsPerSecond.toFixed(0)} pairs/s over the run (limit ${o.rate})`],
      [
        "augmenter CPU / peak RSS",
        `${report.cpuSeconds.toFixed(1)} s / ${(report.peakRssBytes / 1048576).toFixed(0)} MiB`,
      ],
      [
        "mock model CPU / peak RSS",
        `${mockStats.process.cpuSeconds.toFixed(1)} s / ${(mockStats.process.peakRssBytes / 1048576).toFixed(0)} MiB`,
      ],
    ];
    const w = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(
      `\nOwners' questions\n${rows.map(([k, val]) => `  ${k.padEnd(w)}  ${val}`).join("\n")}\n`,
    );
    if (!ok) console.error(JSON.stringify(v.mismatches.slice(0, 3), null, 2));
    return ok ? 0 : 1;
  } finally {
    await cleanup();
  }
}

runMain("npm start", main);
