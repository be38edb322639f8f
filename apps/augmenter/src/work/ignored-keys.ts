import type { Logger } from "pino";
import type { SourceMetrics } from "./work-source";

/** Counts and logs each ignored key once per process, however many listings see it. */
export function noteIgnored(
  keys: readonly string[],
  reported: Set<string>,
  metrics: Pick<SourceMetrics, "ignoredKeys">,
  log: Logger,
): void {
  for (const key of keys) {
    if (reported.has(key)) continue;
    reported.add(key);
    metrics.ignoredKeys.inc();
    log.warn({ key }, "ignoring a key that is not a top-level .jsonl or .jsonl.gz file");
  }
}
