// Issue 12, items 2-5: the commands as an operator runs them (npm scripts, separate processes),
// with wrong settings, wrong arguments and failing files. Each says its cause on one line,
// names the setting, prints no stack trace and exits 2 (configuration) or 1 (failure).
import { spawn } from "node:child_process";
import { gzipSync } from "node:zlib";
import { readdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { augmenterEnv, spawnAugmenter, root, scenario, startEnv, type E2eEnvironment } from "./env";

let env: E2eEnvironment;
beforeAll(async () => {
  env = await startEnv("operator-cli");
});
afterAll(() => env.stop());

/** No credentials anywhere in the AWS chain, and no instance metadata to wait for. */
const NO_AWS = {
  AWS_ACCESS_KEY_ID: "",
  AWS_SECRET_ACCESS_KEY: "",
  AWS_PROFILE: "",
  AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
  AWS_CONFIG_FILE: "/nonexistent",
  AWS_EC2_METADATA_DISABLED: "true",
};

/** `npm run -s <script> -- args` from the checkout, as a user types it. */
function npm(script: string, args: string[], extraEnv: Record<string, string> = {}, cwd = root) {
  const child = spawn("npm", ["run", "-s", script, "--", ...args], {
    cwd,
    env: { ...process.env, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, out, err })),
  );
}

async function augmenter(args: string[], extraEnv: Record<string, string>) {
  const p = spawnAugmenter(args, { LOG_LEVEL: "warn", ...extraEnv });
  const code = await p.exited;
  return { code, out: p.out(), err: p.err() };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

const noStack = (text: string) => expect(text).not.toMatch(/^\s+at /m);

describe("errors name their cause, without a stack trace", () => {
  it("npm start: a bad option or argument exits 2 naming it", async () => {
    for (const [args, said] of [
      [["--total", "0"], /--total \(or DEMO_TOTAL\): expected an integer >= 1, got "0"/],
      [["--bogus"], /unknown option --bogus/],
      [["extra"], /unexpected argument "extra"/],
    ] as const) {
      const r = await npm("start", [...args]);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(said);
      noStack(r.err);
    }
  }, 60_000);

  it("npm start: an unreachable CACHE_URL fails before generating anything", async () => {
    const port = await closedPort();
    const r = await npm("start", ["--total", "1000"], { CACHE_URL: `redis://127.0.0.1:${port}` });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      new RegExp(`cannot connect to Redis at redis://127.0.0.1:${port}: connect ECONNREFUSED`),
    );
    expect(r.err).not.toMatch(/generated|S3-compatible server/);
    noStack(r.err);
  }, 60_000);

  it("sample-generator: an S3 output without credentials says which variables to set", async () => {
    const r = await npm(
      "sample-generator",
      ["--out", "s3://rl-data/x/", "--total", "10", "--s3-endpoint", env.s3.endpoint],
      NO_AWS,
    );
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(
      /no credentials for s3:\/\/rl-data\/x\/: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
    );
    noStack(r.err);
  }, 60_000);

  it("mock-seniority-server: a missing certificate names --tls-cert", async () => {
    const r = await npm("mock-seniority-server", [
      "--tls-cert",
      "/nonexistent",
      "--tls-key",
      "/nonexistent",
      "--port",
      "0",
    ]);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe(
      "mock-seniority-server: --tls-cert (or MOCK_TLS_CERT): cannot read /nonexistent: no such file",
    );
  }, 60_000);

  it("augmenter: S3_ENDPOINT that is not a URL exits 2; one that does not answer exits 1; both name it", async () => {
    const s = await scenario(env);
    const bad = await augmenter(["run"], augmenterEnv(env, s, { S3_ENDPOINT: "notaurl" }));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(
      /S3_ENDPOINT \(or --s3-endpoint\): expected a URL starting http:\/\/ or https:\/\/, got "notaurl"/,
    );
    const port = await closedPort();
    const down = await augmenter(["run"], augmenterEnv(env, s, { S3_ENDPOINT: `http://127.0.0.1:${port}` }));
    expect(down.code).toBe(1);
    expect(down.err).toMatch(
      new RegExp(
        `cannot reach the S3 endpoint http://127.0.0.1:${port} \\(S3_ENDPOINT \\(or --s3-endpoint\\)\\) for s3://\\S+: connect ECONNREFUSED`,
      ),
    );
    noStack(bad.err + down.err);
  }, 60_000);

  it("augmenter: a bucket that does not exist is a configuration error naming the location", async () => {
    const s = await scenario(env);
    const r = await augmenter(["run"], augmenterEnv(env, s, { RAW_URI: "s3://no-such-bucket-here/raw/" }));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/s3:\/\/no-such-bucket-here\/raw\/: the bucket does not exist/);
  }, 60_000);

  it("augmenter: a local raw directory that does not exist stops run at once (exit 2, naming it)", async () => {
    const s = await scenario(env);
    const missing = join(env.dir, "no-such-raw-dir");
    const r = await augmenter(["run"], augmenterEnv(env, s, { RAW_URI: missing }));
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--raw-uri (or RAW_URI): file://${missing}/ does not exist: create it`);
    expect(r.out).not.toMatch(/files/);
    noStack(r.err);
  }, 60_000);

  it("augmenter: an unreachable memcached or an unusable LMDB path fails at start, before any file", async () => {
    const s = await scenario(env);
    await s.store("raw").put("1721183880.jsonl", '{"company":"Acme","title":"CEO"}\n');
    const port = await closedPort();
    const mc = await augmenter(["run"], augmenterEnv(env, s, { CACHE_URL: `memcached://127.0.0.1:${port}` }));
    expect(mc.code).toBe(1);
    expect(mc.err).toMatch(
      new RegExp(`cannot connect to memcached at memcached://127.0.0.1:${port}: .*ECONNREFUSED`),
    );
    expect(mc.out).not.toMatch(/files/);
    const started = Date.now();
    const lmdb = await augmenter(["run"], augmenterEnv(env, s, { CACHE_URL: "lmdb:///proc/nope" }));
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(lmdb.code).toBe(1);
    expect(lmdb.err).toMatch(
      /CACHE_URL \(or --cache-url; the default is DATA_DIR\/cache\): cannot open the embedded cache at \/proc\/nope: ENOENT/,
    );
    expect(await s.store("mod").head("1721183880.jsonl")).toBeUndefined();
    noStack(mc.err + lmdb.err);
  }, 60_000);
});

