import type { Server as HttpServer } from "node:http";
import * as grpc from "@grpc/grpc-js";
import { addSeniorityModelService, type SeniorityModelHandlers, type SeniorityResponse } from "@rl/proto";
import { HealthImplementation } from "grpc-health-check";
import { DEFAULT_FAULTS, FaultInjector, type FaultOptions } from "./fault-injector";
import { startMetricsHttp } from "./metrics-http";
import { MockStats, type MockStatsSnapshot } from "./mock-stats";
import { PairThrottle } from "./pair-throttle";
import { seededRandom } from "./random";
import { createSeniorityFn, type SeniorityMode } from "./seniority-modes";

export interface MockSeniorityServerOptions {
  /** @default "127.0.0.1" */
  host: string;
  /** 0 picks a free port. @default 50051 */
  port: number;
  /** Port of the HTTP `/metrics`, `/stats`, `/reset` endpoint; 0 picks a free one, null disables it. @default null */
  metricsPort: number | null;
  /** @default same as host */
  metricsHost?: string;
  /** Sustained model rate, in pairs (not RPCs) per second. @default 1000 */
  pairsPerSecond: number;
  /** When set, an RPC that would push the queue past this many pairs is rejected with RESOURCE_EXHAUSTED. @default undefined (queue without bound, like the real model) */
  maxQueuePairs?: number;
  /** @default "seeded" */
  mode: SeniorityMode;
  /** Seed of the `seeded` mode's hash. @default "seniority" */
  seed: string;
  /** Seed of the fault injector's and `fresh-random`'s random draws. @default "faults" */
  randomSeed: string;
  /** @default no faults */
  faults: FaultOptions;
  /** TLS for the gRPC port; insecure when absent. */
  tls?: { certChain: Buffer; privateKey: Buffer };
}

export const DEFAULT_MOCK_OPTIONS: MockSeniorityServerOptions = {
  host: "127.0.0.1",
  port: 50051,
  metricsPort: null,
  pairsPerSecond: 1000,
  mode: "seeded",
  seed: "seniority",
  randomSeed: "faults",
  faults: DEFAULT_FAULTS,
};

export interface MockSeniorityServer {
  /** `host:port` to give a client. */
  readonly address: string;
  readonly port: number;
  readonly metricsPort: number | null;
  stats(): MockStatsSnapshot;
  resetStats(): void;
  /** Answers queued RPCs with UNAVAILABLE, reports NOT_SERVING, and closes both ports. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export type MockSeniorityServerInput = Partial<Omit<MockSeniorityServerOptions, "faults">> & {
  faults?: Partial<FaultOptions>;
};

export async function startMockSeniorityServer(
  input: MockSeniorityServerInput = {},
): Promise<MockSeniorityServer> {
  const options: MockSeniorityServerOptions = {
    ...DEFAULT_MOCK_OPTIONS,
    ...input,
    faults: { ...DEFAULT_FAULTS, ...input.faults },
  };
  const random = seededRandom(options.randomSeed);
  const seniorityOf = createSeniorityFn(options.mode, options.seed, random);
  const faults = new FaultInjector(options.faults, random);
  const throttle = new PairThrottle(options.pairsPerSecond);
  const stats = new MockStats(() => throttle.depth);
  const pending = new Set<{ timer: NodeJS.Timeout; fail: () => void }>();
  let stopping = false;

  const later = (ms: number, run: () => void, fail: () => void) => {
    const entry = {
      timer: setTimeout(
        () => {
          pending.delete(entry);
          run();
        },
        Math.max(0, ms),
      ),
      fail,
    };
    pending.add(entry);
  };

  const handlers: SeniorityModelHandlers = {
    InferSeniority(call, callback) {
      const t0 = performance.now();
      const batch = call.request.batch;
      stats.received(batch);
      const unavailable = () =>
        callback({ code: grpc.status.UNAVAILABLE, details: "mock seniority server is shutting down" });
      if (stopping) return unavailable();
      // proto3 strings must be valid UTF-8. grpc-js decodes an ill-formed one (a lone surrogate
      // encoded on its own) without complaint; a Python server rejects the call, and so does this.
      const bad = batch.find((r) => !r.company.isWellFormed() || !r.title.isWellFormed());
      if (bad) {
        stats.failed("rejected", performance.now() - t0);
        callback({
          code: grpc.status.INVALID_ARGUMENT,
          details: `request uuid ${bad.uuid}: a string field holds invalid UTF-8 (a lone surrogate)`,
        });
        return;
      }

      const injected = faults.error();
      if (injected) {
        later(
          faults.latency(),
          () => {
            stats.failed("error", performance.now() - t0);
            callback(injected);
          },
          unavailable,
        );
        return;
      }
      if (options.maxQueuePairs !== undefined && throttle.pending + batch.length > options.maxQueuePairs) {
        stats.failed("rejected", performance.now() - t0);
        callback({
          code: grpc.status.RESOURCE_EXHAUSTED,
          details: `queue full: ${throttle.pending} pairs pending, limit ${options.maxQueuePairs}`,
        });
        return;
      }
      const n = batch.length;
      const serviceMs = throttle.admit(n);
      later(
        serviceMs + faults.latency(),
        () => {
          throttle.release(n);
          const out: SeniorityResponse[] = batch.map((r) => ({
            uuid: r.uuid,
            seniority: seniorityOf(r.company, r.title),
          }));
          const kind = faults.malform(out);
          if (kind) stats.malformed(kind);
          stats.answered(n, performance.now() - t0);
          callback(null, { batch: out });
        },
        () => {
          throttle.release(n);
          unavailable();
        },
      );
    },
  };

  const server = new grpc.Server();
  addSeniorityModelService(server, handlers);
  const health = new HealthImplementation({ "": "SERVING", SeniorityModel: "SERVING" });
  health.addToServer(server);
  const credentials = options.tls
    ? grpc.ServerCredentials.createSsl(null, [
        { cert_chain: options.tls.certChain, private_key: options.tls.privateKey },
      ])
    : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${options.host}:${options.port}`, credentials, (err, p) =>
      err
        ? reject(
            new Error(`mock seniority server could not bind ${options.host}:${options.port}: ${err.message}`),
          )
        : resolve(p),
    ),
  );

  let http: { port: number; server: HttpServer } | undefined;
  if (options.metricsPort !== null) {
    try {
      http = await startMetricsHttp(stats, options.metricsHost ?? options.host, options.metricsPort);
    } catch (err) {
      server.forceShutdown();
      throw new Error(
        `mock seniority server could not bind its metrics port ${options.metricsPort}: ${(err as Error).message}`,
      );
    }
  }

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      stopping = true;
      health.setStatus("", "NOT_SERVING");
      health.setStatus("SeniorityModel", "NOT_SERVING");
      for (const entry of pending) {
        clearTimeout(entry.timer);
        entry.fail();
      }
      pending.clear();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      if (http) await new Promise<void>((resolve) => http?.server.close(() => resolve()));
    })());

  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    address: `${host}:${port}`,
    port,
    metricsPort: http?.port ?? null,
    stats: () => stats.snapshot(),
    resetStats: () => {
      stats.reset();
      throttle.resetPeak();
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
