// `npm run soak`: the service under sustained load with periodic faults (issue 6, scenario 7).
// Feeds generated files at a multiple of the average rate (5,555 lines a minute) into a local S3
// server behind a fault proxy, runs `augmenter serve` as its own process on Redis (AOF) and the
// mock model, and every `--fault-every-s` injects the next fault in turn: Redis restarted from
// its AOF, the model restarted, S3 errors for a while, model errors for a while. Samples the
// augmenter's RSS and each file's latency (upload → output visible), then drains, verifies
// every output against the seeded model, and writes soak.json and soak.md. Not run in CI.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { formatHelp, option, parseOptions, quietRuntimeNotice } from "@rl/cli";
import { startLocalRedis, stopChild, type LocalRedisServer } from "@rl/cache/testing";
import { S3ObjectStore, createS3Client } from "@rl/s3/s3-object-store";
import { startLocalS3Server } from "@rl/s3/testing";
import { DEFAULT_GENERATE_OPTIONS, generateSamples, seedFromText } from "sample-generator";
import { seededSeniority, startMockSeniorityServer, type MockSeniorityServer } from "mock-seniority-server";
import { ROOT } from "./bench/processes";
import { startFaultProxy } from "./test-env/fault-proxy";
import { verifyOutputs } from "./verify-outputs";

const OPTIONS = {
  minutes: option.number("minutes", "How long to feed load", { default: 30, min: 0.1 }),
  load: option.number("load", "Multiple of the average rate of 5,555 lines a minute", {
    default: 10,
    min: 0.1,
  }),
  faultEveryS: option.number("fault-every-s", "Seconds between injected faults (0: none)", {
    default: 120,
    min: 0,
  }),
  heapMb: option.number("heap-mb", "The augmenter's V8 heap limit, as deployed (docs/deployment.md)", {
    default: 256,
    min: 16,
  }),
  out: option.optionalString("out", "Report directory (default: a temp dir)"),
};
quietRuntimeNotice();
const { values: o, help } = parseOptions(OPTIONS, process.argv.slice(2), process.env);
if (help) {
  process.stdout.write(formatHelp("usage: npm run soak -- [options]", OPTIONS));
  process.exit(0);
}
const log = (m: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SEED = "soak";
const out = o.out ?? (await mkdtemp(join(tmpdir(), "soak-")));
await mkdir(out, { recursive: true });

// --- the environment
const redisDir = await mkdtemp(join(tmpdir(), "soak-redis-"));
const aof = ["--appendonly", "yes", "--appendfsync", "everysec"];
let redis: LocalRedisServer = await startLocalRedis({ dir: redisDir, extraArgs: aof });
const redisPort = redis.port;
const s3 = await startLocalS3Server({ buckets: ["rl-data"] });
const proxy = await startFaultProxy({ target: s3.endpoint });
let model: MockSeniorityServer = await startMockSeniorityServer({
  port: 0,
  pairsPerSecond: 1000,
  seed: SEED,
});
const modelPort = model.port;
const store = (prefix: string) =>
  new S3ObjectStore(createS3Client({ endpoint: s3.endpoint, credentials: s3.credentials }), {
    bucket: "rl-data",
    prefix,
  });
const raw = store("soak/raw/");
const mod = store("soak/mod/");

// --- the augmenter, as a user runs it
// `node --import tsx`: one process, so its pid's RSS is the augmenter's (the tsx CLI would
// put the program in a child and report its own small wrapper).
const child = spawn(process.execPath, ["--import", "tsx", `${ROOT}apps/augmenter/src/main.ts`, "serve"], {
  cwd: ROOT,
  env: {
    ...process.env,
    RAW_URI: "s3://rl-data/soak/raw/",
    MOD_URI: "s3://rl-data/soak/mod/",
    ERRORS_URI: "s3://rl-data/soak/errors/",
    S3_ENDPOINT: proxy.endpoint,
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    AWS_REGION: "us-east-1",
    SENIORITY_GRPC_ADDR: `127.0.0.1:${modelPort}`,
    CACHE_URL: redis.url,
    MODEL_VERSION: "soak",
    POLL_INTERVAL_MS: "1000",
    FILE_RETRY_BASE_MS: "1000",
    FILE_MAX_ATTEMPTS: "1000",
    HTTP_PORT: "-1",
    LOG_LEVEL: "warn",
    NODE_NO_WARNINGS: "1",
    NODE_OPTIONS: `--max-old-space-size=${o.heapMb}`,
  },
  stdio: ["ignore", "pipe", "pipe"],
});
const warnings: string[] = [];
createInterface({ input: child.stdout }).on("line", (l) => warnings.length < 10_000 && warnings.push(l));
child.stderr.resume();
// Ctrl-C or SIGTERM stops what the soak started (by the handles it holds), then exits.
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    log(`${signal}: stopping what the soak started`);
    void Promise.allSettled([
      stopChild(child, 10_000),
      model.stop(),
      proxy.stop(),
      s3.stop(),
      redis.stop(),
    ]).then(() => process.exit(130));
  });
