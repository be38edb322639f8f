import type { Readable } from "node:stream";
import { PassThrough, pipeline } from "node:stream";
import { createGzip } from "node:zlib";
import type { NormaliseLevel, TwoTierCache } from "@rl/cache";
import type { ObjectInfo, ObjectStore } from "@rl/s3";
import type { InferenceScheduler } from "../model/inference-scheduler";
import { readLines } from "../records/line-reader";
import { inspectPosting, spliceSeniority } from "../records/posting";
import {
  RecordAssembler,
  type AssembledRecord,
  type AssemblerLimits,
  type DeadLetter,
} from "../records/record-assembler";
import { emptyFileReport, type FileReport } from "./file-report";
import { gunzipIf, timedChunks, writeChunk } from "./stream-io";

export interface FileProcessorDeps {
  raw: ObjectStore;
  mod: ObjectStore;
  errors: ObjectStore;
  cache: TwoTierCache;
  scheduler: InferenceScheduler;
  normalise: NormaliseLevel;
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
  nullSeniority: number;
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
    metadata: { [SOURCE_ETAG]: info.etag, "model-version": deps.modelVersion, normalise: deps.normalise },
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

  const resolveChunk = async (records: AssembledRecord[]): Promise<ChunkResult> => {
    const deadLines: string[] = [];
    const items: Array<{ text: string; pair: string | null; empty: boolean } | undefined> = [];
    const pairs = new Set<string>();
    for (const rec of records) {
      if (rec.kind === "dead") {
        deadLines.push(deadLine(rec));
        items.push(undefined);
        continue;
      }
      const v = inspectPosting(rec, deps.normalise);
      if (!v.ok) {
        deadLines.push(deadLine({ kind: "dead", line: rec.line, reason: v.reason, raw: rec.text }));
        items.push(undefined);
        continue;
      }
      items.push(v);
      if (v.pair !== null) pairs.add(v.pair);
    }
    // Only text and pair are needed from here on: release the parsed values while this chunk
    // waits on the model, or a cold run holds every parsed object of its window in memory.
    records.length = 0;
    for (const p of pairs) if (distinct.size < deps.maxDistinctTracked) distinct.add(p);

    const look = await deps.cache.lookupMany(pairs);
    t.cacheReadMs += look.l2ReadMs;
    report.l1Hits += look.l1Hits;
    report.l2Hits += look.l2Hits;
    const values = look.found;
    if (look.misses.length > 0) {
      const w0 = performance.now();
      const asked = look.misses.map((text) => {
        const r = deps.scheduler.request(text, t);
        if (r.fresh) report.modelPairs += 1;
        else report.joinedPairs += 1;
        return r.value.then((v) => values.set(text, v));
      });
      await Promise.all(asked);
      t.modelWaitMs += performance.now() - w0;
    }
    let output = "";
    let outputLines = 0;
    let nullSeniority = 0;
    for (const it of items) {
      if (!it) continue;
      const v = it.pair === null ? null : (values.get(it.pair) ?? null);
      if (it.pair !== null && v === null)
        throw new Error(`no seniority resolved for a pair (internal error)`);
      if (v === null) nullSeniority += 1;
      output += `${spliceSeniority(it.text, v, it.empty)}\n`;
      outputLines += 1;
    }
    return { output, deadLines, outputLines, nullSeniority };
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
    report.outputLines += r.outputLines;
    report.deadLetters += r.deadLines.length;
    report.nullSeniority += r.nullSeniority;
  };

  const window: Array<Promise<ChunkResult>> = [];
  const submit = async (records: AssembledRecord[]) => {
    report.records += records.length;
    const p = resolveChunk(records);
    p.catch(() => {});
    window.push(p);
    while (window.length >= deps.chunkWindow) await emit(await (window.shift() as Promise<ChunkResult>));
  };

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
    const input = gunzipIf(info.key, raw);
    let pending: AssembledRecord[] = [];
    for await (const batch of readLines(input, deps.limits.maxRecordBytes)) {
      if (signal?.aborted) throw new Error("aborted: the service is shutting down");
      for (const line of batch) assembler.push(line, pending);
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
    report.distinctPairs = distinct.size;
    t.totalMs = performance.now() - t0;
    throw Object.assign(new FileError(info.key, report.error, { cause: err }), { report });
  }
  report.distinctPairs = distinct.size;
  t.totalMs = performance.now() - t0;
  return report;
}
