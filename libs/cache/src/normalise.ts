/**
 * Every level first makes the text well-formed Unicode: a lone UTF-16 surrogate (which JSON's
 * `\ud800` escapes can produce) becomes U+FFFD, as `String.prototype.toWellFormed` does. So the
 * text that is hashed, the text sent to the model (proto3 strings must be valid UTF-8) and the
 * text in the cache are one text, at every level.
 *
 * How much two spellings of a pair are treated as the same pair. Anything beyond `default`
 * is opt-in, because it changes the text the model is asked about.
 * - `none`: exact text (well-formed).
 * - `default`: Unicode NFC, trimmed, runs of white space folded to one space.
 * - `casefold`: default, then lower case.
 * - `aggressive`: casefold, then punctuation folded to spaces and common abbreviations expanded
 *   (Sr. → senior, Jr. → junior, VP → vice president, Mgr → manager, ...).
 */
export type NormaliseLevel = "none" | "default" | "casefold" | "aggressive";
export const NORMALISE_LEVELS: readonly NormaliseLevel[] = ["none", "default", "casefold", "aggressive"];

const WS = /\s+/g;
/** Printable ASCII words joined by single spaces: already NFC, trimmed and folded. */
const PLAIN = /^[\x21-\x7e]+(?: [\x21-\x7e]+)*$/;
const ABBREVIATIONS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bsr\b/g, "senior"],
  [/\bjr\b/g, "junior"],
  [/\bsvp\b/g, "senior vice president"],
  [/\bevp\b/g, "executive vice president"],
  [/\bvp\b/g, "vice president"],
  [/\bmgr\b/g, "manager"],
  [/\bengr?\b/g, "engineer"],
  [/\bdir\b/g, "director"],
  [/\bassoc\b/g, "associate"],
  [/\basst\b/g, "assistant"],
];

export function normaliseText(text: string, level: NormaliseLevel): string {
  // The fast path skips work that would change nothing (most text is plain ASCII).
  const plain = PLAIN.test(text);
  let s = plain ? text : text.toWellFormed();
  if (level === "none") return s;
  if (!plain) s = s.normalize("NFC").replace(WS, " ").trim();
  if (level === "default") return s;
  s = s.toLowerCase();
  if (level === "casefold") return s;
  s = s.replace(/[^\p{L}\p{N}]+/gu, " ");
  for (const [re, full] of ABBREVIATIONS) s = s.replace(re, full);
  return s.replace(WS, " ").trim();
}
