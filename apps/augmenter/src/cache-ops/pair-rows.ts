import { isSeniority } from "@rl/cache";

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

/** Splits one CSV record (RFC 4180 quoting: `"a ""b"""`). Returns undefined when quotes do not balance. */
export function splitCsv(line: string, sep: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = "";
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q === -1) return undefined;
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(value);
      if (i === line.length) return out;
      if (line[i] !== sep) return undefined;
      i++;
    } else {
      const s = line.indexOf(sep, i);
      if (s === -1) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, s));
      i = s + 1;
    }
  }
}

function toSeniority(v: unknown): number | undefined {
  if (typeof v === "string" && v.length === 1) {
    const d = v.charCodeAt(0) - 0x30; // the common case: one digit
    return isSeniority(d) ? d : undefined;
  }
  const n = typeof v === "number" ? v : typeof v === "string" && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  return isSeniority(n) ? n : undefined;
}

/**
 * Turns lines of (company, title, seniority) rows into rows or bad rows with their line
 * number. CSV and TSV need a header naming the three columns (any order, extra columns
 * ignored); JSONL objects need the three keys.
 */
export class PairRowParser {
  private columns: { company: number; title: number; seniority: number } | undefined;

  constructor(private readonly format: RowFormat) {}

  parse(text: string, line: number): PairRow | BadRow | undefined {
    let t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    if (t.charCodeAt(t.length - 1) === 13) t = t.slice(0, -1);
    if (t === "" || (t.charCodeAt(0) <= 32 && t.trim() === "")) return undefined;
    if (this.format === "jsonl") {
      let v: unknown;
      try {
        v = JSON.parse(t);
      } catch (err) {
        return { line, reason: `invalid JSON: ${(err as Error).message}` };
      }
      if (v === null || typeof v !== "object" || Array.isArray(v))
        return { line, reason: "not a JSON object" };
      const o = v as Record<string, unknown>;
      return this.row(line, o.company, o.title, o.seniority);
    }
    const fields = splitCsv(t, this.format === "csv" ? "," : "\t");
    if (!fields) return { line, reason: "unbalanced quotes" };
    if (!this.columns) {
      const idx = (name: string) => fields.findIndex((f) => f.trim().toLowerCase() === name);
      const columns = { company: idx("company"), title: idx("title"), seniority: idx("seniority") };
      if (columns.company < 0 || columns.title < 0 || columns.seniority < 0) {
        throw new Error(
          `line ${line}: the header must name the columns company, title and seniority (got ${JSON.stringify(fields.slice(0, 10))})`,
        );
      }
      this.columns = columns;
      return undefined;
    }
    const c = this.columns;
    return this.row(line, fields[c.company], fields[c.title], fields[c.seniority]);
  }

  private row(line: number, company: unknown, title: unknown, seniority: unknown): PairRow | BadRow {
    if (typeof company !== "string" || company.trim() === "")
      return { line, reason: "company is missing or empty" };
    if (typeof title !== "string" || title.trim() === "")
      return { line, reason: "title is missing or empty" };
    const s = toSeniority(seniority);
    if (s === undefined)
      return { line, reason: `seniority ${JSON.stringify(seniority)} is not an integer from 1 to 7` };
    return { line, company, title, seniority: s };
  }
}