const rssMiB = async () => {
  const status = await readFile(`/proc/${child.pid}/status`, "utf8").catch(() => "");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
};

// --- load, faults and sampling
const uploaded = new Map<string, number>();
const latencies: Array<{ t: number; seconds: number }> = [];
const rss: Array<{ t: number; mib: number }> = [];
const faults: Array<{ t: number; fault: string }> = [];
const t0 = Date.now();
const minute = (t: number) => (t - t0) / 60_000;
const perFile = 5_555;
const fileEveryMs = 60_000 / o.load;
let nextName = 1_800_000_000;
let feeding = true;

const feeder = (async () => {
  let i = 0;
  while (feeding) {
    const started = Date.now();
    const name = nextName++;
    await generateSamples(raw, {
      ...DEFAULT_GENERATE_OPTIONS,
      total: perFile,
      split: perFile,
      startTime: name,
      seed: seedFromText(`soak-${i++}`),
    });
    uploaded.set(`${name}.jsonl`, Date.now());
    await sleep(Math.max(0, fileEveryMs - (Date.now() - started)));
  }
})();

const watcher = (async () => {
  const seen = new Set<string>();
  for (;;) {
    for await (const x of mod.list()) {
      if (seen.has(x.key)) continue;
      seen.add(x.key);
      const at = uploaded.get(x.key);
      if (at) latencies.push({ t: minute(Date.now()), seconds: (Date.now() - at) / 1000 });
    }
    rss.push({ t: minute(Date.now()), mib: await rssMiB() });
    if (!feeding && seen.size >= uploaded.size) return;
    await sleep(2_000);
  }
})();

const FAULTS: Array<[string, () => Promise<void>]> = [
  [
    "Redis restarted from its AOF (down 5 s)",
    async () => {
      await redis.stop();
      await sleep(5_000);
      redis = await startLocalRedis({ dir: redisDir, extraArgs: aof, port: redisPort });
    },
  ],
  [
    "model restarted (down 3 s)",
    async () => {
      await model.stop();
      await sleep(3_000);
      model = await startMockSeniorityServer({ port: modelPort, pairsPerSecond: 1000, seed: SEED });
    },
  ],
  [
    "S3: 5% 500, 5% 503 SlowDown, 2% dropped connections for 30 s",
    async () => {
      proxy.set({ internalErrorRate: 0.05, slowDownRate: 0.05, dropRate: 0.02 });
      await sleep(30_000);
      proxy.set({ internalErrorRate: 0, slowDownRate: 0, dropRate: 0 });
    },
  ],
  [
    "model: 20% UNAVAILABLE, 10% malformed answers for 30 s",
    async () => {
      await model.stop();
      model = await startMockSeniorityServer({
        port: modelPort,
        pairsPerSecond: 1000,
        seed: SEED,
        faults: { errorRate: 0.2, malformedRate: 0.1 },
      });
      await sleep(30_000);
      await model.stop();
      model = await startMockSeniorityServer({ port: modelPort, pairsPerSecond: 1000, seed: SEED });
    },
  ],
];
const faulter = (async () => {
  if (o.faultEveryS <= 0) return;
  for (let k = 0; feeding; k++) {
    await sleep(o.faultEveryS * 1000);
    if (!feeding) return;
    const [name, inject] = FAULTS[k % FAULTS.length]!;
    log(`fault: ${name}`);
    faults.push({ t: minute(Date.now()), fault: name });
    await inject();
  }
})();

