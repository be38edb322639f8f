import type { Readable } from "node:stream";
import { PassThrough, pipeline } from "node:stream";
import { createGzip } from "node:zlib";
import type { PairRules } from "@rl/cache";
import { handingOverChunks, handsOverChunks, type ObjectInfo, type ObjectStore } from "@rl/s3";
import { deadLetterKey, sourceStamp } from "../ledger/output-ledger";
import type { ParseSession, ParseStage } from "../parse/parse-stage";
import type { ParsedChunk } from "../parse/parsed-chunk";
import type { ByteBudget } from "./byte-budget";
import { abortable } from "./abortable";
import { spliceAnswers, type ChunkAnswers, type ChunkResolver } from "./chunk-resolver";
import { FileError } from "./file-error";
import { emptyFileReport, type FileReport } from "./file-report";
import { ShutdownError } from "./shutdown-error";
import type { SpillFile, SpillRef, SpillSpace } from "./spill";
import { gunzipIf, timedChunks, writeChunk } from "./stream-io";

/** What processing a file uses, and only that. */
export interface FileProcessorDeps {
  raw: Pick<ObjectStore, "get">;
  mod: Pick<ObjectStore, "put">;
  errors: Pick<ObjectStore, "put" | "head" | "delete">;
  /** Splits, parses and splices a file's bytes into chunks (on this thread or on parse workers). */
  parse: ParseStage;
  /** Answers parsed chunks' pairs (the chunk resolver). */
  resolver: Pick<ChunkResolver, "answer">;
  /** Input bytes in flight across every file of the process (one budget, shared). */
  budget: ByteBudget;
  /** Written on every output, with the normalisation its pairs were made with. */
  modelVersion: string;
  normalise: PairRules["normalise"];
  /** Chunks of one file resolved at once (outputs still written in order). @default 8 */
  chunkWindow: number;
  /** Where chunks waiting on the model go instead of memory; none: they wait in memory. */
  spill?: SpillSpace;
}

/**
 * A file's place among the files read at once. A file whose output is all spilled gives it up
 * while it waits on the model, and takes one again to write its output.
 */
export interface FileSlot {
  release(): void;
  reacquire(signal?: AbortSignal): Promise<void>;
}

/** Reads of one file handed to its parser and not yet answered: the file's read-ahead. */
const PARSE_AHEAD = 2;

/** A chunk in the window, with the input bytes it holds of the budget until it is written. */
interface InFlight {
  chunk: ParsedChunk;
  answered: Promise<ChunkAnswers>;
  /**
   * `onModel`: some of its pairs went to the model (a wait of seconds, not an L2 round trip);
   * `settled`: `answered` settled. A separate object, so the callbacks do not keep `chunk`.
   */
  state: { settled: boolean; onModel: boolean; lookedUp: Promise<void> };
  bytes: number;
}

/** A chunk written to the file's spill: its output, its slots (4-byte aligned), its dead letters. */
interface Spilled {
  at: SpillRef;
  outputBytes: number;
  slotBytes: number;
  deadBytes: number;
  deadLetters: number;
  answered: Promise<ChunkAnswers>;
}

const pad4 = (n: number) => (n + 3) & ~3;
const PADDING = new Uint8Array(3);

