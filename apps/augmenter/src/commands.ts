import { ConfigError, type OptionSpecs } from "@rl/cli";
import { AUGMENTER_OPTIONS } from "./config";

export type Command = "run" | "serve" | "cache" | "files";
type OptionKey = keyof typeof AUGMENTER_OPTIONS;

const SERVICE: readonly Command[] = ["run", "serve"];
/** The default scope of an option: every command but `files`, which needs only where the queue is. */
const ALL_BUT_FILES: readonly Command[] = ["run", "serve", "cache"];
const WHERE_THE_QUEUE_IS: readonly Command[] = [...SERVICE, "files"];

/**
 * The options only some commands take; every other option applies to run, serve and cache (the
 * cache, the model and the pair rules: `cache warm` asks the model like the service does).
 */
const SCOPE: Partial<Record<OptionKey, readonly Command[]>> = {
  rawUri: WHERE_THE_QUEUE_IS,
  modUri: WHERE_THE_QUEUE_IS,
  cacheUrl: [...ALL_BUT_FILES, "files"],
  dataDir: [...ALL_BUT_FILES, "files"],
  s3Endpoint: [...ALL_BUT_FILES, "files"],
  all: ["files"],
  errorsUri: SERVICE,
  fileConcurrency: SERVICE,
  parseThreads: SERVICE,
  chunkRecords: SERVICE,
  chunkWindow: SERVICE,
  maxRecordBytes: SERVICE,
  maxRecordLines: SERVICE,
  maxBytesInFlight: SERVICE,
  pollIntervalMs: SERVICE,
  lookbackSeconds: SERVICE,
  fileRetryBaseMs: SERVICE,
  fileMaxAttempts: SERVICE,
  fileLeaseMs: SERVICE,
  queueMaxWaiting: SERVICE,
  shutdownGraceMs: SERVICE,
  httpHost: SERVICE,
  httpPort: SERVICE,
  queueDashboard: SERVICE,
  queueDashboardToken: SERVICE,
  queueDashboardTokenFile: SERVICE,
  report: ["run"],
  once: ["run"],
  keyEncoding: ["cache"],
  importFormat: ["cache"],
  overwrite: ["cache"],
  maxBadFraction: ["cache"],
  warmFrom: ["cache"],
  since: ["cache"],
  metricsUrl: ["cache"],
};

const appliesTo = (key: OptionKey, command: Command) => (SCOPE[key] ?? ALL_BUT_FILES).includes(command);

/** The options `command` takes, for its `--help`. */
export function optionsFor(command: Command): OptionSpecs {
  return Object.fromEntries(
    Object.entries(AUGMENTER_OPTIONS).filter(([key]) => appliesTo(key as OptionKey, command)),
  );
}

/**
 * Refuses flags the command does not take (`serve --once` would otherwise run forever). Only
 * flags: an environment shared by several commands may set what one of them ignores.
 */
export function assertFlagsFor(command: Command, sources: Record<OptionKey, string>): void {
  const wrong = (Object.keys(sources) as OptionKey[]).filter(
    (key) => sources[key] === "flag" && !appliesTo(key, command),
  );
  if (wrong.length === 0) return;
  const named = wrong.map((key) => {
    const where = (SCOPE[key] ?? []).join(" and ");
    return `--${AUGMENTER_OPTIONS[key].flag} (${where} only)`;
  });
  throw new ConfigError(`${command} does not take ${named.join(", ")}; see augmenter ${command} --help`);
}

/** Refuses arguments a command (`run`, `cache stats`) does not take, rather than ignoring them. */
export function assertNoMoreArgs(command: string, extra: readonly string[]): void {
  if (extra.length > 0)
    throw new ConfigError(
      `unexpected argument ${JSON.stringify(extra[0])}: ${command} takes no more arguments (see augmenter ${command} --help)`,
    );
}
