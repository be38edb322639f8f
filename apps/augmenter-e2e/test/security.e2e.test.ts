import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startMockSeniorityServer } from "mock-seniority-server";
import { freePort, startLocalRedis } from "@rl/cache/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  SEED,
  augmenterEnv,
  mockStats,
  scenario,
  spawnAugmenter,
  startEnv,
  untilStarting,
  type E2eEnvironment,
} from "./env";

// Issue 6, security basics: TLS to Redis and to the model, secrets never printed, the HTTP port
// on loopback unless configured otherwise. (Key confinement is tested in libs/s3.)
const exec = promisify(execFile);
let env: E2eEnvironment;
let cert: string;
let key: string;
beforeAll(async () => {
  env = await startEnv("security");
  cert = join(env.dir, "cert.pem");
  key = join(env.dir, "key.pem");
  // A self-signed certificate for 127.0.0.1, trusted by the augmenter through NODE_EXTRA_CA_CERTS
  // (Redis) or SENIORITY_GRPC_CA (the model), as an operator with a private CA would.
  await exec("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1,DNS:localhost",
    "-keyout",
    key,
    "-out",
    cert,
  ]);
}, 60_000);
afterAll(() => env.stop());

const REDIS_PASSWORD = "s3cret-redis-pw-4711";

describe("security basics", () => {
  it("rediss:// with a password works over TLS, and neither the password nor the AWS secret is ever printed", async () => {
    const tlsPort = await freePort();
    const redis = await startLocalRedis({
      extraArgs: [
        "--tls-port",
        String(tlsPort),
        "--tls-cert-file",
        cert,
        "--tls-key-file",
        key,
        "--tls-ca-cert-file",
        cert,
        "--tls-auth-clients",
        "no",
        "--requirepass",
        REDIS_PASSWORD,
      ],
    });
    try {
      const s = await scenario(env);
      await s
        .store("raw")
        .put("1721183880.jsonl", '{"company":"Acme","title":"CEO"}\n{"company":"Beta","title":"Intern"}\n');
      const e = augmenterEnv(env, s, {
        CACHE_URL: `rediss://:${REDIS_PASSWORD}@127.0.0.1:${tlsPort}`,
        NODE_EXTRA_CA_CERTS: cert,
        HTTP_PORT: "-1",
        LOG_LEVEL: "debug",
      });
      const report = join(env.dir, "report.json");
      const first = spawnAugmenter(["run", "--report", report], e);
      expect(await first.exited, first.err()).toBe(0);
      // The pairs are in Redis, reached over TLS: a run into other outputs asks the model nothing.
      env.model.resetStats();
      const second = spawnAugmenter(["run"], { ...e, MOD_URI: s.uri("mod-2") });
      expect(await second.exited, second.err()).toBe(0);
      expect(mockStats(env).pairsReceived).toBe(0);
      // A wrong password: a clear error naming the redacted address, not the secret.
      const wrong = spawnAugmenter(["run"], {
        ...e,
        CACHE_URL: `rediss://:wrong-${REDIS_PASSWORD}@127.0.0.1:${tlsPort}`,
      });
      expect(await wrong.exited).not.toBe(0);
      expect(wrong.err() + wrong.out()).toMatch(/rediss:\/\/:\*\*\*@127\.0\.0\.1/);
      const printed =
        [first, second, wrong].map((p) => p.out() + p.err()).join("\n") + (await readFile(report, "utf8"));
      expect(printed).not.toContain(REDIS_PASSWORD);
      expect(printed).not.toContain(env.s3.credentials.secretAccessKey);
      expect(printed).toContain("rediss://:***@127.0.0.1"); // the location is logged, redacted
    } finally {
      await redis.stop();
    }
  }, 120_000);

  it("TLS to the model: SENIORITY_GRPC_CA trusts a private CA; a plaintext client is refused", async () => {
    await using model = await startMockSeniorityServer({
      port: 0,
      seed: SEED,
      pairsPerSecond: 100_000,
      tls: { certChain: await readFile(cert), privateKey: await readFile(key) },
    });
    const s = await scenario(env);
    await s.store("raw").put("1721183880.jsonl", '{"company":"Acme","title":"CEO"}\n');
    const e = augmenterEnv(env, s, {
      SENIORITY_GRPC_ADDR: model.address,
      HTTP_PORT: "-1",
      CACHE_URL: "memory:",
    });
    const plain = spawnAugmenter(["run", "--model-max-attempts", "1"], e);
    expect(await plain.exited).toBe(1);
    const tls = spawnAugmenter(["run"], { ...e, SENIORITY_GRPC_CA: cert });
    expect(await tls.exited, tls.err()).toBe(0);
    expect(model.stats().pairsReceived).toBe(1);
  }, 60_000);

  it("the HTTP port listens on 127.0.0.1 by default, not on the machine's other addresses", async () => {
    const s = await scenario(env);
    const p = spawnAugmenter(["serve"], augmenterEnv(env, s, { HTTP_PORT: "0", CACHE_URL: "memory:" }));
    try {
      const port = await untilStarting(p);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      const others = Object.values(networkInterfaces())
        .flat()
        .filter((a) => a && a.family === "IPv4" && !a.internal)
        .map((a) => a!.address);
      console.info(
        `[security] checked ${others.length} non-loopback address(es): ${others.join(", ") || "none on this machine"}`,
      );
      for (const address of others) {
        const reached = await new Promise<boolean>((resolve) => {
          const c = connect({ host: address, port }, () => {
            c.destroy();
            resolve(true);
          });
          c.on("error", () => resolve(false));
        });
        expect(reached, `reached ${address}:${port}`).toBe(false);
      }
    } finally {
      p.child.kill("SIGTERM");
      await p.exited;
    }
  }, 60_000);
});