describe("one place for state", () => {
  it("the generator writes under DATA_DIR whatever its working directory, and says where", async () => {
    const dataDir = join(env.dir, "data");
    // The app's own script, in its own directory, as `nx run sample-generator:run` starts it.
    const r = await npm(
      "run",
      ["--total", "20", "--split", "10", "--seed", "s"],
      { DATA_DIR: dataDir },
      join(root, "apps/sample-generator"),
    );
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`writing 20 postings to file://${dataDir}/job-postings-raw/`);
    expect(
      (await readdir(join(dataDir, "job-postings-raw"))).filter((f) => f.endsWith(".jsonl")),
    ).toHaveLength(2);
  }, 60_000);

  it("the augmenter's default cache is DATA_DIR/cache, named when it starts", async () => {
    const s = await scenario(env);
    const dataDir = join(env.dir, "aug-data");
    // CACHE_URL empty is CACHE_URL unset: the default applies.
    const p = spawnAugmenter(
      ["run"],
      augmenterEnv(env, s, { DATA_DIR: dataDir, LOG_LEVEL: "info", CACHE_URL: "" }),
    );
    expect(await p.exited).toBe(0);
    expect(p.err()).toContain(`"cache":"lmdb://${dataDir}/cache"`);
  }, 60_000);
});

