import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { text } from "node:stream/consumers";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { DEFAULT_GENERATE_OPTIONS, generateSamples, seedFromText } from "sample-generator";
import { seededSeniority } from "mock-seniority-server";
import { verifyOutputs } from "tools/verify-outputs";
import { parseOptions } from "@rl/cli";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import type { ObjectStore } from "@rl/s3";
import { S3ObjectStore, createS3Client } from "@rl/s3/s3-object-store";
import { AUGMENTER_OPTIONS, createAugmenter, type AugmenterConfig } from "augmenter";
import { startTestEnvironment, type TestEnvironment } from "tools/test-env";

export const BUCKET = "rl-data";
export const SEED = "e2e-seed";

export type { TestEnvironment };

/** A test file's environment; `dir` is its scratch directory ("" when none was asked for). */
export type E2eEnvironment = TestEnvironment & { dir: string };

/**
 * Redis, an S3 server and the model: from the environment, testcontainers or local processes.
 * With `scratch`, also a temporary directory named after it; `stop()` removes it.
 */
export async function startEnv(scratch?: string): Promise<E2eEnvironment> {
  const dir = scratch ? await mkdtemp(join(tmpdir(), `${scratch}-`)) : "";
  const removeDir = async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  };
  const env = await startTestEnvironment({
    buckets: [BUCKET],
    mock: { pairsPerSecond: 100_000, seed: SEED },
  }).catch(async (err: unknown) => {
    await removeDir();
    throw err;
  });
  process.env.AWS_ACCESS_KEY_ID = env.s3.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = env.s3.credentials.secretAccessKey;
  process.env.AWS_REGION ??= "us-east-1";
  const stop = async () => {
    await env.stop();
    await removeDir();
  };
  return { ...env, dir, stop, [Symbol.asyncDispose]: stop };
}

/** A fresh bucket, prefix layout and cache namespace for one test. */
export async function scenario(env: TestEnvironment) {
  const id = randomUUID().slice(0, 8);
  const bucket = `t-${id}`;
  const client = createS3Client({ endpoint: env.s3.endpoint, credentials: env.s3.credentials });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  const uri = (what: string) => `s3://${bucket}/${id}/${what}/`;
  const store = (what: string) =>
    new S3ObjectStore(createS3Client({ endpoint: env.s3.endpoint, credentials: env.s3.credentials }), {
      bucket,
      prefix: `${id}/${what}/`,
    });
  const config = (overrides: Partial<AugmenterConfig> = {}): AugmenterConfig => ({
    ...parseOptions(AUGMENTER_OPTIONS, [], {}).values,
    rawUri: uri("raw"),
    modUri: uri("mod"),
    errorsUri: uri("errors"),
    s3Endpoint: env.s3.endpoint,
    grpcAddr: env.model.address,
    cacheUrl: env.redisUrl,
    modelVersion: `test-${id}`,
    modelRate: 100_000,
    modelLingerMs: 10,
    httpPort: -1,
    logLevel: "silent",
    ...overrides,
  });
  const run = async (overrides: Partial<AugmenterConfig> = {}) => {
    const a = await createAugmenter(config(overrides), pino({ level: "silent" }));
    try {
      return await a.augmenter.runOnce();
    } finally {
      await a.close();
    }
  };
  return { id, bucket, uri, store, config, run };
}

export type Scenario = Awaited<ReturnType<typeof scenario>>;

/** The checkout's root, with a trailing slash. */
export const root = fileURLToPath(new URL("../../..", import.meta.url));

/** The augmenter as a user starts it: a separate process, its stdout read line by line. */
export function spawnAugmenter(args: string[], extraEnv: Record<string, string>, bundle?: string) {
  // `node --import tsx`, not the tsx CLI: the CLI runs the program in a child process, so a
  // SIGKILL would kill only the wrapper and leave the augmenter running as an orphan. With
  // `bundle`, the built app (`nx build augmenter`) as production runs it.
  const program = bundle ? [bundle] : ["--import", "tsx", `${root}apps/augmenter/src/main.ts`];
  const child = spawn(process.execPath, [...program, ...args], {
    cwd: root,
    env: { ...process.env, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout });
  lines.on("line", (l) => (stdout += `${l}\n`));
  // "close", not "exit": every line of its output has been read by then.
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, lines, exited, out: () => stdout, err: () => stderr };
}

export type SpawnedAugmenter = ReturnType<typeof spawnAugmenter>;

/** A spawned augmenter's last output, for a failure message. */
export const tail = (p: SpawnedAugmenter) => `${p.out().slice(-3000)}\n${p.err().slice(-2000)}`;

