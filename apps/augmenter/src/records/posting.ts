import { normaliseText, pairText, type NormaliseLevel } from "@rl/cache";
import { removeTopLevelKey } from "./json-text";
import type { ParsedRecord } from "./record-assembler";

export type PostingVerdict =
  /** An object: `pair` is its normalised pair text, or null when company/title are not usable. */
  { ok: true; text: string; pair: string | null; empty: boolean } | { ok: false; reason: string };

function describe(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : `a ${typeof v}`;
}

/**
 * Decides what a parsed record becomes. The text to splice is the record's own text, except
 * when it already has a `seniority` key (removed, so the new one is last and single).
 */
export function inspectPosting(rec: ParsedRecord, level: NormaliseLevel): PostingVerdict {
  const v = rec.value;
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    return { ok: false, reason: `not a JSON object (got ${describe(v)})` };
  }
  const obj = v as Record<string, unknown>;
  let text = rec.text;
  let empty = Object.keys(obj).length === 0;
  if (Object.hasOwn(obj, "seniority")) {
    text = removeTopLevelKey(text, "seniority");
    empty = Object.keys(obj).length === 1;
  }
  const company = Object.hasOwn(obj, "company") ? obj.company : undefined;
  const title = Object.hasOwn(obj, "title") ? obj.title : undefined;
  if (typeof company !== "string" || typeof title !== "string") return { ok: true, text, pair: null, empty };
  const c = normaliseText(company, level);
  const t = normaliseText(title, level);
  if (c === "" || t === "") return { ok: true, text, pair: null, empty };
  return { ok: true, text, pair: pairText(c, t), empty };
}

/** The design's splice: `,"seniority":N` before the closing brace (no comma for `{}`). */
export function spliceSeniority(text: string, seniority: number | null, empty: boolean): string {
  const close = text.lastIndexOf("}");
  const field = `"seniority":${seniority === null ? "null" : seniority}`;
  return `${text.slice(0, close)}${empty ? "" : ","}${field}${text.slice(close)}`;
}
