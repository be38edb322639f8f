import type { RawLine } from "./line-reader";
import { compactJson, scanLine, type ScanState } from "./json-text";

/** A complete JSON value from one line, or from several lines of one pretty-printed object. */
export interface ParsedRecord {
  kind: "record";
  /** First physical line of the record. */
  line: number;
  /** The record's text: the line's exact bytes (trailing white space dropped), or, for a multi-line object, its compacted text. */
  text: string;
  value: unknown;
  multiLine: boolean;
}

/** A record that is not written to the output: it goes to the dead-letter object. */
export interface DeadLetter {
  kind: "dead";
  line: number;
  /** Physical lines it covered, when more than one. */
  lines?: number;
  reason: string;
  /** The input text, or base64 of the bytes when they are not UTF-8. */
  raw?: string;
  rawBase64?: string;
  /** The line was cut at the limit; this is its full length in bytes. */
  truncatedFrom?: number;
}

export type AssembledRecord = ParsedRecord | DeadLetter;

export interface AssemblerLimits {
  /** Most physical lines one pretty-printed object may span. @default 10_000 */
  maxRecordLines: number;
  /** Most bytes one record may have. @default 32 MiB */
  maxRecordBytes: number;
}

const BOM = 0xfeff;

/** Drops JSON white space and `\r` at the end: the design keeps every other byte. */
function trimEnd(s: string): string {
  let e = s.length;
  while (e > 0) {
    const c = s.charCodeAt(e - 1);
    if (c === 32 || c === 9 || c === 13) e--;
    else break;
  }
  return e === s.length ? s : s.slice(0, e);
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

function parse(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/**
 * Turns physical lines into records. A line that does not parse on its own but opens an
 * object starts a multi-line record, which runs until its braces balance, bounded by the
 * limits. A line that ends inside a string is malformed at once (JSON strings cannot span
 * lines), and an unindented line that parses alone as an object ends a runaway record, so
 * one truncated line cannot swallow the good lines after it.
 */
export class RecordAssembler {
  private group: string[] = [];
  private groupStart = 0;
  private groupBytes = 0;
  private readonly state: ScanState = { depth: 0, inString: false };
  blankLines = 0;

  constructor(private readonly limits: AssemblerLimits) {}

  /** Characters of an unfinished multi-line object held for the next record (0 when none). */
  get heldChars(): number {
    return this.group.length > 0 ? this.groupBytes : 0;
  }

  push(line: RawLine, out: AssembledRecord[]): void {
    if (line.text === undefined) {
      this.flushGroup("object not closed before an unreadable line", out);
      const bytes = line.bytes ?? Buffer.alloc(0);
      out.push({
        kind: "dead",
        line: line.no,
        reason:
          line.overflowBytes !== undefined
            ? `line of ${line.overflowBytes} bytes exceeds the ${this.limits.maxRecordBytes}-byte limit`
            : "invalid UTF-8",
        ...(line.overflowBytes !== undefined
          ? { raw: bytes.toString("utf8"), truncatedFrom: line.overflowBytes }
          : { rawBase64: bytes.toString("base64") }),
      });
      return;
    }
    let text = line.text;
    if (text.charCodeAt(0) === BOM) text = text.slice(1);
    text = trimEnd(text);

    if (this.group.length > 0) {
      if (this.startsFreshObject(text)) {
        this.flushGroup("object not closed before the next object", out);
      } else {
        this.group.push(text);
        this.groupBytes += text.length + 1;
        scanLine(text, this.state);
        if (this.state.inString) return this.flushGroup("string not closed at the end of a line", out);
        if (this.state.depth <= 0) return this.finishGroup(out);
        if (this.group.length >= this.limits.maxRecordLines || this.groupBytes > this.limits.maxRecordBytes) {
          return this.flushGroup(
            `object spans more than ${this.limits.maxRecordLines} lines or ${this.limits.maxRecordBytes} bytes`,
            out,
          );
        }
        return;
      }
    }

    if (isBlank(text)) {
      this.blankLines += 1;
      return;
    }
    // Parsed here rather than through parse(): one result object fewer per line on the hot path.
    let error: string;
    try {
      out.push({ kind: "record", line: line.no, text, value: JSON.parse(text), multiLine: false });
      return;
    } catch (err) {
      error = (err as Error).message;
    }
    if (text.trimStart().startsWith("{")) {
      this.state.depth = 0;
      this.state.inString = false;
      scanLine(text, this.state);
      if (!this.state.inString && this.state.depth > 0) {
        this.group = [text];
        this.groupStart = line.no;
        this.groupBytes = text.length;
        return;
      }
    }
    out.push({ kind: "dead", line: line.no, reason: `invalid JSON: ${error}`, raw: text });
  }

  /** Call at the end of the input. */
  end(out: AssembledRecord[]): void {
    this.flushGroup("object not closed at the end of the file", out);
  }

  private startsFreshObject(text: string): boolean {
    if (text.charCodeAt(0) !== 123) return false; // indented lines belong to the open object
    const p = parse(text);
    return p.ok && p.value !== null && typeof p.value === "object" && !Array.isArray(p.value);
  }

  private finishGroup(out: AssembledRecord[]): void {
    const joined = this.group.join("\n");
    const p = parse(joined);
    if (p.ok) {
      out.push({
        kind: "record",
        line: this.groupStart,
        text: compactJson(joined),
        value: p.value,
        multiLine: true,
      });
    } else {
      out.push({
        kind: "dead",
        line: this.groupStart,
        lines: this.group.length,
        reason: `invalid JSON: ${p.error}`,
        raw: joined,
      });
    }
    this.group = [];
  }

  private flushGroup(reason: string, out: AssembledRecord[]): void {
    if (this.group.length === 0) return;
    out.push({
      kind: "dead",
      line: this.groupStart,
      lines: this.group.length,
      reason,
      raw: this.group.join("\n"),
    });
    this.group = [];
  }
}
