import { isSeniority } from "@rl/cache";
import { RowFileError } from "./row-file-error";

export type RowFormat = "jsonl" | "csv" | "tsv";
export const ROW_FORMATS: readonly RowFormat[] = ["jsonl", "csv", "tsv"];

export interface PairRow {
  line: number;
  company: string;
  title: string;
  seniority: number;
}

export interface BadRow {
  line: number;
  reason: string;
}

/** The format a file name implies (`.jsonl`, `.csv`, `.tsv`, each optionally `.gz`). */
export function formatOf(name: string): RowFormat | undefined {
  const m = /\.(jsonl|ndjson|csv|tsv)(\.gz)?$/i.exec(name);
  if (!m) return undefined;
  const ext = (m[1] ?? "").toLowerCase();
  return ext === "ndjson" ? "jsonl" : (ext as RowFormat);
}

function toSeniority(v: unknown): number | undefined {
  if (typeof v === "string" && v.length === 1) {
    const d = v.charCodeAt(0) - 0x30; // the common case: one digit
    return isSeniority(d) ? d : undefined;
  }
  const n = typeof v === "number" ? v : typeof v === "string" && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  return isSeniority(n) ? n : undefined;
}

/** A row from its three fields, or why it is bad. */
export function pairRow(
  line: number,
  company: unknown,
  title: unknown,
  seniority: unknown,
): PairRow | BadRow {
  if (typeof company !== "string" || company.trim() === "")
    return { line, reason: "company is missing or empty" };
  if (typeof title !== "string" || title.trim() === "") return { line, reason: "title is missing or empty" };
  const s = toSeniority(seniority);
  if (s === undefined)
    return { line, reason: `seniority ${JSON.stringify(seniority)} is not an integer from 1 to 7` };
  return { line, company, title, seniority: s };
}

/** One JSONL line as a row; undefined for a blank line. */
export function jsonlRow(text: string, line: number): PairRow | BadRow | undefined {
  let t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (t.charCodeAt(t.length - 1) === 13) t = t.slice(0, -1);
  if (t === "" || (t.charCodeAt(0) <= 32 && t.trim() === "")) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch (err) {
    return { line, reason: `invalid JSON: ${(err as Error).message}` };
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) return { line, reason: "not a JSON object" };
  const o = v as Record<string, unknown>;
  return pairRow(line, o.company, o.title, o.seniority);
}

/** Where a CSV or TSV header puts the three columns (any order, extra columns ignored). */
export interface Columns {
  company: number;
  title: number;
  seniority: number;
}

/** The columns a header names; throws naming the line when one of the three is missing. */
export function columnsOf(fields: readonly string[], line: number): Columns {
  const idx = (name: string) => fields.findIndex((f) => f.trim().toLowerCase() === name);
  const columns = { company: idx("company"), title: idx("title"), seniority: idx("seniority") };
  if (columns.company < 0 || columns.title < 0 || columns.seniority < 0)
    throw new RowFileError(
      line,
      `the header must name the columns company, title and seniority (got ${JSON.stringify(fields.slice(0, 10))})`,
    );
  return columns;
}
