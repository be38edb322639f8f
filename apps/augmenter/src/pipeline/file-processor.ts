import type { Readable } from "node:stream";
import { PassThrough, pipeline } from "node:stream";
import { createGzip } from "node:zlib";
import type { Pair, PairRules, TwoTierCache, UnusableReason } from "@rl/cache";
import type { ObjectInfo, ObjectStore } from "@rl/s3";
import type { InferenceScheduler } from "../inference/inference-scheduler";
import { readLines } from "../records/line-reader";
import { inspectPosting, spliceSeniority } from "../records/posting";
import {
  RecordAssembler,
  type AssembledRecord,
  type AssemblerLimits,
  type DeadLetter,
} from "../records/record-assembler";
import type { ByteBudget } from "./byte-budget";
import { emptyFileReport, type FileReport } from "./file-report";
import { gunzipIf, timedChunks, writeChunk } from "./stream-io";

export interface FileProcessorDeps {
  raw: ObjectStore;
  mod: ObjectStore;
  errors: ObjectStore;
  cache: TwoTierCache;
  scheduler: InferenceScheduler;
  /** Normalisation and the limits that make a (company, title) a usable pair. */
  pairRules: PairRules;
  /** Input bytes in flight across every file of the process (one budget, shared). */
  budget: ByteBudget;
  modelVersion: string;
  limits: AssemblerLimits;
  /** Records resolved together: one L2 round trip each. @default 2000 */
  chunkRecords: number;
  /** Chunks of one file resolved at once (outputs still written in order). @default 8 */
  chunkWindow: number;
  /** Distinct pairs counted per file before the count stops growing (memory bound). @default 2_000_000 */
  maxDistinctTracked: number;
}

/** Metadata on every output: `source-etag` is what makes an output count as done for that input. */
export const SOURCE_ETAG = "source-etag";

/** The dead-letter object's key: the input's name, plain JSONL even for a .gz input. */
export const deadLetterKey = (key: string) => key.replace(/\.gz$/, "");

interface ChunkResult {
  output: string;
  deadLines: string[];
  outputLines: number;
  nullSeniority: Map<UnusableReason, number>;
  /** Input bytes this chunk holds of the budget, given back once it is written. */
  bytes: number;
}

/** `p`, or a rejection as soon as `signal` aborts: no wait outlives the shutdown grace. */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(new Error("aborted: the service is shutting down"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error("aborted: the service is shutting down"));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e as Error);
      },
    );
  });
}

