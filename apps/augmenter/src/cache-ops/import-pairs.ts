import {
  PACKED_PAIR_BYTES,
  packPair,
  toPair,
  unpackPair,
  type PairRules,
  type SeniorityStore,
} from "@rl/cache";
import { timedChunks } from "../pipeline/stream-io";
import { csvRows } from "./csv-rows";
import { jsonlRows } from "./jsonl-rows";
import type { BadRow, RowFormat } from "./pair-rows";

export interface ImportOptions {
  format: RowFormat;
  /** Normalisation and field limits, as the service applies them: a row the service would never look up is bad. */
  pairRules: PairRules;
  /** Replace an existing different value. @default false (keep it, count a conflict) */
  overwrite: boolean;
  /** Fail when bad rows exceed this fraction of rows read. @default 0.01 */
  maxBadFraction: number;
  /** Rows per read + write round trip (for Redis, at least 4 per bucket). See {@link IMPORT_TUNING}. */
  batchSize: number;
  /** Batches in flight at once. See {@link IMPORT_TUNING}. */
  concurrency: number;
  onProgress?: (rows: number, bytes: number) => void;
}

/**
 * Measured best on these machines (benchmark 8): batches large enough that a Redis bucket gets
 * several pairs per Lua call (one HMGET + one HSET for all of them), a few in flight so the
 * parsing of one overlaps the server's work on the others. 4 × 100k packed rows ≈ 4.5 MB.
 */
export const IMPORT_TUNING = { batchSize: 100_000, concurrency: 4 } as const;

export interface ImportResult {
  rows: number;
  /** Pairs written that the cache did not have. */
  imported: number;
  /** Pairs the cache already had with the same value. */
  unchanged: number;
  /** Pairs the cache had with another value (kept, or replaced with --overwrite), plus repeats in the file with another value. */
  conflicts: number;
  overwritten: number;
  badRows: number;
  /** The first bad rows, with line numbers. */
  badSamples: BadRow[];
  failed: boolean;
  failure?: string;
  seconds: number;
  rowsPerSecond: number;
}

/**
 * Bulk-loads known (company, title, seniority) rows into a cache namespace without asking the
 * model. Idempotent: running it twice changes nothing the second time.
 */
export async function importPairs(
  source: AsyncIterable<Buffer>,
  store: SeniorityStore,
  o: ImportOptions,
): Promise<ImportResult> {
  const t0 = performance.now();
  const r: ImportResult = {
    rows: 0,
    imported: 0,
    unchanged: 0,
    conflicts: 0,
    overwritten: 0,
    badRows: 0,
    badSamples: [],
    failed: false,
    seconds: 0,
    rowsPerSecond: 0,
  };
  // Rows go into a packed batch (9 bytes a pair, no object per row). A store with a packed
  // import (Redis) checks and writes a batch itself in one pass, repeats included, and sizes
  // the batch it wants; the other stores read, then write.
  const bulk = store.admin?.packedImport;
  const batchSize = bulk ? bulk.batchSize(o.batchSize) : o.batchSize;
  let batch = Buffer.allocUnsafe(batchSize * PACKED_PAIR_BYTES);
  let count = 0;
  const inFlight = new Set<Promise<void>>();
  let bytes = 0;
  let firstError: Error | undefined;

  const flush = async (records: Buffer, n: number) => {
    if (bulk) {
      const c = await bulk.importPacked(records, n, o.overwrite);
      r.imported += c.imported;
      r.unchanged += c.unchanged;
      r.conflicts += c.kept + c.overwritten;
      r.overwritten += c.overwritten;
      return;
    }
    const first = new Map<string, readonly [Buffer, number]>();
    for (let i = 0; i < n; i++) {
      const e = unpackPair(records, i);
      const id = e[0].toString("latin1");
      const prev = first.get(id);
      if (prev === undefined) first.set(id, e);
      else if (prev[1] === e[1]) r.unchanged += 1;
      else {
        // A repeat in the batch with another value: kept, or replaced with --overwrite, as Redis does.
        r.conflicts += 1;
        if (o.overwrite) {
          first.set(id, e);
          r.overwritten += 1;
        }
      }
    }
    const entries = [...first.values()];
    const existing = await store.getMany(entries.map(([k]) => k));
    const writes: Array<readonly [Buffer, number]> = [];
    entries.forEach(([key, value], i) => {
      const had = existing[i];
      if (had === undefined) {
        writes.push([key, value]);
        r.imported += 1;
      } else if (had === value) r.unchanged += 1;
      else {
        r.conflicts += 1;
        if (o.overwrite) {
          writes.push([key, value]);
          r.overwritten += 1;
        }
      }
    });
    await store.setMany(writes);
  };
  const submit = async () => {
    const records = batch;
    const n = count;
    batch = Buffer.allocUnsafe(batchSize * PACKED_PAIR_BYTES);
    count = 0;
    const p = flush(records, n).catch((err: Error) => {
      firstError ??= err;
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= o.concurrency) await Promise.race(inFlight);
  };
  const tooManyBad = () =>
    r.badRows > Math.max(100, o.maxBadFraction * (r.rows + r.badRows)) && r.rows + r.badRows >= 10_000;

  const counted = timedChunks(
    source,
    () => {},
    (n) => (bytes += n),
  );
  const rows = o.format === "jsonl" ? jsonlRows(counted) : csvRows(counted, o.format === "csv" ? "," : "\t");
  outer: for await (const batchRows of rows) {
    for (const parsed of batchRows) {
      if (!("company" in parsed)) {
        r.badRows += 1;
        if (r.badSamples.length < 20) r.badSamples.push(parsed);
        if (tooManyBad()) break outer;
        continue;
      }
      const pair = toPair(parsed.company, parsed.title, o.pairRules);
      if (typeof pair === "string") {
        r.badRows += 1;
        if (r.badSamples.length < 20)
          r.badSamples.push({
            line: parsed.line,
            reason:
              pair === "empty"
                ? "company or title is empty after normalisation"
                : `company or title is longer than ${o.pairRules.maxFieldChars} characters after normalisation (MAX_FIELD_CHARS)`,
          });
        if (tooManyBad()) break outer;
        continue;
      }
      r.rows += 1;
      packPair(batch, count++, pair.key, parsed.seniority);
      if (count >= batchSize) await submit();
    }
    o.onProgress?.(r.rows, bytes);
    if (firstError) break;
  }
  if (count > 0 && !firstError) await submit();
  await Promise.all(inFlight);
  if (firstError) throw firstError;

  r.seconds = (performance.now() - t0) / 1000;
  r.rowsPerSecond = r.rows / Math.max(r.seconds, 1e-9);
  const total = r.rows + r.badRows;
  if (total > 0 && r.badRows / total > o.maxBadFraction) {
    r.failed = true;
    r.failure = `${r.badRows} bad rows of ${total} (${((100 * r.badRows) / total).toFixed(2)}%) exceed the limit of ${(100 * o.maxBadFraction).toFixed(2)}% (--max-bad-fraction)`;
  }
  return r;
}