describe("commands and help", () => {
  const help = async (args: string[]) => {
    const r = await augmenter(args, {});
    expect(r.code, r.err).toBe(0);
    return r.out;
  };

  it("each command's --help lists its own options", async () => {
    const run = await help(["run", "--help"]);
    expect(run).toMatch(/^usage: augmenter run/);
    expect(run).toMatch(/--report/);
    expect(run).not.toMatch(/--from|--since|--format|--metrics-url/);
    const serve = await help(["serve", "--help"]);
    expect(serve).toMatch(/^usage: augmenter serve/);
    expect(serve).toMatch(/--http-port/);
    expect(serve).not.toMatch(/--from|--since|--format|--once|--report/);
    const cache = await help(["cache", "--help"]);
    expect(cache).toMatch(/warm --from/);
    expect(cache).toMatch(/--metrics-url/);
    expect(cache).not.toMatch(/--raw-uri|--http-port|--file-concurrency/);
    const top = await help(["--help"]);
    expect(top).toMatch(/import, export, restore, stats, drop, warm/);
  }, 60_000);

  it("refuses what a command does not take, naming it", async () => {
    for (const [args, said] of [
      [["cache"], /cache: a command is required\n.*augmenter cache <command>/s],
      [["serve", "--once"], /serve does not take --once \(run only\)/],
      [["run", "extra"], /unexpected argument "extra": run takes no more arguments/],
      [["cache", "stats", "extra"], /unexpected argument "extra": cache stats takes no more arguments/],
      [["run", "--from", "/tmp"], /run does not take --from \(cache only\)/],
    ] as const) {
      const r = await augmenter([...args], { CACHE_URL: "memory:" });
      expect(r.code, `${args.join(" ")}: ${r.err}`).toBe(2);
      expect(r.err).toMatch(said);
    }
  }, 60_000);

  it("cache restore of an empty file says it held nothing and fails", async () => {
    const empty = join(env.dir, "empty.txt");
    await writeFile(empty, "");
    const r = await augmenter(["cache", "restore", empty], {
      CACHE_URL: `lmdb:${join(env.dir, "restore-cache")}`,
    });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${empty} is empty: not a seniority-cache-export file`);
    expect(r.out).not.toMatch(/restored/);
  }, 60_000);

  it("--version gives the runtime advice once; a start does not repeat the AWS SDK's notice", async () => {
    const v = await augmenter(["--version"], {});
    expect(v.out).toMatch(/^augmenter \d+\.\d+\.\d+ on Node\.js v\d+/);
    expect(v.out).toMatch(/production target is Node 24 LTS/);
    const s = await scenario(env);
    const r = await augmenter(["run"], augmenterEnv(env, s));
    expect(r.code).toBe(0);
    expect(r.err).not.toMatch(/NodeVersionSupportWarning/);
  }, 60_000);
});

describe("a summary that adds up", () => {
  it("a run with a failed file counts its records apart and does not promise a later pass", async () => {
    const s = await scenario(env);
    const good = Array.from({ length: 50 }, (_, i) =>
      JSON.stringify({ company: "Acme", title: `T${i}` }),
    ).join("\n");
    await s.store("raw").put("1721183880.jsonl", `${good}\n`);
    // A gzip file cut short: its lines are read, then the stream fails.
    const whole = gzipSync(Buffer.from(`${good}\n`.repeat(400)));
    await s.store("raw").put("1721183940.jsonl.gz", whole.subarray(0, Math.floor(whole.length * 0.8)));
    const r = await augmenter(
      ["run", "--log-level", "info"],
      augmenterEnv(env, s, { FILE_MAX_ATTEMPTS: "1" }),
    );
    expect(r.code).toBe(1);
    const records =
      /^records\s+([\d,]+) = ([\d,]+) written \+ ([\d,]+) dead-lettered \+ ([\d,]+) in failed files \(not written\)/m.exec(
        r.out,
      );
    expect(records, r.out).not.toBeNull();
    // The pattern has four groups: with a match, all four numbers are there.
    const [total, written, dead, inFailed] = (records as RegExpExecArray)
      .slice(1)
      .map((x) => Number(x.replace(/,/g, ""))) as [number, number, number, number];
    expect(written).toBe(50);
    expect(inFailed).toBeGreaterThan(0); // the cut file's lines were read before it failed
    expect(total).toBe(written + dead + inFailed);
    expect(r.out).toMatch(/^failed files:\n {2}1721183940\.jsonl\.gz: /m);
    // Through the file queue (a Redis cache): a truncated gzip can never succeed as it is; it is
    // set aside (augmenter files retry, or a re-upload), not promised to a later pass.
    expect(r.err).toMatch(/"msg":"file set aside: its input can never be processed as it is/);
    expect(r.err).not.toMatch(/later pass/);
  }, 60_000);
});