export class FileError extends Error {
  readonly code = "ERR_FILE";
  constructor(
    readonly key: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${key}: ${message}`, options);
    this.name = this.constructor.name;
  }
}

/**
 * Reads one input, writes its output (whole or not at all) and its dead letters. The output
 * is completed last, after the dead letters, because an output carrying the input's ETag is
 * what marks the file done.
 */
export async function processFile(
  deps: FileProcessorDeps,
  info: ObjectInfo,
  onBytes: (n: number) => void = () => {},
  signal?: AbortSignal,
): Promise<FileReport> {
  const t0 = performance.now();
  const report = emptyFileReport(info.key, info.etag);
  const t = report.timings;
  const gz = info.key.endsWith(".gz");
  const distinct = new Set<string>();
  const assembler = new RecordAssembler(deps.limits);

  const out = new PassThrough({ highWaterMark: 1 << 20 });
  const outBody: Readable = gz ? pipeline(out, createGzip(), () => {}) : out;
  const upload = deps.mod.put(info.key, outBody, {
    contentType: gz ? "application/gzip" : "application/x-ndjson",
    metadata: {
      [SOURCE_ETAG]: info.etag,
      "model-version": deps.modelVersion,
      normalise: deps.pairRules.normalise,
    },
  });
  upload.catch(() => {});
  let dead: { stream: PassThrough; upload: Promise<unknown> } | undefined;
  const openDead = () => {
    if (!dead) {
      const stream = new PassThrough({ highWaterMark: 1 << 20 });
      const p = deps.errors.put(deadLetterKey(info.key), stream, {
        contentType: "application/x-ndjson",
        metadata: { [SOURCE_ETAG]: info.etag },
      });
      p.catch(() => {});
      dead = { stream, upload: p };
    }
    return dead;
  };

  const deadLine = (d: DeadLetter) =>
    JSON.stringify({
      file: info.key,
      line: d.line,
      ...(d.lines ? { lines: d.lines } : {}),
      reason: d.reason,
      ...(d.raw !== undefined ? { raw: d.raw } : {}),
      ...(d.rawBase64 !== undefined ? { rawBase64: d.rawBase64 } : {}),
      ...(d.truncatedFrom !== undefined ? { truncatedFrom: d.truncatedFrom } : {}),
    });

  const resolveChunk = async (records: AssembledRecord[], bytes: number): Promise<ChunkResult> => {
    const deadLines: string[] = [];
    const items: Array<{ text: string; pair: Pair | UnusableReason; empty: boolean } | undefined> = [];
    const pairs = new Map<string, Pair>();
    for (const rec of records) {
      if (rec.kind === "dead") {
        deadLines.push(deadLine(rec));
        items.push(undefined);
        continue;
      }
      const v = inspectPosting(rec, deps.pairRules);
      if (!v.ok) {
        deadLines.push(deadLine({ kind: "dead", line: rec.line, reason: v.reason, raw: rec.text }));
        items.push(undefined);
        continue;
      }
      items.push(v);
      if (typeof v.pair !== "string") pairs.set(v.pair.key, v.pair);
    }
    // Only text and pair are needed from here on: release the parsed values while this chunk
    // waits on the model, or a cold run holds every parsed object of its window in memory.
    records.length = 0;
    for (const k of pairs.keys()) if (distinct.size < deps.maxDistinctTracked) distinct.add(k);

    const look = await deps.cache.lookupMany(pairs.keys(), signal);
    t.cacheReadMs += look.l2ReadMs;
    report.l1Hits += look.l1Hits;
    report.l2Hits += look.l2Hits;
    const values = look.found;
    if (look.misses.length > 0) {
      const w0 = performance.now();
      const asked = look.misses.map((key) => {
        const r = deps.scheduler.request(pairs.get(key) as Pair);
        if (r.joined) report.joinedPairs += 1;
        else report.modelPairs += 1;
        return r.result.then((a) => {
          values.set(key, a.seniority);
          t.modelCallMs += a.modelCallMs;
          t.cacheWriteMs += a.cacheWriteMs;
        });
      });
      await abortable(Promise.all(asked), signal);
      t.modelWaitMs += performance.now() - w0;
    }
    let output = "";
    let outputLines = 0;
    const nullSeniority = new Map<UnusableReason, number>();
    for (const it of items) {
      if (!it) continue;
      let v: number | null = null;
      if (typeof it.pair === "string") nullSeniority.set(it.pair, (nullSeniority.get(it.pair) ?? 0) + 1);
      else {
        v = values.get(it.pair.key) ?? null;
        if (v === null) throw new Error(`no seniority resolved for a pair (internal error)`);
      }
      output += `${spliceSeniority(it.text, v, it.empty)}\n`;
      outputLines += 1;
    }
    return { output, deadLines, outputLines, nullSeniority, bytes };
  };

  const emit = async (r: ChunkResult) => {
    const w0 = performance.now();
    if (r.output.length > 0) {
      const buf = Buffer.from(r.output);
      report.bytesOut += buf.length;
      await writeChunk(out, buf, upload);
    }
    if (r.deadLines.length > 0) {
      const d = openDead();
      await writeChunk(d.stream, Buffer.from(`${r.deadLines.join("\n")}\n`), d.upload);
    }
    t.s3WriteMs += performance.now() - w0;
    deps.budget.give(holder, r.bytes);
    report.outputLines += r.outputLines;
    report.deadLetters += r.deadLines.length;
    for (const [reason, n] of r.nullSeniority) {
      report.nullSeniority += n;
      report.nullSeniorityBy[reason] += n;
    }
  };

  const window: Array<Promise<ChunkResult>> = [];
  // Budget: bytes taken for input not yet handed to a chunk (a chunk carries them until it is
  // written). A chunk is charged the lines it holds; a line still being read, or an unfinished
  // multi-line object, stays charged to the file until its record is in a chunk.
  const holder = {};
  let consumed = 0; // bytes of the lines given to the assembler since the last chunk
  let pending: AssembledRecord[] = [];
  const submit = async (records: AssembledRecord[]) => {
    report.records += records.length;
    const held = Math.min(consumed, assembler.heldChars);
    const p = resolveChunk(records, consumed - held);
    consumed = held;
    p.catch(() => {});
    window.push(p);
    while (window.length >= deps.chunkWindow) await emit(await (window.shift() as Promise<ChunkResult>));
  };
  /** Writes out everything read so far: what a file does before it waits for budget. */
  const flush = async () => {
    if (pending.length > 0) {
      const records = pending;
      pending = [];
      await submit(records);
    }
    while (window.length > 0) await emit(await (window.shift() as Promise<ChunkResult>));
  };
  async function* budgeted(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      if (!deps.budget.tryTake(holder, chunk.length)) {
        await flush();
        await deps.budget.take(holder, chunk.length, signal);
      }
      yield chunk;
    }
  }

  try {
    const src = await deps.raw.get(info.key);
    const raw = timedChunks(
      src,
      (ms) => (t.s3ReadMs += ms),
      (n) => {
        report.bytesIn += n;
        onBytes(n);
      },
    );
    const input = budgeted(gunzipIf(info.key, raw));
    for await (const batch of readLines(input, deps.limits.maxRecordBytes)) {
      if (signal?.aborted) throw new Error("aborted: the service is shutting down");
      for (const line of batch) {
        consumed += line.size;
        assembler.push(line, pending);
      }
      if (pending.length >= deps.chunkRecords) {
        await submit(pending);
        pending = [];
      }
    }
    assembler.end(pending);
    if (pending.length > 0) await submit(pending);
    while (window.length > 0) await emit(await (window.shift() as Promise<ChunkResult>));
    report.blankLines = assembler.blankLines;
    if (report.records !== report.outputLines + report.deadLetters) {
      throw new Error(
        `counts do not reconcile: ${report.records} records, ${report.outputLines} written, ${report.deadLetters} dead-lettered`,
      );
    }
    const w0 = performance.now();
    if (dead) {
      dead.stream.end();
      await dead.upload;
    } else if (await deps.errors.head(deadLetterKey(info.key))) {
      // An older version's dead letters would outlive it (outputs + dead letters ≠ records).
      // Removed before the output marks the file done: a crash in between redoes the file.
      // HEAD first: a DELETE of a missing key still leaves a delete marker in a versioned bucket.
      await deps.errors.delete(deadLetterKey(info.key));
    }
    out.end();
    await upload;
    t.s3WriteMs += performance.now() - w0;
  } catch (err) {
    // Destroying the bodies makes both uploads fail and abort: no partial object appears.
    const e = err as Error;
    out.destroy(e);
    dead?.stream.destroy(e);
    await Promise.allSettled([upload, dead?.upload]);
    report.status = "failed";
    report.error =
      gz && /incorrect header|invalid|unexpected end/i.test(e.message)
        ? `corrupt gzip: ${e.message}`
        : e.message;
    deps.budget.giveAll(holder);
    report.distinctPairs = distinct.size;
    t.totalMs = performance.now() - t0;
    throw Object.assign(new FileError(info.key, report.error, { cause: err }), { report });
  }
  deps.budget.giveAll(holder);
  report.distinctPairs = distinct.size;
  t.totalMs = performance.now() - t0;
  return report;
}
