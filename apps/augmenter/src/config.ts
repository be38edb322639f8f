import { option } from "@rl/cli";
// Subpaths, not "@rl/cache": the options are read before any command runs (`--help` too), and
// the package's index would load the Redis and LMDB clients with them (README "Start-up cost").
import { CACHE_URL_FORMS, validateCacheUrl } from "@rl/cache/cache-url";
import { NORMALISE_LEVELS } from "@rl/cache/normalise";
import { ADMIN_COMMAND_OPTIONS } from "./admin-command-options";

export const AUGMENTER_OPTIONS = {
  rawUri: option.string("raw-uri", "Where inputs arrive: s3://bucket/prefix/, file:///dir/ or a directory", {
    env: "RAW_URI",
    default: "s3://rl-data/job-postings-raw/",
  }),
  modUri: option.string("mod-uri", "Where outputs go", {
    env: "MOD_URI",
    default: "s3://rl-data/job-postings-mod/",
  }),
  errorsUri: option.optionalString(
    "errors-uri",
    "Where dead letters go (default: beside the outputs, job-postings-errors/ for the default layout, else <parent of MOD_URI>/errors/)",
    { env: "ERRORS_URI" },
  ),
  s3Endpoint: option.optionalUrl(
    "s3-endpoint",
    "Custom S3 endpoint (MinIO, s3rver, LocalStack); implies path-style. Credentials come from the standard AWS chain",
    { env: "S3_ENDPOINT", schemes: ["http", "https"] },
  ),
  awsRegion: option.optionalString(
    "aws-region",
    "Region of the S3 buckets (default: the AWS SDK's chain, a profile's region, else us-east-1)",
    { env: "AWS_REGION" },
  ),
  grpcAddr: option.string("grpc-addr", "host:port of the seniority model", {
    env: "SENIORITY_GRPC_ADDR",
    default: "127.0.0.1:50051",
  }),
  grpcTls: option.boolean("grpc-tls", "Use TLS to the model", { env: "SENIORITY_GRPC_TLS", default: false }),
  grpcCa: option.optionalString(
    "grpc-ca",
    "PEM CA bundle for the model's TLS certificate (implies --grpc-tls)",
    { env: "SENIORITY_GRPC_CA" },
  ),
  cacheUrl: {
    ...option.string(
      "cache-url",
      "L2 cache: redis://, rediss://, redis-cluster://host:port,… (Redis Cluster), lmdb:///path or lmdb:relative/path (embedded), memcached://, memory:. The default's .data/ is the data directory (--data-dir), not the working directory",
      {
        env: "CACHE_URL",
        default: "lmdb:.data/cache",
        secret: true,
      },
    ),
    accepted: CACHE_URL_FORMS,
    parse(raw: string): string {
      validateCacheUrl(raw);
      return raw;
    },
  },
  dataDir: option.optionalString(
    "data-dir",
    "Where the default embedded cache lives (<dir>/cache), whatever the working directory (default: the checkout's .data/ when run from it, else $XDG_DATA_HOME/seniority-augmenter)",
    { env: "DATA_DIR" },
  ),
  modelVersion: option.string("model-version", "Cache namespace; a new model version starts an empty one", {
    env: "MODEL_VERSION",
    default: "v1",
    pattern: /^[A-Za-z0-9._-]{1,64}$/,
    patternHint: "1-64 letters, digits, '.', '_' or '-'",
  }),
  keyEncoding: option.oneOf(
    "key-encoding",
    "cache stats / export / drop / restore: the pair-key encoding of the namespace to act on (2: current; 1: the superseded encoding of versions before the injective key, kept until dropped). serve and run always use the current one",
    ["2", "1"] as const,
    { default: "2" },
  ),
  normalise: option.oneOf(
    "normalize",
    "How pairs are normalised before keying and inference",
    NORMALISE_LEVELS,
    { env: "NORMALIZE", default: "default" },
  ),
  expectedPairs: option.number(
    "expected-pairs",
    "Pairs the Redis namespace is sized for (fixes its bucket count when first created)",
    { env: "EXPECTED_PAIRS", default: 20_000_000, integer: true, min: 1 },
  ),
  maxFieldChars: option.number(
    "max-field-chars",
    "Longest usable company or title, in characters after normalisation; a longer one is not a company or a title: the posting is written with seniority null and counted (reason too-long), never sent to the model",
    { env: "MAX_FIELD_CHARS", default: 1000, integer: true, min: 1, max: 100_000_000 },
  ),
  l1MaxEntries: option.number("l1-max-entries", "In-process L1 cache bound (≈100 B an entry)", {
    env: "L1_MAX_ENTRIES",
    default: 500_000,
    integer: true,
    min: 1,
  }),
  modelRate: option.number("model-rate", "Pairs per second the model sustains; sends are paced to it", {
    env: "MODEL_RATE",
    default: 1000,
    min: 1,
  }),
  modelBatchSize: option.number("model-batch-size", "Pairs per model call", {
    env: "MODEL_BATCH_SIZE",
    default: 1000,
    integer: true,
    min: 1,
    max: 100_000,
  }),
  modelMaxRequestBytes: option.number(
    "model-max-request-bytes",
    "Most encoded bytes in one model request: batches are cut by bytes as well as by count, under the model's message limit (gRPC's default is 4 MiB)",
    { env: "MODEL_MAX_REQUEST_BYTES", default: 4_000_000, integer: true, min: 65_536 },
  ),
  modelLingerMs: option.number("model-linger-ms", "How long a partial batch waits for more pairs", {
    env: "MODEL_LINGER_MS",
    default: 50,
    min: 0,
  }),
  modelMaxInFlight: option.number("model-max-in-flight", "Model calls in flight at once", {
    env: "MODEL_MAX_IN_FLIGHT",
    default: 2,
    integer: true,
    min: 1,
  }),
  modelDeadlineMs: option.number("model-deadline-ms", "Deadline of each model call", {
    env: "MODEL_DEADLINE_MS",
    default: 30_000,
    integer: true,
    min: 1,
  }),
  modelMaxAttempts: option.number(
    "model-max-attempts",
    "Tries per batch on UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED or a malformed answer",
    { env: "MODEL_MAX_ATTEMPTS", default: 5, integer: true, min: 1 },
  ),
  modelBackoffMs: option.number("model-backoff-ms", "First retry delay (doubles per attempt, jittered)", {
    env: "MODEL_BACKOFF_MS",
    default: 250,
    min: 0,
  }),
  modelBackoffMaxMs: option.number("model-backoff-max-ms", "Longest retry delay", {
    env: "MODEL_BACKOFF_MAX_MS",
    default: 10_000,
    min: 0,
  }),
  fileConcurrency: option.number(
    "file-concurrency",
    "Files read (or written) at once; files waiting on the model with their output spilled (SPILL_DIR) do not count",
    {
      env: "FILE_CONCURRENCY",
      default: 4,
      integer: true,
      min: 1,
    },
  ),
  parseThreads: option.string(
    "parse-threads",
    "Worker threads that split, parse and splice input while the main thread keeps I/O, the cache and the model's queue: auto is one per core, at most 4, and none for input over S3 on 2 cores or fewer; 0 parses on the main thread",
    {
      env: "PARSE_THREADS",
      default: "auto",
      pattern: /^(auto|[0-9]|[1-5][0-9]|6[0-4])$/,
      patternHint: "auto, or a number of threads from 0 to 64",
    },
  ),
  chunkRecords: option.number("chunk-records", "Records resolved together (one L2 round trip)", {
    env: "CHUNK_RECORDS",
    default: 2000,
    integer: true,
    min: 1,
  }),
  chunkWindow: option.number("chunk-window", "Chunks of one file resolved at once", {
    env: "CHUNK_WINDOW",
    default: 8,
    integer: true,
    min: 1,
  }),
  maxRecordBytes: option.number(
    "max-record-bytes",
    "Longest record kept whole; longer lines are dead-lettered with their head",
    { env: "MAX_RECORD_BYTES", default: 32 * 1024 * 1024, integer: true, min: 1024 },
  ),
  maxBytesInFlight: option.number(
    "max-bytes-in-flight",
    "Input bytes read but not yet written, across all files of the process: bounds memory whatever the files hold (may be passed by one record of up to MAX_RECORD_BYTES when every file waits on a long line)",
    { env: "MAX_BYTES_IN_FLIGHT", default: 32 * 1024 * 1024, integer: true, min: 1024 * 1024 },
  ),
  spillDir: option.optionalString(
    "spill-dir",
    "Where chunks waiting on the model are written instead of held in memory, so a cold backlog reads ahead and the model never idles (default: the system's temporary directory)",
    { env: "SPILL_DIR" },
  ),
  spillMaxBytes: option.number(
    "spill-max-bytes",
    "Bytes of SPILL_DIR a process may fill (a file starts spilling only below it; about 1.1 × the input of the files waiting); 0 keeps waiting chunks in memory, within MAX_BYTES_IN_FLIGHT",
    { env: "SPILL_MAX_BYTES", default: 4 * 1024 * 1024 * 1024, integer: true, min: 0 },
  ),
  maxRecordLines: option.number("max-record-lines", "Most lines one pretty-printed object may span", {
    env: "MAX_RECORD_LINES",
    default: 10_000,
    integer: true,
    min: 1,
  }),
  pollIntervalMs: option.number("poll-interval-ms", "serve: time between listings of the raw prefix", {
    env: "POLL_INTERVAL_MS",
    default: 10_000,
    integer: true,
    min: 100,
  }),
  lookbackSeconds: option.number(
    "lookback-seconds",
    "serve: re-list this far behind the newest input, for late files",
    { env: "LOOKBACK_SECONDS", default: 86_400, integer: true, min: 0 },
  ),
  fileRetryBaseMs: option.number(
    "file-retry-base-ms",
    "First wait before retrying a failed file (doubles each time, up to 10 min): serve, and run too when files go through the queue (CACHE_URL is Redis)",
    { env: "FILE_RETRY_BASE_MS", default: 5_000, integer: true, min: 0 },
  ),
  fileMaxAttempts: option.number(
    "file-max-attempts",
    "Tries of the same input (same ETag) before it is set aside until re-uploaded (or, with the queue, `augmenter files retry`): serve, and run too with the queue",
    { env: "FILE_MAX_ATTEMPTS", default: 5, integer: true, min: 1 },
  ),
  queueMaxWaiting: option.number(
    "queue-max-waiting",
    "File queue (CACHE_URL is Redis): jobs waiting for a worker before the scanner enqueues no more; the rest of the listing waits for a later scan, so the backlog stays bounded",
    { env: "QUEUE_MAX_WAITING", default: 1000, integer: true, min: 1 },
  ),
  coordination: option.oneOf(
    "coordination",
    "Workers sharing the raw prefix: auto coordinates them (one shared model rate, each pair inferred once; files handed out by a BullMQ queue) through the cache's Redis when CACHE_URL is Redis, or (with file leases) beside an lmdb: cache for the processes on its machine; off for a lone process",
    ["auto", "off"] as const,
    { env: "COORDINATION", default: "auto" },
  ),
  workerId: option.optionalString(
    "worker-id",
    "This worker's name in leases and claims (default host-pid-random). A stable name per worker (a pod name) lets a restarted worker take back its own leases and pair claims at once instead of waiting for them to lapse",
    {
      env: "WORKER_ID",
    },
  ),
  fileLeaseMs: option.number(
    "file-lease-ms",
    "Hold on a file being processed (the queue job's lock with a Redis cache, a lease beside an lmdb: cache), renewed while held: about how long a crashed worker's file waits before another takes it",
    { env: "FILE_LEASE_MS", default: 60_000, integer: true, min: 1000 },
  ),
  pairClaimMs: option.number(
    "pair-claim-ms",
    "Claim on pairs being inferred: how long other workers wait for a crashed worker's pairs before inferring them",
    { env: "PAIR_CLAIM_MS", default: 120_000, integer: true, min: 1000 },
  ),
  shutdownGraceMs: option.number(
    "shutdown-grace-ms",
    "On SIGTERM, time for files in flight to finish before their uploads are aborted",
    { env: "SHUTDOWN_GRACE_MS", default: 30_000, integer: true, min: 0 },
  ),
  httpHost: option.string("http-host", "Address of the /metrics, /healthz, /readyz port", {
    env: "HTTP_HOST",
    default: "127.0.0.1",
  }),
  httpPort: option.number(
    "http-port",
    "Port of /metrics, /healthz, /readyz (0 picks one, -1 disables); run binds it only when set",
    {
      env: "HTTP_PORT",
      default: 9465,
      integer: true,
      min: -1,
      max: 65535,
    },
  ),
  queueDashboard: option.boolean(
    "queue-dashboard",
    "The files queue's dashboard (bull-board, read-only) at /admin/queues on the HTTP port; on a non-loopback HTTP_HOST only with a token",
    { env: "QUEUE_DASHBOARD", default: false },
  ),
  queueDashboardToken: option.optionalString(
    "queue-dashboard-token",
    "Token the dashboard asks for (16+ characters): a header Authorization: Bearer TOKEN, or /admin/queues?token=TOKEN opened once in a browser",
    { env: "QUEUE_DASHBOARD_TOKEN", secret: true },
  ),
  queueDashboardTokenFile: option.optionalString(
    "queue-dashboard-token-file",
    "A file holding that token (a mounted secret), instead of QUEUE_DASHBOARD_TOKEN",
    { env: "QUEUE_DASHBOARD_TOKEN_FILE" },
  ),
  logLevel: option.oneOf(
    "log-level",
    "Log level",
    ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const,
    { env: "LOG_LEVEL", default: "info" },
  ),
  report: option.optionalString("report", "run: write the run report as JSON to this path", {
    env: "REPORT_PATH",
  }),
  ...ADMIN_COMMAND_OPTIONS,
  once: option.boolean("once", "run: process what is pending, then exit (the default for run)", {
    default: true,
  }),
};

/** The dead-letter location beside the outputs, per design.md §2.2. */
export function defaultErrorsUri(modUri: string): string {
  const trimmed = modUri.replace(/\/+$/, "");
  if (trimmed.endsWith("job-postings-mod"))
    return `${trimmed.slice(0, -"job-postings-mod".length)}job-postings-errors/`;
  const cut = trimmed.lastIndexOf("/");
  // A bare relative directory (`mod`): its parent is the working directory.
  if (cut === -1 && !trimmed.startsWith("s3://")) return "errors/";
  const parent =
    cut > "s3://".length || (!trimmed.startsWith("s3://") && cut >= 0) ? trimmed.slice(0, cut) : trimmed;
  return `${parent}/errors/`;
}
