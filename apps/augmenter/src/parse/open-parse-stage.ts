import { availableParallelism } from "node:os";
import { InlineParseStage, type ParseStage } from "./parse-stage";
import { ParseWorkers } from "./parse-workers";
import type { ParseOptions } from "./parsed-chunk";

/** The threads `PARSE_THREADS` asks for: `auto` is one per core the process may use. */
export function parseThreadCount(setting: string): number {
  return setting === "auto" ? availableParallelism() : Number(setting);
}

/** The parse stage `PARSE_THREADS` (already validated: `auto` or a count) asks for. */
export function openParseStage(setting: string, options: ParseOptions): ParseStage {
  const n = parseThreadCount(setting);
  return n === 0 ? new InlineParseStage(options) : new ParseWorkers(options, n);
}
