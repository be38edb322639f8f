import {
  RedisStore,
  normaliseText,
  pairKey,
  pairText,
  type NormaliseLevel,
  type SeniorityStore,
} from "@rl/cache";
import { timedChunks } from "../pipeline/stream-io";
import { readLines } from "../records/line-reader";
import { PairRowParser, type BadRow, type PairRow, type RowFormat } from "./pair-rows";

export interface ImportOptions {
  format: RowFormat;
  normalise: NormaliseLevel;
  /** Replace an existing different value. @default false (keep it, count a conflict) */
  overwrite: boolean;
  /** Fail when bad rows exceed this fraction of rows read. @default 0.01 */
  maxBadFraction: number;
  /** Rows per read + write round trip. @default 10_000 */
  batchSize: number;
  /** Batches in flight at once. @default 4 */
  concurrency: number;
  onProgress?: (rows: number, bytes: number) => void;
}

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
  const parser = new PairRowParser(o.format);
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
  let batch = new Map<string, { key: Buffer; row: PairRow }>();
  const inFlight = new Set<Promise<void>>();
  let bytes = 0;
  let firstError: Error | undefined;

  const flush = async (b: Map<string, { key: Buffer; row: PairRow }>) => {
    const items = [...b.values()];
    const entries = items.map(({ key, row }) => [key, row.seniority] as const);
    if (store instanceof RedisStore) {
      // Checked and written in one pass on the server (one round trip, half the client work).
      for (const code of await store.importMany(entries, o.overwrite)) {
        if (code === 0) r.imported += 1;
        else if (code === 1) r.unchanged += 1;
        else {
          r.conflicts += 1;
          if (code === 3) r.overwritten += 1;
        }
      }
      return;
    }
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
    const b = batch;
    batch = new Map();
    const p = flush(b).catch((err: Error) => {
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
  outer: for await (const lines of readLines(counted, 1 << 20)) {
    for (const l of lines) {
      if (l.text === undefined) {
        r.badRows += 1;
        if (r.badSamples.length < 20)
          r.badSamples.push({ line: l.no, reason: l.overflowBytes ? "line too long" : "invalid UTF-8" });
        continue;
      }
      const parsed = parser.parse(l.text, l.no);
      if (parsed === undefined) continue;
      if (!("company" in parsed)) {
        r.badRows += 1;
        if (r.badSamples.length < 20) r.badSamples.push(parsed);
        if (tooManyBad()) break outer;
        continue;
      }
      const c = normaliseText(parsed.company, o.normalise);
      const t = normaliseText(parsed.title, o.normalise);
      if (c === "" || t === "") {
        r.badRows += 1;
        if (r.badSamples.length < 20)
          r.badSamples.push({ line: l.no, reason: "company or title is empty after normalisation" });
        continue;
      }
      r.rows += 1;
      const key = pairKey(pairText(c, t));
      const id = key.toString("latin1");
      const prev = batch.get(id);
      if (prev) {
        if (prev.row.seniority !== parsed.seniority) r.conflicts += 1; // a repeat in the file: the first wins
        continue;
      }
      batch.set(id, { key, row: parsed });
      if (batch.size >= o.batchSize) await submit();
    }
    o.onProgress?.(r.rows, bytes);
    if (firstError) break;
  }
  if (batch.size > 0 && !firstError) await submit();
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
