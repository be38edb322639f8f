// `tsx tools/src/run-and-verify.ts [options] -- <command…>`: the augmenter as something other
// than this repository's code runs it (its image with `docker run`, the compose stack), checked
// from outside. Starts s3rver and the mock model (keyword mode) on 127.0.0.1, generates a day
// slice into s3://rl-data/job-postings-raw/, runs the command with the variables a user would set
// (RAW_URI, MOD_URI, ERRORS_URI, S3_ENDPOINT, AWS_*, SENIORITY_GRPC_ADDR, MODEL_RATE,
// MODEL_VERSION, and CACHE_URL or REDIS_PORT per --redis), then verifies every output line
// against its input (verify-outputs.ts) and that the model received each distinct pair once.
import { spawn } from "node:child_process";
import { freePort, startLocalRedis } from "@rl/cache/testing";
import { formatHelp, option, parseOptions } from "@rl/cli";
import { S3ObjectStore, createS3Client } from "@rl/s3/s3-object-store";
import { startLocalS3Server } from "@rl/s3/testing";
import { keywordSeniority } from "mock-seniority-server";
import { DEFAULT_GENERATE_OPTIONS, generateSamples, seedFromText } from "sample-generator";
import { startMockProcess } from "./bench/processes";
import { localRunEnv } from "./local-run-env";
import { verifyOutputs } from "./verify-outputs";

const OPTIONS = {
  files: option.number("files", "Files in the slice (one a minute)", { default: 30, integer: true, min: 1 }),
  split: option.number("split", "Postings per file", { default: 2000, integer: true, min: 1 }),
  rate: option.number("rate", "Mock model rate, pairs/s", { default: 20_000, min: 1 }),
  redis: option.oneOf(
    "redis",
    "none: no CACHE_URL (the image's embedded cache); local: start redis-server and set CACHE_URL; port: only pick a free port as REDIS_PORT (the command starts Redis)",
    ["none", "local", "port"],
    { default: "none" },
  ),
  label: option.string("label", "What is being checked, for the report", { default: "command" }),
};

const { values: o, positionals: command, help } = parseOptions(OPTIONS, process.argv.slice(2), {});
if (help || command.length === 0) {
  process.stdout.write(formatHelp("usage: tsx tools/src/run-and-verify.ts [options] -- <command…>", OPTIONS));
  process.exit(help ? 0 : 2);
}
const say = (msg: string) => process.stdout.write(`${o.label}: ${msg}\n`);
const stops: Array<() => Promise<void>> = [];
/** The longest a command under test may run (a hung container must not hold CI). */
const RUN_TIMEOUT_S = 900;
let failed = false;
try {
  const s3 = await startLocalS3Server({ buckets: ["rl-data"] });
  stops.push(() => s3.stop());
  const mock = await startMockProcess(o.rate, "run-and-verify", "keyword");
  stops.push(mock.stop);
  const cache: Record<string, string> = {};
  if (o.redis === "local") {
    const r = await startLocalRedis();
    stops.push(() => r.stop());
    cache.CACHE_URL = r.url;
  } else if (o.redis === "port") cache.REDIS_PORT = String(await freePort());

  const client = createS3Client({ endpoint: s3.endpoint, credentials: s3.credentials });
  const store = (prefix: string) => new S3ObjectStore(client, { bucket: "rl-data", prefix });
  const gen = await generateSamples(store("job-postings-raw/"), {
    ...DEFAULT_GENERATE_OPTIONS,
    total: o.files * o.split,
    split: o.split,
    startTime: Math.floor(Date.now() / 60_000) * 60 - o.files * 60,
    seed: seedFromText(o.label),
  });
  say(
    `s3rver ${s3.endpoint}, mock model ${mock.address} (${o.rate} pairs/s), ${
      cache.CACHE_URL
        ? `Redis ${cache.CACHE_URL}`
        : cache.REDIS_PORT
          ? `Redis port ${cache.REDIS_PORT}`
          : "no CACHE_URL"
    }; ${gen.records} postings in ${gen.files} files`,
  );
  const env = {
    ...process.env,
    ...localRunEnv(s3, mock.address),
    MODEL_RATE: String(o.rate),
    MODEL_VERSION: `rv-${Date.now()}`,
    ...cache,
  };
  const t0 = performance.now();
  const child = spawn(command[0]!, command.slice(1), { stdio: ["ignore", "inherit", "inherit"], env });
  // Bounded: CI must not hang on a container that never ends; a command that cannot start
  // (no such binary) rejects here, so the servers below are still stopped.
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`\`${command.join(" ")}\` had not finished after ${RUN_TIMEOUT_S} s`));
    }, RUN_TIMEOUT_S * 1000);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("exit", (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0)
    throw new Error(`\`${command.join(" ")}\` exited with code ${code} after ${seconds.toFixed(1)} s`);

  const v = await verifyOutputs({
    raw: store("job-postings-raw/"),
    mod: store("job-postings-mod/"),
    normalise: "default",
    expected: (_c, t) => keywordSeniority(t),
  });
  const stats = await mock.stats();
  const linesOk =
    v.mismatches.length === 0 && v.missingOutputs.length === 0 && v.linesChecked === gen.records;
  const pairsOk = stats.pairsReceived === v.distinctPairs && stats.pairsReceivedMoreThanOnce === 0;
  say(
    `${linesOk ? "PASS" : "FAIL"}: ${v.linesChecked}/${gen.records} output lines byte-exact in ${v.files} files, ` +
      `${v.missingOutputs.length} outputs missing, ${v.mismatches.length} mismatches (command took ${seconds.toFixed(1)} s)`,
  );
  say(
    `${pairsOk ? "PASS" : "FAIL"}: the model received ${stats.pairsReceived} pairs for ${v.distinctPairs} distinct pairs, ` +
      `${stats.pairsReceivedMoreThanOnce} more than once`,
  );
  if (!linesOk)
    console.error(
      JSON.stringify(
        { missing: v.missingOutputs.slice(0, 5), mismatches: v.mismatches.slice(0, 3) },
        null,
        2,
      ),
    );
  failed = !linesOk || !pairsOk;
} catch (err) {
  say(`FAIL: ${(err as Error).message}`);
  failed = true;
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => {});
}
process.exitCode = failed ? 1 : 0;
