import { isAscii, isUtf8 } from "node:buffer";

/**
 * Characters of an ASCII chunk decoded into one string, whose slices are its lines. Under V8's
 * large-object size (128 KiB), so a spent window dies young, in the scavenger's space: decoded
 * whole, a 256 KiB read was a large object that only a full collection frees, and a parse
 * thread held 15-17 MiB of spent ones at its peak.
 */
const DECODE_WINDOW = 64 * 1024;

/** One physical line: its text, or its bytes when they are not valid UTF-8. */
export interface RawLine {
  /** 1-based line number in the (decompressed) file. */
  no: number;
  text?: string;
  bytes?: Buffer;
  /** Set when the line was longer than the limit: `bytes` holds its first `maxLineBytes`. */
  overflowBytes?: number;
  /** Bytes the line took in the input, its newline included. */
  size: number;
}

/**
 * Splits bytes into lines on `\n`, fed chunk by chunk (push-based, so a parse worker can hold
 * one per file between messages). A line is held whole in memory up to `maxLineBytes`; beyond
 * that only its head is kept and its length counted, so memory stays bounded whatever the input.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private partsLen = 0;
  private overflow = 0;
  private no = 0;

  constructor(private readonly maxLineBytes: number) {}

  /** Bytes of the unfinished last line held for the next chunk (up to the limit). */
  get heldBytes(): number {
    return this.partsLen;
  }

  /** The lines `chunk` completes. The chunk is not kept: what is held of it is copied. */
  push(chunk: Uint8Array): RawLine[] {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const out: RawLine[] = [];
    // An ASCII chunk (most input) is decoded a window at a time, and its lines are slices of
    // that string: no per-line decode, and bytes are characters, so sizes come from the offsets.
    const ascii = isAscii(buf);
    let window = "";
    let windowStart = 0;
    let windowEnd = -1;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl === -1) {
        if (start < buf.length) this.hold(buf.subarray(start));
        break;
      }
      if (ascii && this.parts.length === 0 && this.overflow === 0 && nl - start <= this.maxLineBytes) {
        if (nl > windowEnd) {
          windowStart = start;
          windowEnd = Math.max(nl, Math.min(buf.length, start + DECODE_WINDOW));
          window = buf.toString("latin1", windowStart, windowEnd);
        }
        out.push({
          no: ++this.no,
          text: window.slice(start - windowStart, nl - windowStart),
          size: nl - start + 1,
        });
        start = nl + 1;
        continue;
      }
      const piece = buf.subarray(start, nl);
      if (this.parts.length === 0 && this.overflow === 0 && piece.length > this.maxLineBytes) {
        this.overflow = piece.length;
        out.push(this.make(Buffer.from(piece.subarray(0, this.maxLineBytes))));
      } else out.push(this.make(this.take(piece)));
      start = nl + 1;
    }
    return out;
  }

  /** The last line, when the input does not end with a newline. */
  end(): RawLine[] {
    if (this.parts.length === 0 && this.overflow === 0) return [];
    const last = this.make(this.take(Buffer.alloc(0)));
    last.size -= 1; // no newline after it
    return [last];
  }

  private make(buf: Buffer): RawLine {
    this.no += 1;
    const no = this.no;
    if (this.overflow > 0) {
      const line = { no, bytes: buf, overflowBytes: this.overflow, size: this.overflow + 1 };
      this.overflow = 0;
      return line;
    }
    const size = buf.length + 1;
    return isUtf8(buf) ? { no, text: buf.toString("utf8"), size } : { no, bytes: buf, size };
  }

  private take(tail: Buffer): Buffer {
    if (this.parts.length === 0) return tail;
    const room = Math.max(0, this.maxLineBytes - this.partsLen);
    if (this.overflow > 0) this.overflow += tail.length;
    else if (tail.length > room) this.overflow = this.partsLen + tail.length;
    const buf = Buffer.concat([...this.parts, tail.subarray(0, room)]);
    this.parts = [];
    this.partsLen = 0;
    return buf;
  }

  private hold(piece: Buffer): void {
    if (this.overflow > 0) {
      this.overflow += piece.length;
      return;
    }
    if (this.partsLen + piece.length > this.maxLineBytes) {
      const room = this.maxLineBytes - this.partsLen;
      this.parts.push(Buffer.from(piece.subarray(0, room)));
      this.overflow = this.partsLen + piece.length;
      this.partsLen = this.maxLineBytes;
      return;
    }
    // Copy: the source may reuse its chunk buffers.
    this.parts.push(Buffer.from(piece));
    this.partsLen += piece.length;
  }
}

/** The lines of a byte stream, in batches (one per input chunk) to keep per-line async overhead off the hot path. */
export async function* readLines(
  source: AsyncIterable<Buffer>,
  maxLineBytes: number,
): AsyncGenerator<RawLine[]> {
  const splitter = new LineSplitter(maxLineBytes);
  for await (const chunk of source) {
    const out = splitter.push(chunk);
    if (out.length > 0) yield out;
  }
  const last = splitter.end();
  if (last.length > 0) yield last;
}
