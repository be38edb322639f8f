import { readLines } from "../records/line-reader";
import { jsonlRow, type BadRow, type PairRow } from "./pair-rows";

/** Longest line read whole; a longer one is a bad row, and memory stays bounded. */
const MAX_LINE_BYTES = 1 << 20;

/** JSONL rows, one batch per input chunk; bad lines come as bad rows with their line numbers. */
export async function* jsonlRows(source: AsyncIterable<Buffer>): AsyncIterable<Array<PairRow | BadRow>> {
  for await (const lines of readLines(source, MAX_LINE_BYTES)) {
    const rows: Array<PairRow | BadRow> = [];
    for (const l of lines) {
      if (l.text === undefined)
        rows.push({ line: l.no, reason: l.overflowBytes ? "line too long" : "invalid UTF-8" });
      else {
        const row = jsonlRow(l.text, l.no);
        if (row) rows.push(row);
      }
    }
    yield rows;
  }
}
