import { availableParallelism } from "node:os";
import { InlineParseStage, type ParseStage } from "./parse-stage";
import { ParseWorkers } from "./parse-workers";
import type { ParseOptions } from "./parsed-chunk";

/**
 * `auto` stops here: each thread costs ≈30 MiB and its own copy of the answers it has seen, and
 * a process that counts a big host's cores (no CPU limit) should not start dozens.
 */
export const AUTO_MAX_THREADS = 4;

/** What `auto` looks at. */
export interface ThreadHost {
  /** Cores the process may use. @default availableParallelism() */
  cores?: number;
  /** Whether the input is read from S3 (the main thread then also decodes its HTTP responses). */
  inputOverS3: boolean;
}

/**
 * The threads `PARSE_THREADS` asks for. `auto` is one per core the process may use, at most
 * {@link AUTO_MAX_THREADS}, but none when the input comes from S3 on two cores or fewer: there
 * the main thread's S3 reads and writes leave no core free, and measured on two cores the threads
 * made a day slower warm (113–120 s against 99.9 s) and cold (214–240 against 204–207 s) at
 * about 50% more CPU (docs/benchmarks/cold-day.md, round 2), while on local files they made the
 * warm path 1.35× faster.
 */
export function parseThreadCount(setting: string, host: ThreadHost): number {
  if (setting !== "auto") return Number(setting);
  const cores = host.cores ?? availableParallelism();
  if (host.inputOverS3 && cores <= 2) return 0;
  return Math.min(cores, AUTO_MAX_THREADS);
}

/**
 * The parse stage `PARSE_THREADS` (already validated: `auto` or a count) asks for; threads start
 * with `start()`. `onThreadLost` hears of a thread that stopped while in use.
 */
export function openParseStage(
  setting: string,
  host: ThreadHost,
  options: ParseOptions,
  onThreadLost?: (err: Error, openFiles: number) => void,
): ParseStage {
  const n = parseThreadCount(setting, host);
  return n === 0 ? new InlineParseStage(options) : new ParseWorkers(options, n, onThreadLost);
}
