import { freeArrayBuffer } from "@rl/cli";
import { spliceSeniority } from "./posting";

/** `,"seniority":N}\n` for N = 1..7 (index N) and null (index 0), and the same without the comma. */
const suffix = (n: number, comma: boolean) =>
  Buffer.from(`${comma ? "," : ""}"seniority":${n === 0 ? "null" : n}}\n`, "latin1");
const WITH_COMMA = Array.from({ length: 8 }, (_, n) => suffix(n, true));
const NO_COMMA = Array.from({ length: 8 }, (_, n) => suffix(n, false));
/** The splice with a `0` where a seniority still to be resolved goes (see {@link SplicedOutput.addPending}). */
const PENDING = [true, false].map((comma) => Buffer.from(`${comma ? "," : ""}"seniority":0}\n`, "latin1"));
/** Where that digit is, counted back from the end of the line. */
const DIGIT_FROM_END = 3;
const CLOSE = 125; // "}"

/**
 * A chunk's output lines written straight into one Buffer, each record's text with the
 * seniority spliced in (design.md §2.2). Why not a string built with `+=`: that string is a
 * rope of three pieces per line, flattened and then encoded again as a whole when it is
 * written; here each line's text is encoded once, and the splice is a copy of a few bytes.
 */
export class SplicedOutput {
  private buf: Buffer;
  private at = 0;
  /** Set once {@link bytes} has given out a view: the buffer is then never freed here. */
  private viewed = false;

  /** `expectedBytes`: what the lines will take if their text is ASCII (it grows if not). */
  constructor(expectedBytes: number) {
    // Never from Node's shared pool: the buffer may be transferred to another thread whole.
    this.buf = Buffer.allocUnsafeSlow(Math.max(64, expectedBytes));
  }

  /** The bytes one line of `text` takes at most besides its own: the splice and the newline. */
  static readonly LINE_OVERHEAD = WITH_COMMA[0]!.length;

  /** Adds `text` with `"seniority":seniority` before its closing brace (no comma when `empty`). */
  add(text: string, seniority: number | null, empty: boolean): void {
    const n = seniority ?? 0;
    if (text.charCodeAt(text.length - 1) !== CLOSE || !(n >= 0 && n <= 7)) {
      // Not the shape every record has (an object's text, white space trimmed): the string splice.
      this.write(`${spliceSeniority(text, seniority, empty)}\n`);
      return;
    }
    const tail = (empty ? NO_COMMA : WITH_COMMA)[n] as Buffer;
    this.room(text, tail.length);
    // The closing brace is one byte: written with the text, then overwritten by the splice.
    this.at += this.buf.write(text, this.at, "utf8") - 1;
    this.buf.set(tail, this.at);
    this.at += tail.length;
  }

  /**
   * Adds `text` with `"seniority":0` before its closing brace, and returns the offset of that
   * `0`: the caller writes the digit there once the pair is resolved (every seniority is one
   * digit, 1..7). Lets one thread splice while another resolves.
   */
  addPending(text: string, empty: boolean): number {
    // An object's text, white space trimmed, always ends with its brace (the assembler's work).
    if (text.charCodeAt(text.length - 1) !== CLOSE)
      throw new Error("a record's text does not end with its closing brace (internal error)");
    const tail = PENDING[empty ? 1 : 0] as Buffer;
    this.room(text, tail.length);
    this.at += this.buf.write(text, this.at, "utf8") - 1;
    this.buf.set(tail, this.at);
    this.at += tail.length;
    return this.at - DIGIT_FROM_END;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.at;
  }

  /** The lines written so far (a view of the buffer, not a copy). */
  bytes(): Buffer {
    this.viewed = true;
    return this.buf.subarray(0, this.at);
  }

  private write(text: string): void {
    this.room(text, 0);
    this.at += this.buf.write(text, this.at, "utf8");
  }

  /** Makes sure `text` as UTF-8 and `extra` bytes fit, growing the buffer when they may not. */
  private room(text: string, extra: number): void {
    const free = this.buf.length - this.at - extra;
    // A UTF-16 unit is at most 3 UTF-8 bytes: count the bytes only when that bound does not fit.
    if (text.length * 3 <= free) return;
    const need = Buffer.byteLength(text, "utf8");
    if (need <= free) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.at + need + extra));
    this.buf.copy(grown, 0, 0, this.at);
    // Freed now: the outgrown buffer has lived as long as the chunk, past two young collections,
    // and would wait for a full one (with big lines, 40-80 MiB in a parse thread at its peak).
    if (!this.viewed) freeArrayBuffer(this.buf.buffer as ArrayBuffer);
    this.buf = grown;
  }
}