const progress = setInterval(() => {
  const last = rss[rss.length - 1]?.mib ?? 0;
  log(`${uploaded.size} files uploaded, ${latencies.length} done, RSS ${last.toFixed(0)} MiB`);
}, 30_000);
await sleep(o.minutes * 60_000);
feeding = false;
log("load stopped; draining");
await feeder;
await faulter;
await watcher;
clearInterval(progress);

// --- verdict
const v = await verifyOutputs({
  raw,
  mod,
  normalise: "default",
  expected: (c, t) => seededSeniority(SEED, c, t),
});
await stopChild(child, 60_000);
await model.stop();
await proxy.stop();
await s3.stop();
await redis.stop();
await rm(redisDir, { recursive: true, force: true });

const windows = Math.max(1, Math.ceil(o.minutes / 5));
const byWindow = Array.from({ length: windows }, (_, w) => {
  const inW = <T extends { t: number }>(a: T[]) => a.filter((x) => x.t >= w * 5 && x.t < (w + 1) * 5);
  const lat = inW(latencies)
    .map((x) => x.seconds)
    .sort((a, b) => a - b);
  const r = inW(rss).map((x) => x.mib);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0;
  return {
    window: `${w * 5}-${(w + 1) * 5} min`,
    files: lat.length,
    latencyP50: +q(0.5).toFixed(2),
    latencyP95: +q(0.95).toFixed(2),
    rssMaxMiB: Math.round(Math.max(0, ...r)),
  };
});
const report = {
  minutes: o.minutes,
  load: o.load,
  linesPerMinute: Math.round(perFile * o.load),
  filesUploaded: uploaded.size,
  verify: {
    files: v.files,
    lines: v.linesChecked,
    mismatches: v.mismatches.length,
    missing: v.missingOutputs.length,
  },
  faults,
  windows: byWindow,
  warningsLogged: warnings.length,
};
await writeFile(join(out, "soak.json"), `${JSON.stringify({ ...report, rss, latencies }, null, 2)}\n`);
const md = [
  "# Soak report",
  "",
  `${o.minutes} min at ${o.load}× the average load (${report.linesPerMinute.toLocaleString("en-US")} lines a minute; every file from its own vocabulary, so most pairs are new and the model works throughout), a fault every ${o.faultEveryS} s, augmenter heap limit ${o.heapMb} MB, L1 default (500,000 entries, which fill over the run); ${report.filesUploaded} files; every output verified against the model: ${v.linesChecked.toLocaleString("en-US")} lines, ${v.mismatches.length} mismatches, ${v.missingOutputs.length} missing.`,
  "",
  "| window | files done | latency p50 s | latency p95 s | augmenter RSS max MiB |",
  "|---|---|---|---|---|",
  ...byWindow.map((w) => `| ${w.window} | ${w.files} | ${w.latencyP50} | ${w.latencyP95} | ${w.rssMaxMiB} |`),
  "",
  "Faults injected:",
  "",
  ...faults.map((f) => `- ${f.t.toFixed(1)} min: ${f.fault}`),
  "",
].join("\n");
await writeFile(join(out, "soak.md"), md);
process.stdout.write(`${md}\nreport: ${out}/soak.md\n`);
process.exit(v.mismatches.length === 0 && v.missingOutputs.length === 0 ? 0 : 1);
