import { ConfigError, createProgress } from "@rl/cli";
import { openObjectStore, type S3ClientOptions } from "@rl/s3";
import { pino } from "pino";
import { pairRulesOf } from "../pair-rules";
import { createAugmenter, type AugmenterConfig } from "../create-augmenter";
import { assertCurrentEncoding, out } from "./command-store";
import { warmCache } from "./warm-cache";

/** Distinct pairs counted at most: bounds the memory of a warm over years of inputs. */
const MAX_PAIRS = 5_000_000;

/** `cache warm --from <raw>`: infers the pairs of historic inputs, most frequent first. */
export async function warmCommand(o: AugmenterConfig, s3: S3ClientOptions): Promise<number> {
  assertCurrentEncoding(o, "warm");
  if (!o.warmFrom)
    throw new ConfigError("cache warm: --from (the raw inputs to read, s3://… or a directory) is required");
  let raw;
  try {
    raw = await openObjectStore(o.warmFrom, s3);
  } catch (err) {
    throw new ConfigError(`--from: ${(err as Error).message}`);
  }
  // Warming reads --from and writes no output: RAW_URI and MOD_URI are not checked.
  const inst = await createAugmenter({ ...o, httpPort: -1 }, pino({ level: "warn" }, process.stderr), {
    checkStores: false,
  });
  const progress = createProgress({ label: "warming", unit: "pairs" });
  try {
    const r = await warmCache(raw, inst.cache, inst.scheduler, {
      pairRules: pairRulesOf(o),
      ...(o.since > 0 ? { since: o.since } : {}),
      maxPairs: MAX_PAIRS,
      onProgress: (phase, done, total) => (phase === "inferring" && total ? progress.set(done) : undefined),
    });
    progress.done();
    out(
      `warmed namespace ${o.modelVersion} from ${raw.location}: ${r.files} files, ${r.records.toLocaleString("en-US")} records, ${r.distinctPairs.toLocaleString("en-US")} distinct pairs: ${r.alreadyCached.toLocaleString("en-US")} already cached, ${r.inferred.toLocaleString("en-US")} inferred, most frequent first, in ${r.seconds.toFixed(1)} s`,
    );
    if (r.skippedPairs)
      out(
        "  (more than 5,000,000 distinct pairs: the rest were not counted; warm a narrower --since window)",
      );
    return 0;
  } finally {
    await inst.close();
  }
}
