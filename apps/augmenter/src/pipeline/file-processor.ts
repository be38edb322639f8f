import type { Readable } from "node:stream";
import { PassThrough, pipeline } from "node:stream";
import { createGzip } from "node:zlib";
import type { PairRules } from "@rl/cache";
import type { ObjectInfo, ObjectStore } from "@rl/s3";
import { deadLetterKey, sourceStamp } from "../ledger/output-ledger";
import type { ParseSession, ParseStage } from "../parse/parse-stage";
import type { ParsedChunk } from "../parse/parsed-chunk";
import type { ByteBudget } from "./byte-budget";
import type { ChunkResolver, ResolvedChunk } from "./chunk-resolver";
import { FileError } from "./file-error";
import { emptyFileReport, type FileReport } from "./file-report";
import { ShutdownError } from "./shutdown-error";
import { gunzipIf, timedChunks, writeChunk } from "./stream-io";

/** What processing a file uses, and only that. */
export interface FileProcessorDeps {
  raw: Pick<ObjectStore, "get">;
  mod: Pick<ObjectStore, "put">;
  errors: Pick<ObjectStore, "put" | "head" | "delete">;
  /** Splits, parses and splices a file's bytes into chunks (on this thread or on parse workers). */
  parse: ParseStage;
  /** Completes parsed chunks with their seniorities (the chunk resolver). */
  resolver: Pick<ChunkResolver, "resolve">;
  /** Input bytes in flight across every file of the process (one budget, shared). */
  budget: ByteBudget;
  /** Written on every output, with the normalisation its pairs were made with. */
  modelVersion: string;
  normalise: PairRules["normalise"];
  /** Chunks of one file resolved at once (outputs still written in order). @default 8 */
  chunkWindow: number;
}

/** Reads of one file handed to its parser and not yet answered: the file's read-ahead. */
const PARSE_AHEAD = 2;

/** A chunk in the window, with the input bytes it holds of the budget until it is written. */
interface InFlight {
  resolved: Promise<ResolvedChunk>;
  bytes: number;
}

/** Adds a written chunk's counts and times to the file's report. */
function fold(report: FileReport, r: ResolvedChunk): void {
  const t = report.timings;
  report.outputLines += r.counts.outputLines;
  report.deadLetters += r.deadLines.length;
  report.l1Hits += r.counts.l1Hits;
  report.l2Hits += r.counts.l2Hits;
  report.modelPairs += r.counts.modelPairs;
  report.joinedPairs += r.counts.joinedPairs;
  for (const [reason, n] of r.counts.nullSeniority) {
    report.nullSeniority += n;
    report.nullSeniorityBy[reason] += n;
  }
  t.cacheReadMs += r.timings.cacheReadMs;
  t.modelWaitMs += r.timings.modelWaitMs;
  t.modelCallMs += r.timings.modelCallMs;
  t.cacheWriteMs += r.timings.cacheWriteMs;
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
  let session: ParseSession;
  try {
    session = deps.parse.open(info.key);
  } catch (err) {
    // Before anything is written (the stage is closed: the service is stopping).
    report.status = "failed";
    report.error = (err as Error).message;
    throw new FileError(info.key, report, { cause: err });
  }

  const out = new PassThrough({ highWaterMark: 1 << 20 });
  const outBody: Readable = gz ? pipeline(out, createGzip(), () => {}) : out;
  const upload = deps.mod.put(info.key, outBody, {
    contentType: gz ? "application/gzip" : "application/x-ndjson",
    metadata: { ...sourceStamp(info.etag), "model-version": deps.modelVersion, normalise: deps.normalise },
  });
  // Awaited on success and in the failure path: never left unhandled meanwhile.
  upload.catch(() => {});
  let dead: { stream: PassThrough; upload: Promise<unknown> } | undefined;
  const openDead = () => {
    if (!dead) {
      const stream = new PassThrough({ highWaterMark: 1 << 20 });
      const p = deps.errors.put(deadLetterKey(info.key), stream, {
        contentType: "application/x-ndjson",
        metadata: sourceStamp(info.etag),
      });
      p.catch(() => {}); // as `upload`
      dead = { stream, upload: p };
    }
    return dead;
  };

  const emit = async ({ resolved, bytes }: InFlight) => {
    const r = await resolved;
    const w0 = performance.now();
    if (r.output.length > 0) {
      report.bytesOut += r.output.length;
      await writeChunk(out, r.output, upload);
    }
    if (r.deadLines.length > 0) {
      const d = openDead();
      await writeChunk(d.stream, Buffer.from(`${r.deadLines.join("\n")}\n`), d.upload);
    }
    t.s3WriteMs += performance.now() - w0;
    deps.budget.give(holder, bytes);
    fold(report, r);
  };

  const window: InFlight[] = [];
  // The first chunk that fails, noticed as soon as it does (not when its turn to be written
  // comes): the file stops reading and fails with it.
  let failure: { error: unknown } | undefined;
  const emitUntil = async (most: number) => {
    while (window.length > most) await emit(window.shift() as InFlight);
  };
  // Budget: bytes taken for input not yet handed to a chunk (a chunk carries them until it is
  // written). The parser charges a chunk the lines it holds; a line still being read, or an
  // unfinished multi-line object, stays charged to the file until its record is in a chunk.
  const holder = {};
  /** Hands a parsed chunk to the resolver; it is written in its turn by `emit`. */
  const startChunk = (chunk: ParsedChunk) => {
    report.records += chunk.records;
    const resolved = deps.resolver.resolve(chunk, signal);
    resolved.then(
      (r) => session.learn(chunk.seq, r.values),
      (error: unknown) => {
        session.learn(chunk.seq, undefined);
        failure ??= { error };
      },
    );
    window.push({ resolved, bytes: chunk.bytes });
  };
  // Reads given to the parser, oldest first: their chunks are started in order.
  const parsing: Array<Promise<ParsedChunk[]>> = [];
  const startParsed = async (most: number) => {
    while (parsing.length > most) {
      for (const chunk of await (parsing.shift() as Promise<ParsedChunk[]>)) {
        startChunk(chunk);
        await emitUntil(deps.chunkWindow - 1);
      }
    }
  };
  const throwIfFailed = () => {
    if (failure) throw failure.error;
    if (signal?.aborted) throw new ShutdownError();
  };
  /** Writes out everything read so far: what a file does before it waits for budget. */
  const flush = async () => {
    await startParsed(0);
    const rest = await session.cut();
    if (rest) startChunk(rest);
    await emitUntil(0);
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
    for await (const bytes of input) {
      throwIfFailed();
      const pushed = session.push(bytes);
      pushed.catch(() => {}); // awaited in turn by startParsed; a failure must not go unhandled first
      parsing.push(pushed);
      await startParsed(PARSE_AHEAD - 1);
    }
    await startParsed(0);
    const last = await session.end();
    for (const chunk of last.chunks) startChunk(chunk);
    await emitUntil(0);
    report.blankLines = last.blankLines;
    report.distinctPairs = last.distinctPairs;
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
    session.close();
    out.destroy(e);
    dead?.stream.destroy(e);
    await Promise.allSettled([upload, dead?.upload]);
    report.status = "failed";
    report.error =
      gz && /incorrect header|invalid|unexpected end/i.test(e.message)
        ? `corrupt gzip: ${e.message}`
        : e.message;
    deps.budget.giveAll(holder);
    t.totalMs = performance.now() - t0;
    throw new FileError(info.key, report, { cause: err });
  }
  deps.budget.giveAll(holder);
  t.totalMs = performance.now() - t0;
  return report;
}
