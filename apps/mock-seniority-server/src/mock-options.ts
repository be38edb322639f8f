import { option } from "@rl/cli";
import { ERROR_STATUS_NAMES, MALFORM_KINDS, type MalformKind } from "./fault-injector";
import { SENIORITY_MODES } from "./seniority-modes";

const rate = { min: 0, max: 1 };

export const MOCK_CLI_OPTIONS = {
  host: option.string("host", "Address the gRPC port binds to", { env: "MOCK_HOST", default: "127.0.0.1" }),
  port: option.number("port", "gRPC port (0 picks a free one)", {
    env: "MOCK_PORT",
    default: 50051,
    integer: true,
    min: 0,
    max: 65535,
  }),
  metricsPort: option.number("metrics-port", "HTTP port for /metrics, /stats, /reset (-1 disables)", {
    env: "MOCK_METRICS_PORT",
    default: 9464,
    integer: true,
    min: -1,
    max: 65535,
  }),
  pairsPerSecond: option.number(
    "rate",
    "Sustained model rate in pairs per second; beyond it requests queue",
    {
      env: "MOCK_RATE",
      default: 1000,
      min: 1,
    },
  ),
  maxQueuePairs: option.number(
    "max-queue",
    "Reject with RESOURCE_EXHAUSTED once this many pairs are queued (0 = queue without bound)",
    {
      env: "MOCK_MAX_QUEUE",
      default: 0,
      integer: true,
      min: 0,
    },
  ),
  mode: option.oneOf("mode", "How seniority is chosen", SENIORITY_MODES, {
    env: "MOCK_MODE",
    default: "seeded",
  }),
  seed: option.string("seed", "Seed of the seeded mode's hash", { env: "MOCK_SEED", default: "seniority" }),
  randomSeed: option.string("random-seed", "Seed of fault draws and fresh-random values", {
    env: "MOCK_RANDOM_SEED",
    default: "faults",
  }),
  latencyMs: option.number("latency-ms", "Fixed latency added to every answer", {
    env: "MOCK_LATENCY_MS",
    default: 0,
    min: 0,
  }),
  latencyJitterMs: option.number("latency-jitter-ms", "Random extra latency in [0, jitter)", {
    env: "MOCK_LATENCY_JITTER_MS",
    default: 0,
    min: 0,
  }),
  errorRate: option.number("error-rate", "Fraction of RPCs answered with --error-status", {
    env: "MOCK_ERROR_RATE",
    default: 0,
    ...rate,
  }),
  errorStatus: option.oneOf("error-status", "Status of injected errors", ERROR_STATUS_NAMES, {
    env: "MOCK_ERROR_STATUS",
    default: "UNAVAILABLE",
  }),
  malformedRate: option.number("malformed-rate", "Fraction of responses deliberately malformed", {
    env: "MOCK_MALFORMED_RATE",
    default: 0,
    ...rate,
  }),
  malformKinds: {
    ...option.string("malformed-kinds", "Comma-separated kinds of malformation to draw from", {
      env: "MOCK_MALFORMED_KINDS",
      default: MALFORM_KINDS.join(","),
    }),
    accepted: `a comma-separated list of ${MALFORM_KINDS.join(", ")}`,
    parse(raw: string): string {
      const kinds = raw.split(",").map((s) => s.trim());
      if (kinds.length === 0 || kinds.some((k) => !(MALFORM_KINDS as readonly string[]).includes(k))) {
        throw new Error(`expected a comma-separated list of ${MALFORM_KINDS.join(", ")}`);
      }
      return kinds.join(",");
    },
  },
  tlsCert: option.optionalString("tls-cert", "PEM certificate chain; with --tls-key serves TLS", {
    env: "MOCK_TLS_CERT",
  }),
  tlsKey: option.optionalString("tls-key", "PEM private key for --tls-cert", { env: "MOCK_TLS_KEY" }),
};

export const parseMalformKinds = (s: string) => s.split(",") as MalformKind[];
