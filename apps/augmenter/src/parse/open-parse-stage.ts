import { availableParallelism } from "node:os";
import { InlineParseStage, type ParseStage } from "./parse-stage";
import { ParseWorkers } from "./parse-workers";
import type { ParseOptions } from "./parsed-chunk";

/**
 * `auto` stops here: each thread costs ≈30 MiB and its own copy of the answers it has seen, and
 * a process that counts a big host's cores (no CPU limit) should not start dozens.
 */
export const AUTO_MAX_THREADS = 4;

/** The threads `PARSE_THREADS` asks for: `auto` is one per core the process may use, at most {@link AUTO_MAX_THREADS}. */
export function parseThreadCount(setting: string): number {
  return setting === "auto" ? Math.min(availableParallelism(), AUTO_MAX_THREADS) : Number(setting);
}

/**
 * The parse stage `PARSE_THREADS` (already validated: `auto` or a count) asks for; threads start
 * with `start()`. `onThreadLost` hears of a thread that stopped while in use.
 */
export function openParseStage(
  setting: string,
  options: ParseOptions,
  onThreadLost?: (err: Error, openFiles: number) => void,
): ParseStage {
  const n = parseThreadCount(setting);
  return n === 0 ? new InlineParseStage(options) : new ParseWorkers(options, n, onThreadLost);
}