/**
 * Until a spawned `serve` logs that it is starting; returns the HTTP port it logged. A process
 * that never gets there is killed, so a failed test leaves none behind.
 */
export async function untilStarting(p: SpawnedAugmenter, ms = 30_000): Promise<number> {
  const starting = () =>
    p
      .out()
      .split("\n")
      .find((l) => l.includes('"augmenter starting"'));
  await until(
    "the augmenter starts",
    () => starting() !== undefined,
    ms,
    () => tail(p),
  ).catch((err: Error) => {
    p.child.kill("SIGKILL");
    throw err;
  });
  return (JSON.parse(starting() as string) as { httpPort: number }).httpPort;
}

/** The environment variables a user would set to run the augmenter on a scenario. */
export function augmenterEnv(
  env: TestEnvironment,
  s: { id: string; uri(what: string): string },
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    RAW_URI: s.uri("raw"),
    MOD_URI: s.uri("mod"),
    ERRORS_URI: s.uri("errors"),
    S3_ENDPOINT: env.s3.endpoint,
    SENIORITY_GRPC_ADDR: env.model.address,
    CACHE_URL: env.redisUrl,
    MODEL_VERSION: `cli-${s.id}`,
    MODEL_RATE: "100000",
    // Parse threads for every spawned process, chosen rather than left to `auto` (which starts
    // none for S3 input on 2 cores): the threaded path is the one these tests put hostile input
    // through; the in-process scenarios (`scenario().run`) keep `auto` and so cover the inline one.
    PARSE_THREADS: "2",
    ...overrides,
  };
}

/** Builds the augmenter bundle (esbuild, a second or two) and returns its path. */
export async function buildAugmenter(): Promise<string> {
  const build = spawn(process.execPath, [`${root}tools/build-app.mjs`, "augmenter"], {
    cwd: root,
    stdio: "inherit",
  });
  const code = await new Promise<number | null>((resolve) => build.on("close", resolve));
  if (code !== 0) throw new Error(`building the augmenter failed (${code})`);
  return `${root}dist/apps/augmenter/main.js`;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `ok` every `everyMs` until it holds; after `ms`, fails naming `what`, with `log()`. */
export async function until(
  what: string,
  ok: () => boolean | Promise<boolean>,
  ms: number,
  log: () => string = () => "",
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${ms} ms\n${log()}`);
    await sleep(everyMs);
  }
}

/** Objects under a store's prefix. */
export async function countObjects(store: { list(): AsyncIterable<unknown> }): Promise<number> {
  let n = 0;
  for await (const _ of store.list()) n += 1;
  return n;
}

/** Until the scenario's outputs number at least `atLeast`, or exactly `all`. */
export function untilOutputs(
  s: Scenario,
  want: { atLeast: number } | { all: number },
  ms: number,
  log?: () => string,
): Promise<void> {
  const what =
    "all" in want ? `all ${want.all} outputs` : `${want.atLeast} output${want.atLeast === 1 ? "" : "s"}`;
  return until(
    what,
    async () => {
      const n = await countObjects(s.store("mod"));
      return "all" in want ? n === want.all : n >= want.atLeast;
    },
    ms,
    log,
  );
}

/** `files × perFile` generated lines with no bad ones, `perFile` to a file. */
export const generateClean = (store: ObjectStore, files: number, perFile: number, seed: string) =>
  generateSamples(store, {
    ...DEFAULT_GENERATE_OPTIONS,
    total: files * perFile,
    split: perFile,
    seed: seedFromText(seed),
    badRate: 0,
  });

/** Every output line of the scenario against its input and the value the seeded mock gives. */
export const verifySeeded = (s: Scenario, mod = "mod") =>
  verifyOutputs({
    raw: s.store("raw"),
    mod: s.store(mod),
    normalise: "default",
    expected: (c, t) => seededSeniority(SEED, c, t),
  });

/** An object's body as text. */
export const readText = async (store: ObjectStore, key: string) => text(await store.get(key));

/** A JSON file the augmenter wrote (a `--report`). */
export const readJson = async <T>(path: string) => JSON.parse(await readFile(path, "utf8")) as T;

/**
 * What the harness's mock model received. A model named by SENIORITY_GRPC_ADDR cannot be asked,
 * and a check that needs its accounting fails saying so rather than passing on nothing.
 */
export function mockStats(env: TestEnvironment) {
  const s = env.model.stats();
  if (!s) throw new Error("this check needs the mock model's accounting: unset SENIORITY_GRPC_ADDR");
  return s;
}
