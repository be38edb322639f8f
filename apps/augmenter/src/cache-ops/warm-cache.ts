import type { Pair, PairRules, TwoTierCache } from "@rl/cache";
import type { ObjectStore } from "@rl/s3";
import type { InferenceScheduler } from "../model/inference-scheduler";
import { gunzipIf } from "../pipeline/stream-io";
import { readLines } from "../records/line-reader";
import { inspectPosting } from "../records/posting";
import { RecordAssembler, type AssembledRecord } from "../records/record-assembler";
import { INPUT_KEY } from "../service/discovery";

export interface WarmOptions {
  /** Normalisation and field limits, as the service applies them. */
  pairRules: PairRules;
  /** Only inputs whose name is a Unix timestamp at or after this. */
  since?: number;
  /** Distinct pairs counted at most (memory bound); pairs first seen after that are not warmed. @default 5_000_000 */
  maxPairs: number;
  onProgress?: (phase: "reading" | "inferring", done: number, total?: number) => void;
}

export interface WarmResult {
  files: number;
  records: number;
  distinctPairs: number;
  alreadyCached: number;
  inferred: number;
  /** Distinct pairs not counted because maxPairs was reached. */
  skippedPairs: boolean;
  seconds: number;
}

/** Pairs in descending frequency; ties in first-seen order. */
export function byFrequency<P>(counts: Map<string, { pair: P; n: number }>): P[] {
  return [...counts.values()].sort((a, b) => b.n - a.n).map((c) => c.pair);
}

/**
 * Infers ahead of time the distinct pairs of historic inputs under the current model version,
 * most frequent first and paced at the model's rate, so the hit ratio recovers fastest after
 * a model upgrade. Pairs already cached are not sent.
 */
export async function warmCache(
  raw: ObjectStore,
  cache: TwoTierCache,
  scheduler: InferenceScheduler,
  o: WarmOptions,
): Promise<WarmResult> {
  const t0 = performance.now();
  const counts = new Map<string, { pair: Pair; n: number }>();
  const r: WarmResult = {
    files: 0,
    records: 0,
    distinctPairs: 0,
    alreadyCached: 0,
    inferred: 0,
    skippedPairs: false,
    seconds: 0,
  };
  for await (const info of raw.list()) {
    if (!INPUT_KEY.test(info.key)) continue;
    if (o.since !== undefined) {
      const ts = Number.parseInt(info.key, 10);
      if (!/^\d+\./.test(info.key) || ts < o.since) continue;
    }
    r.files += 1;
    const input = gunzipIf(info.key, await raw.get(info.key));
    const assembler = new RecordAssembler({ maxRecordBytes: 32 * 1024 * 1024, maxRecordLines: 10_000 });
    const recs: AssembledRecord[] = [];
    const take = () => {
      for (const rec of recs) {
        if (rec.kind !== "record") continue;
        r.records += 1;
        const v = inspectPosting(rec, o.pairRules);
        if (!v.ok || typeof v.pair === "string") continue;
        const c = counts.get(v.pair.key);
        if (c !== undefined) c.n += 1;
        else if (counts.size < o.maxPairs) counts.set(v.pair.key, { pair: v.pair, n: 1 });
        else r.skippedPairs = true;
      }
      recs.length = 0;
    };
    for await (const batch of readLines(input, 32 * 1024 * 1024)) {
      for (const line of batch) assembler.push(line, recs);
      take();
    }
    assembler.end(recs);
    take();
    o.onProgress?.("reading", r.files);
  }
  const ordered = byFrequency(counts);
  counts.clear();
  r.distinctPairs = ordered.length;
  for (let i = 0; i < ordered.length; i += 10_000) {
    const part = ordered.slice(i, i + 10_000);
    const byKey = new Map(part.map((p) => [p.key, p]));
    const look = await cache.lookupMany(byKey.keys());
    r.alreadyCached += part.length - look.misses.length;
    // Requested in frequency order: the scheduler sends them in that order, paced.
    await Promise.all(look.misses.map((k) => scheduler.request(byKey.get(k) as Pair).result));
    r.inferred += look.misses.length;
    o.onProgress?.("inferring", Math.min(i + part.length, ordered.length), ordered.length);
  }
  r.seconds = (performance.now() - t0) / 1000;
  return r;
}
