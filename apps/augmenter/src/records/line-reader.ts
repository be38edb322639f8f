import { isAscii, isUtf8 } from "node:buffer";

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
 * Splits a byte stream into lines on `\n`, yielding them in batches (one per input chunk) to
 * keep per-line async overhead off the hot path. A line is held whole in memory up to
 * `maxLineBytes`; beyond that only its head is kept and its length counted, so memory stays
 * bounded whatever the input.
 */
export async function* readLines(
  source: AsyncIterable<Buffer>,
  maxLineBytes: number,
): AsyncGenerator<RawLine[]> {
  let parts: Buffer[] = [];
  let partsLen = 0;
  let overflow = 0;
  let no = 0;

  const make = (buf: Buffer): RawLine => {
    no += 1;
    if (overflow > 0) {
      const line = { no, bytes: buf, overflowBytes: overflow, size: overflow + 1 };
      overflow = 0;
      return line;
    }
    const size = buf.length + 1;
    return isUtf8(buf) ? { no, text: buf.toString("utf8"), size } : { no, bytes: buf, size };
  };
  const take = (tail: Buffer): Buffer => {
    if (parts.length === 0) return tail;
    const room = Math.max(0, maxLineBytes - partsLen);
    if (overflow > 0) overflow += tail.length;
    else if (tail.length > room) overflow = partsLen + tail.length;
    const buf = Buffer.concat([...parts, tail.subarray(0, room)]);
    parts = [];
    partsLen = 0;
    return buf;
  };
  const hold = (piece: Buffer) => {
    if (overflow > 0) {
      overflow += piece.length;
      return;
    }
    if (partsLen + piece.length > maxLineBytes) {
      const room = maxLineBytes - partsLen;
      parts.push(Buffer.from(piece.subarray(0, room)));
      overflow = partsLen + piece.length;
      partsLen = maxLineBytes;
      return;
    }
    // Copy: the source may reuse its chunk buffers.
    parts.push(Buffer.from(piece));
    partsLen += piece.length;
  };

  for await (const chunk of source) {
    const out: RawLine[] = [];
    // An ASCII chunk (most input) is decoded once, and its lines are slices of that string:
    // no per-line decode, and bytes are characters, so sizes come from the offsets.
    const ascii = isAscii(chunk) ? chunk.toString("latin1") : undefined;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) {
        if (start < chunk.length) hold(chunk.subarray(start));
        break;
      }
      if (ascii !== undefined && parts.length === 0 && overflow === 0 && nl - start <= maxLineBytes) {
        out.push({ no: ++no, text: ascii.slice(start, nl), size: nl - start + 1 });
        start = nl + 1;
        continue;
      }
      const piece = chunk.subarray(start, nl);
      if (parts.length === 0 && overflow === 0 && piece.length > maxLineBytes) {
        overflow = piece.length;
        out.push(make(Buffer.from(piece.subarray(0, maxLineBytes))));
      } else out.push(make(take(piece)));
      start = nl + 1;
    }
    if (out.length > 0) yield out;
  }
  if (parts.length > 0 || overflow > 0) yield [make(take(Buffer.alloc(0)))];
}