/** Adds a written chunk's counts and times to the file's report. */
function fold(report: FileReport, r: ChunkAnswers, deadLetters: number): void {
  const t = report.timings;
  report.outputLines += r.counts.outputLines;
  report.deadLetters += deadLetters;
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
  slot?: FileSlot,
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

  // Opened with the first bytes written: a file that spills holds no upload while it waits.
  let output: { out: PassThrough; upload: Promise<unknown> } | undefined;
  const openOutput = () => {
    if (!output) {
      const out = new PassThrough({ highWaterMark: 1 << 20 });
      // Each chunk of output is a buffer of its own, read again by nothing once written: the
      // store may free it then (gzip's output is not: its chunks share zlib's buffers).
      const outBody: Readable = gz ? pipeline(out, createGzip(), () => {}) : handingOverChunks(out);
      const upload = deps.mod.put(info.key, outBody, {
        contentType: gz ? "application/gzip" : "application/x-ndjson",
        metadata: {
          ...sourceStamp(info.etag),
          "model-version": deps.modelVersion,
          normalise: deps.normalise,
        },
      });
      // Awaited on success and in the failure path: never left unhandled meanwhile.
      upload.catch(() => {});
      output = { out, upload };
    }
    return output;
  };
  let dead: { stream: PassThrough; upload: Promise<unknown> } | undefined;
  const openDead = () => {
    if (!dead) {
      const stream = new PassThrough({ highWaterMark: 1 << 20 });
      const p = deps.errors.put(deadLetterKey(info.key), stream, {
        contentType: "application/x-ndjson",
        metadata: sourceStamp(info.etag),
      });
      p.catch(() => {}); // as the output's upload
      dead = { stream, upload: p };
    }
    return dead;
  };

  /** Writes a chunk's spliced output and its dead letters, in the file's order. */
  const write = async (bytes: Uint8Array, deadLines: Buffer | undefined) => {
    const w0 = performance.now();
    if (bytes.length > 0) {
      report.bytesOut += bytes.length;
      const o = openOutput();
      await writeChunk(o.out, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), o.upload);
    }
    if (deadLines) {
      const d = openDead();
      await writeChunk(d.stream, deadLines, d.upload);
    }
    t.s3WriteMs += performance.now() - w0;
  };
  const deadText = (lines: string[]) => (lines.length > 0 ? Buffer.from(`${lines.join("\n")}\n`) : undefined);

  const emit = async ({ chunk, answered, bytes }: InFlight) => {
    const r = await answered;
    spliceAnswers(chunk.output, chunk.slots, r.values);
    await write(chunk.output, deadText(chunk.deadLines));
    deps.budget.give(holder, bytes);
    fold(report, r, chunk.deadLines.length);
  };

  // Once a chunk would wait on the model and nothing is written yet, the file spills: every
  // chunk from then on goes to disk, and its output is written once all are answered.
  let spill: SpillFile | undefined;
  const spilled: Spilled[] = [];
  const spillChunk = async (f: SpillFile, { chunk, answered, bytes }: InFlight) => {
    const slots = new Uint8Array(chunk.slots.buffer, chunk.slots.byteOffset, chunk.slots.byteLength);
    const padding = PADDING.subarray(0, pad4(chunk.output.length) - chunk.output.length);
    const deadLines = deadText(chunk.deadLines) ?? PADDING.subarray(0, 0);
    const at = await f.append([chunk.output, padding, slots, deadLines]);
    spilled.push({
      at,
      outputBytes: chunk.output.length,
      slotBytes: slots.length,
      deadBytes: deadLines.length,
      deadLetters: chunk.deadLines.length,
      answered,
    });
    report.spilledBytes += pad4(chunk.output.length) + slots.length + deadLines.length;
    deps.budget.give(holder, bytes);
  };
  /** Writes the spilled chunks once all are answered (the file's place given up meanwhile). */
  const writeSpilled = async (f: SpillFile) => {
    slot?.release();
    // (Each chunk's own wait is in its answers' timings, added by `fold`.)
    const all = await abortable(Promise.all(spilled.map((s) => s.answered)), signal);
    await slot?.reacquire(signal);
    for (const [i, s] of spilled.entries()) {
      throwIfFailed();
      const r = all[i] as ChunkAnswers;
      const start = pad4(s.outputBytes);
      const bytes = await f.read(s.at, start + s.slotBytes + s.deadBytes);
      const out = bytes.subarray(0, s.outputBytes);
      spliceAnswers(out, new Int32Array(bytes.buffer, bytes.byteOffset + start, s.slotBytes / 4), r.values);
      // The dead letters copied: the output's buffer is handed over to its store, which may free
      // it before the dead letters' store has read them.
      await write(out, s.deadBytes > 0 ? Buffer.from(bytes.subarray(start + s.slotBytes)) : undefined);
      fold(report, r, s.deadLetters);
    }
  };

  const window: InFlight[] = [];
  // The first chunk that fails, noticed as soon as it does (not when its turn to be written
  // comes): the file stops reading and fails with it.
  let failure: { error: unknown } | undefined;
  const emitUntil = async (most: number) => {
    while (window.length > most) {
      const head = window.shift() as InFlight;
      // Whether it waits on the model is known once L2 has answered (a round trip emit would wait for anyway).
      if (!spill && !head.state.settled && deps.spill) await head.state.lookedUp;
      const waitsOnModel = head.state.onModel && !head.state.settled;
      if (!spill && waitsOnModel && !output && !dead && deps.spill?.mayStart())
        spill = await deps.spill.open();
      if (spill) await spillChunk(spill, head);
      else await emit(head);
    }
  };
  // Budget: bytes taken for input not yet handed to a chunk (a chunk carries them until it is
  // written). The parser charges a chunk the lines it holds; a line still being read, or an
  // unfinished multi-line object, stays charged to the file until its record is in a chunk.
  const holder = {};
  /** Hands a parsed chunk to the resolver; it is written in its turn by `emit`. */
  const startChunk = (chunk: ParsedChunk) => {
    report.records += chunk.records;
    let lookedUp!: () => void;
    const state = { settled: false, onModel: false, lookedUp: new Promise<void>((r) => (lookedUp = r)) };
    const answered = deps.resolver.answer(chunk, signal, (toModel) => {
      state.onModel = toModel;
      lookedUp();
    });
    const seq = chunk.seq; // not `chunk`: a spilled chunk's bytes must not stay reachable from here
    answered.then(
      (r) => {
        state.settled = true;
        lookedUp();
        session.learn(seq, r.values);
      },
      (error: unknown) => {
        state.settled = true;
        lookedUp();
        session.learn(seq, undefined);
        failure ??= { error };
      },
    );
    window.push({ chunk, answered, state, bytes: chunk.bytes });
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
    // A local file's reads go to the parse thread as they are (no copy); gunzip's output does not.
    const movable = handsOverChunks(src) && !gz;
    for await (const bytes of input) {
      throwIfFailed();
      const pushed = session.push(bytes, movable);
      pushed.catch(() => {}); // awaited in turn by startParsed; a failure must not go unhandled first
      parsing.push(pushed);
      await startParsed(PARSE_AHEAD - 1);
    }
    await startParsed(0);
    // The file's counts only: its last chunks must not stay reachable while it waits.
    const { blankLines, distinctPairs } = await session.end().then((last) => {
      for (const chunk of last.chunks) startChunk(chunk);
      return { blankLines: last.blankLines, distinctPairs: last.distinctPairs };
    });
    await emitUntil(0);
    if (spill) {
      // Everything read is on disk: nothing of the input is held while the answers come.
      deps.budget.giveAll(holder);
      await writeSpilled(spill);
    }
    report.blankLines = blankLines;
    report.distinctPairs = distinctPairs;
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
    const o = openOutput(); // an input with no records still gets its (empty) output
    o.out.end();
    await o.upload;
    t.s3WriteMs += performance.now() - w0;
  } catch (err) {
    // Destroying the bodies makes both uploads fail and abort: no partial object appears.
    const e = err as Error;
    session.close();
    output?.out.destroy(e);
    dead?.stream.destroy(e);
    spill?.close();
    await Promise.allSettled([output?.upload, dead?.upload]);
    report.status = "failed";
    report.error =
      gz && /incorrect header|invalid|unexpected end/i.test(e.message)
        ? `corrupt gzip: ${e.message}`
        : e.message;
    deps.budget.giveAll(holder);
    t.totalMs = performance.now() - t0;
    throw new FileError(info.key, report, { cause: err });
  }
  spill?.close();
  deps.budget.giveAll(holder);
  t.totalMs = performance.now() - t0;
  return report;
}
