import { pipeline } from "node:stream/promises";
import { parse, type CsvError } from "csv-parse";
import { columnsOf, pairRow, type BadRow, type Columns, type PairRow } from "./pair-rows";
import { RowFileError } from "./row-file-error";

/**
 * Longest record held in memory. An unclosed quote makes the rest of the file one field, so
 * the bound is what keeps a broken file from filling memory.
 */
const MAX_RECORD_BYTES = 1 << 20;
/** Rows handed on together: keeps per-row async overhead off the hot path. */
const BATCH = 4_096;
/**
 * Errors after which csv-parse cannot find the next record again (it reads on inside the
 * quote, swallowing later rows uncounted): they end the import rather than lose rows silently.
 */
const FATAL = new Set(["CSV_INVALID_CLOSING_QUOTE", "CSV_QUOTE_NOT_CLOSED", "CSV_MAX_RECORD_SIZE"]);

/** A malformed record csv-parse skipped: after its `after`-th record, at its line `parserLine`. */
interface Skipped {
  after: number;
  parserLine: number;
  reason: string;
  fatal: boolean;
}

/**
 * Line breaks inside a record's quoted fields: `newlines`, the lines it spans beyond its
 * first, and `overCount`, what csv-parse's own line counter adds on top (it counts a quoted
 * CRLF as two lines and a lone CR as one), so that a skip's line can be made real.
 */
function breaksIn(record: readonly string[]): { newlines: number; overCount: number } {
  let newlines = 0;
  let overCount = 0;
  for (const f of record) {
    for (let i = f.indexOf("\n"); i !== -1; i = f.indexOf("\n", i + 1)) newlines++;
    for (let i = f.indexOf("\r"); i !== -1; i = f.indexOf("\r", i + 1)) overCount++;
  }
  return { newlines, overCount };
}

/** A used field: U+FFFD is what csv-parse's decoding leaves of bytes that are not UTF-8. */
const garbled = (field: string | undefined) => field !== undefined && field.includes("\uFFFD");

/**
 * CSV or TSV rows (RFC 4180 quoting, so a quoted field may hold the separator, a quote or a
 * newline), streamed: the file is never held whole. The first record is the header naming
 * company, title and seniority. A malformed record is a bad row with the line it starts on,
 * unless the parser cannot resynchronise after it (see FATAL): then the import fails there.
 * Lines are counted here, not with csv-parse's per-record `info`, which costs twice the parse.
 */
export async function* csvRows(
  source: AsyncIterable<Buffer>,
  delimiter: "," | "\t",
): AsyncIterable<Array<PairRow | BadRow>> {
  // The parser runs ahead of this loop, so its skips wait here with their place among the records.
  const skipped: Skipped[] = [];
  let stopped = false;
  const parser = parse({
    delimiter,
    bom: true,
    record_delimiter: ["\r\n", "\n"],
    relax_column_count: true,
    skip_records_with_error: true,
    max_record_size: MAX_RECORD_BYTES,
    on_skip: (err: CsvError | undefined) => {
      if (!err || stopped) return undefined;
      const fatal = FATAL.has(err.code);
      // No more input after a fatal skip: the parser would read on through the rest of the
      // file inside the quote. The records before it still come, then the parser ends.
      if (fatal) stopped = true;
      skipped.push({
        after: parser.info.records,
        parserLine: Number(err.lines),
        reason: err.message.replace(/ at line \d+/, ""),
        fatal,
      });
      return undefined;
    },
  });
  const gated = async function* () {
    for await (const chunk of source) {
      if (stopped) return;
      yield chunk;
    }
  };
  // Errors of the source surface through the iteration below (the pipeline destroys the parser).
  const feeding = pipeline(gated(), parser).catch(() => {});
  let rows: Array<PairRow | BadRow> = [];
  let seen = 0;
  /** The line the next record starts on, and csv-parse's excess count of lines so far. */
  let next = 1;
  let overCounted = 0;
  const takeSkips = () => {
    while (skipped.length > 0 && (skipped[0] as Skipped).after <= seen) {
      const s = skipped.shift() as Skipped;
      const end = s.parserLine - overCounted;
      if (s.fatal)
        throw new RowFileError(
          next,
          `${s.reason}${end > next ? ` (read on to line ${end})` : ""}. A quoted field ends with a quote followed by the separator or the end of the line (a quote inside it is written twice); nothing after this record was read`,
        );
      rows.push({ line: next, reason: s.reason });
      next = end + 1;
    }
  };
  let columns: Columns | undefined;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      takeSkips();
      seen += 1;
      const line = next;
      const { newlines, overCount } = breaksIn(record);
      next += 1 + newlines;
      overCounted += overCount;
      // A line of blanks only is no row, as in JSONL.
      if (record.length === 1 && (record[0] as string).trim() === "") continue;
      if (!columns) {
        columns = columnsOf(record, line);
        continue;
      }
      const company = record[columns.company];
      const title = record[columns.title];
      const seniority = record[columns.seniority];
      if (garbled(company) || garbled(title) || garbled(seniority))
        rows.push({ line, reason: "invalid UTF-8 (or a U+FFFD replacement character)" });
      else rows.push(pairRow(line, company, title, seniority));
      if (rows.length >= BATCH) {
        yield rows;
        rows = [];
      }
    }
    takeSkips();
    if (rows.length > 0) yield rows;
  } finally {
    parser.destroy();
    await feeding;
  }
}
