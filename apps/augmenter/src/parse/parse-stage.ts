import { FileParser } from "./file-parser";
import type { ParseOptions, ParsedChunk, ParsedEnd } from "./parsed-chunk";

/** The parse stage of one file, wherever it runs. Calls are answered in the order they are made. */
export interface ParseSession {
  /**
   * The chunks the file's next bytes complete. With `movable`, a buffer that spans its whole
   * ArrayBuffer is moved to the parse thread (detached here) rather than copied: pass it only
   * for bytes nothing else reads again (see `handsOverChunks` in @rl/s3).
   */
  push(bytes: Buffer, movable?: boolean): Promise<ParsedChunk[]>;
  /** What has been read so far as a chunk (before a wait for budget), if anything. */
  cut(): Promise<ParsedChunk | undefined>;
  /** The last chunks and the file's counts; the session is over. */
  end(): Promise<ParsedEnd>;
  /**
   * The answers of a chunk's `pairs`, by position, once resolved (or nothing when it failed):
   * a parse thread keeps them to splice those pairs itself next time.
   */
  learn(seq: number, values: Uint8Array | undefined): void;
  /** Drops the file's state without an answer (a failed file). */
  close(): void;
}

/** Where files are parsed: on this thread, or in parse workers ({@link ParseWorkers}). */
export interface ParseStage {
  open(file: string): ParseSession;
  /** Gets its threads, if any, ready before the first file needs them. */
  start(): void;
  /** Stops its threads, if any; sessions still open fail. */
  close(): Promise<void>;
}

/** Parses on the calling thread: `--parse-threads 0`, and the unit tests' stage. */
export class InlineParseStage implements ParseStage {
  constructor(private readonly options: ParseOptions) {}

  open(file: string): ParseSession {
    // Dropped at the end: a file waiting on the model keeps its session, not the parser's buffers.
    let parser: FileParser | undefined = new FileParser(file, this.options);
    const now = <T>(f: (p: FileParser) => T): Promise<T> => {
      try {
        if (!parser) throw new Error(`${file}: the parse session is over (internal error)`);
        return Promise.resolve(f(parser));
      } catch (err) {
        return Promise.reject(err as Error);
      }
    };
    return {
      push: (bytes) => now((p) => p.push(bytes)),
      cut: () => now((p) => p.cut()),
      end: () =>
        now((p) => {
          parser = undefined;
          return p.end();
        }),
      // The main thread's L1 already holds what was resolved: no copy to keep.
      learn: () => {},
      close: () => {
        parser = undefined;
      },
    };
  }

  start(): void {}

  async close(): Promise<void> {}
}
