import { availableParallelism } from "node:os";
import { InlineParseStage, type ParseStage } from "./parse-stage";
import { ParseWorkers } from "./parse-workers";
import type { ParseOptions } from "./parsed-chunk";

/** The threads `PARSE_THREADS` asks for: `auto` is one per core the process may use. */
export function parseThreadCount(setting: string): number {
  return setting === "auto" ? availableParallelism() : Number(setting);
}

/** The parse stage `PARSE_THREADS` (already validated: `auto` or a count) asks for, its threads started. */
export function openParseStage(setting: string, options: ParseOptions): ParseStage {
  const n = parseThreadCount(setting);
  if (n === 0) return new InlineParseStage(options);
  const workers = new ParseWorkers(options, n);
  workers.start();
  return workers;
}
