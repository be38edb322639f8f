import { toPair, type Pair, type PairRules, type UnusableReason } from "@rl/cache/pair";
import { removeTopLevelKey } from "./json-text";
import type { ParsedRecord } from "./record-assembler";

export type PostingVerdict =
  /** An object: `pair` is its normalised pair, or why company/title make none (seniority null). */
  { ok: true; text: string; pair: Pair | UnusableReason; empty: boolean } | { ok: false; reason: string };

function describe(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : `a ${typeof v}`;
}

/** True when `obj` has a key of its own: `Object.keys` would build an array per record to say so. */
function hasOwnKey(obj: object): boolean {
  for (const k in obj) if (Object.hasOwn(obj, k)) return true;
  return false;
}

/**
 * Decides what a parsed record becomes. The text to splice is the record's own text, except
 * when it already has a `seniority` key (removed, so the new one is last and single).
 */
export function inspectPosting(rec: ParsedRecord, rules: PairRules): PostingVerdict {
  const v = rec.value;
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    return { ok: false, reason: `not a JSON object (got ${describe(v)})` };
  }
  const obj = v as Record<string, unknown>;
  let text = rec.text;
  let empty = !hasOwnKey(obj);
  if (Object.hasOwn(obj, "seniority")) {
    text = removeTopLevelKey(text, "seniority");
    empty = Object.keys(obj).length === 1;
  }
  const company = Object.hasOwn(obj, "company") ? obj.company : undefined;
  const title = Object.hasOwn(obj, "title") ? obj.title : undefined;
  return { ok: true, text, pair: toPair(company, title, rules), empty };
}

/** The design's splice: `,"seniority":N` before the closing brace (no comma for `{}`). */
export function spliceSeniority(text: string, seniority: number | null, empty: boolean): string {
  const close = text.lastIndexOf("}");
  const field = `"seniority":${seniority === null ? "null" : seniority}`;
  return `${text.slice(0, close)}${empty ? "" : ","}${field}${text.slice(close)}`;
}
