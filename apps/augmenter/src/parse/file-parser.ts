import type { UnusableReason } from "@rl/cache/pair";
import { deadLetterLine } from "../records/dead-letter-line";
import { LineSplitter, type RawLine } from "../records/line-reader";
import { inspectPosting } from "../records/posting";
import { RecordAssembler, type AssembledRecord } from "../records/record-assembler";
import { SplicedOutput } from "../records/spliced-output";
import { DistinctCounter } from "./distinct-counter";
import type { KnownAnswers } from "./known-answers";
import type { ParseOptions, ParsedChunk, ParsedEnd } from "./parsed-chunk";

/** The chunk being filled. */
class ChunkBuilder {
  readonly output: SplicedOutput;
  readonly pairs: string[] = [];
  /** Pair text → its index in `pairs`, or minus its seniority when the thread knew it. */
  readonly pairIndex = new Map<string, number>();
  knownHits = 0;
  slots: Int32Array;
  slotCount = 0;
  readonly deadLines: string[] = [];
  records = 0;
  outputLines = 0;
  readonly nullSeniority = new Map<UnusableReason, number>();

  constructor(outputBytes: number, records: number) {
    this.output = new SplicedOutput(outputBytes);
    this.slots = new Int32Array(2 * Math.max(16, records));
  }

  addSlot(digitAt: number, pair: number): void {
    if (this.slotCount + 2 > this.slots.length) {
      const grown = new Int32Array(this.slots.length * 2);
      grown.set(this.slots);
      this.slots = grown;
    }
    this.slots[this.slotCount++] = digitAt;
    this.slots[this.slotCount++] = pair;
  }
}

/**
 * The parse stage of one file, fed its bytes in order: splits lines, assembles records,
 * decides each one's fate (design.md §2.2) and writes its output line with the seniority still
 * to come. Synchronous and self-contained (no I/O, no cache), so it runs on the main thread or
 * in a parse worker alike; the per-file state (a line cut between two chunks, an open
 * pretty-printed object, the distinct-pair count) lives here between calls.
 */
export class FileParser {
  private readonly splitter: LineSplitter;
  private readonly assembler: RecordAssembler;
  private readonly assembled: AssembledRecord[] = [];
  private readonly distinct: DistinctCounter;
  private chunk: ChunkBuilder;
  /** Bytes of the lines handed to the assembler since the last chunk was cut. */
  private consumed = 0;
  /** Output bytes the next chunk is sized for: the last chunk's, so it seldom grows. */
  private outputHint = 64 * 1024;

  constructor(
    private readonly file: string,
    private readonly o: ParseOptions,
    private readonly known?: KnownAnswers,
    /** The file's session on its thread, for {@link KnownAnswers.forget}. */
    private readonly session = 0,
  ) {
    this.splitter = new LineSplitter(o.limits.maxRecordBytes);
    this.distinct = new DistinctCounter(o.maxDistinctTracked);
    this.assembler = new RecordAssembler(o.limits);
    this.chunk = this.newChunk();
  }

  /** The chunks `bytes` (the file's next bytes) complete. */
  push(bytes: Uint8Array): ParsedChunk[] {
    const done: ParsedChunk[] = [];
    this.feed(this.splitter.push(bytes), done);
    return done;
  }

  /**
   * What has been read so far as a chunk, cut now (before a wait for budget), or nothing when
   * no record and no byte could be given back.
   */
  cut(): ParsedChunk | undefined {
    const held = Math.min(this.consumed, this.assembler.heldChars);
    if (this.chunk.records === 0 && this.consumed - held === 0) return undefined;
    const c = this.chunk;
    const output = c.output.bytes();
    // Capped: after a chunk holding a 30 MB line, the next one should not reserve 33 MB. (At
    // 4 MiB, a chunk of 2,000 postings of 2.2 KB grew to 8 MiB every time.)
    if (this.outputHint > 0)
      this.outputHint = Math.min(8 << 20, Math.max(4096, Math.ceil(output.length * 1.1)));
    this.chunk = this.newChunk();
    const bytes = this.consumed - held;
    this.consumed = held;
    return {
      output,
      pairs: c.pairs,
      knownHits: c.knownHits,
      seq: this.known ? this.known.await(c.pairs, this.session) : 0,
      slots: c.slots.slice(0, c.slotCount),
      deadLines: c.deadLines,
      records: c.records,
      outputLines: c.outputLines,
      nullSeniority: [...c.nullSeniority],
      bytes,
    };
  }

  /** The file's last chunks, after its last byte. */
  end(): ParsedEnd {
    const chunks: ParsedChunk[] = [];
    this.feed(this.splitter.end(), chunks);
    this.assembler.end(this.assembled);
    this.addAssembled(chunks);
    this.outputHint = 0; // the builder cut() leaves behind takes no room: nothing follows
    const last = this.cut();
    if (last) chunks.push(last);
    const distinctPairs = this.distinct.size;
    this.distinct.dispose();
    return { chunks, blankLines: this.assembler.blankLines, distinctPairs };
  }

  /** Hands `lines` to the assembler, adding each record it completes; full chunks go to `done`. */
  private feed(lines: Iterable<RawLine>, done: ParsedChunk[]): void {
    for (const line of lines) {
      this.consumed += line.size;
      this.assembler.push(line, this.assembled);
      if (this.assembled.length > 0) this.addAssembled(done);
    }
  }

  private newChunk(): ChunkBuilder {
    return new ChunkBuilder(this.outputHint, this.o.chunkRecords);
  }

  private addAssembled(done: ParsedChunk[]): void {
    for (const rec of this.assembled) {
      this.add(rec);
      if (this.chunk.records >= this.o.chunkRecords) done.push(this.cut() as ParsedChunk);
    }
    this.assembled.length = 0;
  }

  private add(rec: AssembledRecord): void {
    const c = this.chunk;
    c.records += 1;
    if (rec.kind === "dead") {
      c.deadLines.push(deadLetterLine(this.file, rec));
      return;
    }
    const v = inspectPosting(rec, this.o.rules);
    if (!v.ok) {
      c.deadLines.push(
        deadLetterLine(this.file, { kind: "dead", line: rec.line, reason: v.reason, raw: rec.text }),
      );
      return;
    }
    c.outputLines += 1;
    if (typeof v.pair === "string") {
      c.output.add(v.text, null, v.empty);
      c.nullSeniority.set(v.pair, (c.nullSeniority.get(v.pair) ?? 0) + 1);
      return;
    }
    const key = v.pair.key;
    let i = c.pairIndex.get(key);
    if (i === undefined) {
      const answer = this.known?.get(key);
      if (answer === undefined) {
        i = c.pairs.length;
        c.pairs.push(key);
      } else {
        i = -answer;
        c.knownHits += 1;
      }
      c.pairIndex.set(key, i);
      this.distinct.add(key);
    }
    if (i < 0) c.output.add(v.text, -i, v.empty);
    else c.addSlot(c.output.addPending(v.text, v.empty), i);
  }
}
