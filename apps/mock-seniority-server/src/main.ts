import { ConfigError, formatHelp, parseOptions, readOptionFile, runMain } from "@rl/cli";
import { parseMalformKinds, MOCK_CLI_OPTIONS } from "./mock-options";
import { startMockSeniorityServer } from "./mock-server";

const USAGE = `usage: mock-seniority-server [options]

A gRPC SeniorityModel server that behaves like the real model: ~1000 pairs/s, FIFO queueing
beyond that, optional faults, and exact accounting of what it received.`;

async function main(): Promise<void> {
  const { values: o, help } = parseOptions(MOCK_CLI_OPTIONS, process.argv.slice(2), process.env);
  if (help) {
    process.stdout.write(formatHelp(USAGE, MOCK_CLI_OPTIONS));
    return;
  }
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) {
    throw new ConfigError("--tls-cert (MOCK_TLS_CERT) and --tls-key (MOCK_TLS_KEY) must be given together");
  }
  const server = await startMockSeniorityServer({
    host: o.host,
    port: o.port,
    metricsPort: o.metricsPort < 0 ? null : o.metricsPort,
    pairsPerSecond: o.pairsPerSecond,
    ...(o.maxQueuePairs > 0 ? { maxQueuePairs: o.maxQueuePairs } : {}),
    mode: o.mode,
    seed: o.seed,
    randomSeed: o.randomSeed,
    faults: {
      latencyMs: o.latencyMs,
      latencyJitterMs: o.latencyJitterMs,
      errorRate: o.errorRate,
      errorStatus: o.errorStatus,
      malformedRate: o.malformedRate,
      malformKinds: parseMalformKinds(o.malformKinds),
    },
    ...(o.tlsCert && o.tlsKey
      ? {
          tls: {
            certChain: readOptionFile(o.tlsCert, "tls-cert", "MOCK_TLS_CERT"),
            privateKey: readOptionFile(o.tlsKey, "tls-key", "MOCK_TLS_KEY"),
          },
        }
      : {}),
  });
  const log = (msg: string, extra: Record<string, unknown> = {}) =>
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg, ...extra })}\n`);
  log("mock seniority server listening", {
    address: server.address,
    metricsPort: server.metricsPort,
    mode: o.mode,
    pairsPerSecond: o.pairsPerSecond,
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log("shutting down", { signal, stats: server.stats() });
    server.stop().then(
      () => process.exit(0),
      (err: Error) => {
        log("shutdown failed", { error: err.message });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

runMain("mock-seniority-server", main);
