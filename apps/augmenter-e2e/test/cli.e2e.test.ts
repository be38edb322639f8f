import { mkdir, mkdtemp, readFile, readdir, realpath, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startMockSeniorityServer } from "mock-seniority-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  augmenterEnv,
  spawnAugmenter as augmenter,
  scenario,
  startEnv,
  until,
  untilStarting,
  type Scenario,
  type TestEnvironment,
} from "./env";

let env: TestEnvironment;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => env.stop());

/** `augmenter serve` with its HTTP port, once it has said it is starting. */
async function serve(args: string[], extraEnv: Record<string, string>) {
  const p = augmenter(["serve", ...args], extraEnv);
  return { p, httpPort: await untilStarting(p) };
}

const envFor = (s: Scenario, grpcAddr = env.model.address) =>
  augmenterEnv(env, s, { SENIORITY_GRPC_ADDR: grpcAddr });

describe("augmenter CLI", () => {
  it("serve: processes a file as it arrives, serves /metrics /healthz /readyz, exits 0 on SIGTERM", async () => {
    const s = await scenario(env);
    const { p, httpPort } = await serve(["--poll-interval-ms", "200", "--http-port", "0"], envFor(s));
    await s.store("raw").put("1721183880.jsonl", '{"company":"Acme","title":"CEO"}\n');
    await until(
      "the output",
      async () => (await s.store("mod").head("1721183880.jsonl")) !== undefined,
      20_000,
      p.err,
    );
    const base = `http://127.0.0.1:${httpPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^augmenter_files_total\{result="done"\} 1$/m);
    expect(metrics).toMatch(/^augmenter_records_total 1$/m);
    // An operator asks `cache stats` for the running service's hit ratios.
    const c = augmenter(["cache", "stats", "--metrics-url", `${base}/metrics`], {
      ...envFor(s),
      NODE_NO_WARNINGS: "1",
    });
    expect(await c.exited).toBe(0);
    const stats = c.out();
    expect(stats).toMatch(/namespace cli-\S+: 1 pairs/);
    expect(stats).toMatch(
      /running service \(http:\/\/127\.0\.0\.1:\d+\/metrics\): L1 hits 0, L2 hits 0, model pairs 1; hit ratio 0\.0000/,
    );
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
  }, 40_000);

  // With the harness's Redis as the cache, files go through the BullMQ queue: a corrupt gzip can
  // never succeed, so it is set aside at its first attempt (UnrecoverableError). Retries of a
  // failure that may pass, counted across workers and restarts: file-queue.e2e.test.ts.
  it("serve: sets aside an input that can never be processed at once, until it is re-uploaded", async () => {
    const s = await scenario(env);
    const { p, httpPort } = await serve(
      [
        "--poll-interval-ms",
        "100",
        "--http-port",
        "0",
        "--file-retry-base-ms",
        "10",
        "--file-max-attempts",
        "3",
      ],
      envFor(s),
    );
    const metrics = async () => (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    await s.store("raw").put("1721183880.jsonl.gz", "this is not gzip");
    await s.store("raw").put("1721183940.jsonl", '{"company":"Acme","title":"CEO"}\n');
    const until = async (re: RegExp) => {
      const deadline = Date.now() + 40_000; // the queue and its scanner tick on a loaded machine
      while (!re.test(await metrics())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await until(/^augmenter_files_set_aside_total 1$/m);
    // The good file is not held up by the bad one (its parse thread may still be starting:
    // seconds from the sources under tsx).
    await until(/^augmenter_files_total\{result="done"\} 1$/m);
    await new Promise((r) => setTimeout(r, 500)); // several more polls: no further attempts
    const text = await metrics();
    expect(text).toMatch(/^augmenter_files_total\{result="failed"\} 1$/m);
    expect(text).toMatch(/^augmenter_files_set_aside_total 1$/m);
    const { gzipSync } = await import("node:zlib");
    await s.store("raw").put("1721183880.jsonl.gz", gzipSync('{"company":"Acme","title":"CTO"}\n'));
    await until(/^augmenter_files_total\{result="done"\} 2$/m);
    expect(await s.store("mod").head("1721183880.jsonl.gz")).toBeDefined();
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
  }, 90_000);

  it("run: exits 1 and writes no output when the model keeps failing", async () => {
    await using failing = await startMockSeniorityServer({
      port: 0,
      faults: { errorRate: 1, errorStatus: "INTERNAL" },
    });
    const s = await scenario(env);
    await s.store("raw").put("1721183880.jsonl", '{"company":"Acme","title":"CEO"}\n');
    // On the queue a run waits out a file's attempts (FILE_MAX_ATTEMPTS, backing off from
    // FILE_RETRY_BASE_MS): one attempt keeps this short.
    const p = augmenter(["run", "--http-port", "-1", "--file-max-attempts", "1"], envFor(s, failing.address));
    expect(await p.exited).toBe(1);
    expect(p.out()).toMatch(/1721183880\.jsonl: model call failed: INTERNAL/);
    expect(await s.store("mod").head("1721183880.jsonl")).toBeUndefined();
  }, 40_000);

  it("exits 2 naming each bad variable and what it accepts, without echoing secrets", async () => {
    const p = augmenter(["run"], {
      CACHE_URL: "mysql://user:hunter2@x",
      NORMALIZE: "loud",
      MODEL_RATE: "-3",
    });
    expect(await p.exited).toBe(2);
    expect(p.err()).toContain("CACHE_URL (or --cache-url): expected redis://");
    expect(p.err()).toContain(
      'NORMALIZE (or --normalize): expected one of none, default, casefold, aggressive, got "loud"',
    );
    expect(p.err()).toContain('MODEL_RATE (or --model-rate): expected a number >= 1, got "-3"');
    expect(p.err()).not.toContain("hunter2");
  }, 20_000);

  it("exits 2 naming the variables when locations overlap, and touches none of them", async () => {
    const dir = await realpath(await mkdtemp(join(tmpdir(), "cli-overlap-")));
    try {
      const inputs = join(dir, "in");
      const outputs = join(inputs, "mod");
      await mkdir(outputs, { recursive: true });
      await writeFile(join(inputs, "1721183880.jsonl"), '{"company":"Acme","title":"CEO"}\n');
      await writeFile(join(outputs, "1721183820.jsonl"), '{"company":"Acme","title":"CTO","seniority":6}\n');
      const snapshot = async () => {
        const files = (await readdir(dir, { recursive: true })).sort();
        return Promise.all(
          files.map(async (f) => {
            const s = await stat(join(dir, f));
            return [f, s.mtimeMs, s.isFile() ? await readFile(join(dir, f), "utf8") : "dir"];
          }),
        );
      };
      const before = await snapshot();
      const p = augmenter(["run"], {
        RAW_URI: inputs,
        ERRORS_URI: inputs,
        MOD_URI: outputs,
        SENIORITY_GRPC_ADDR: env.model.address,
        CACHE_URL: "memory:",
        HTTP_PORT: "-1",
      });
      expect(await p.exited).toBe(2);
      expect(p.err()).toContain(
        "the raw, mod and errors locations must be three places, none equal to or inside another",
      );
      expect(p.err()).toContain(
        `--mod-uri (or MOD_URI) ${outputs} is inside --raw-uri (or RAW_URI) ${inputs}`,
      );
      expect(p.err()).toContain(
        `--raw-uri (or RAW_URI) ${inputs} is the same place as --errors-uri (or ERRORS_URI) ${inputs}`,
      );
      expect(await snapshot()).toEqual(before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 20_000);
});
