import type { DeadLetter } from "./record-assembler";

/** One line of a dead-letter object: where the record was in `file`, why, and its raw text. */
export function deadLetterLine(file: string, d: DeadLetter): string {
  return JSON.stringify({
    file,
    line: d.line,
    ...(d.lines ? { lines: d.lines } : {}),
    reason: d.reason,
    ...(d.raw !== undefined ? { raw: d.raw } : {}),
    ...(d.rawBase64 !== undefined ? { rawBase64: d.rawBase64 } : {}),
    ...(d.truncatedFrom !== undefined ? { truncatedFrom: d.truncatedFrom } : {}),
  });
}
