import { spliceSeniority } from "./posting";

/** `,"seniority":N}\n` for N = 1..7 (index N) and null (index 0), and the same without the comma. */
const suffix = (n: number, comma: boolean) =>
  Buffer.from(`${comma ? "," : ""}"seniority":${n === 0 ? "null" : n}}\n`, "latin1");
const WITH_COMMA = Array.from({ length: 8 }, (_, n) => suffix(n, true));
const NO_COMMA = Array.from({ length: 8 }, (_, n) => suffix(n, false));
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

  /** `expectedBytes`: what the lines will take if their text is ASCII (it grows if not). */
  constructor(expectedBytes: number) {
    this.buf = Buffer.allocUnsafe(Math.max(64, expectedBytes));
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

  /** The lines written so far (a view of the buffer, not a copy). */
  bytes(): Buffer {
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
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + need + extra));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }
}
