import { normaliseText, type NormaliseLevel } from "./normalise";
import { pairText } from "./pair-key";

/**
 * A (company, title) pair as the service carries it: the two normalised strings, exactly as
 * they are sent to the model, and the injective text they are keyed and cached by.
 */
export interface Pair {
  readonly company: string;
  readonly title: string;
  /** {@link pairText} of the two: the L1 key, hashed for L2. */
  readonly key: string;
}

/** Why a record's company and title make no pair: its seniority is written as null. */
export type UnusableReason =
  /** `company` or `title` is absent or not a string. */
  | "missing"
  /** Empty once normalised. */
  | "empty"
  /** Longer than `maxFieldChars` once normalised: not a company or a title. */
  | "too-long"
  /** Too large for one model request on its own (only with a raised field limit). */
  | "too-large";

export const UNUSABLE_REASONS: readonly UnusableReason[] = ["missing", "empty", "too-long", "too-large"];

export interface PairRules {
  normalise: NormaliseLevel;
  /** Longest usable field, in characters (UTF-16 units) after normalisation. @default 1000 */
  maxFieldChars: number;
  /** Largest pair one model request may carry, in encoded bytes. @default 4_000_000 */
  maxPairBytes: number;
}

export const DEFAULT_PAIR_RULES: PairRules = {
  normalise: "default",
  maxFieldChars: 1000,
  maxPairBytes: 4_000_000,
};

const varintBytes = (n: number) =>
  n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;

/**
 * An upper bound of the bytes one pair adds to a `SeniorityRequestBatch` on the wire: the
 * `batch` entry's tag and length, a uuid of up to 5 bytes, and both strings as UTF-8 with their
 * tags and lengths (design.md §2.1). Batches are cut by the sum of these.
 */
export function pairWireBytes(pair: Pick<Pair, "company" | "title">): number {
  const c = Buffer.byteLength(pair.company, "utf8");
  const t = Buffer.byteLength(pair.title, "utf8");
  const inner = 6 + 1 + varintBytes(c) + c + 1 + varintBytes(t) + t;
  return 1 + varintBytes(inner) + inner;
}

/**
 * No normal form makes text shorter than this many times its characters other than white
 * space: NFC composes a base and its marks into one character (four code points at most in
 * Unicode's canonical decompositions), and folding only touches white space.
 */
const MAX_SHRINK = 8;

/**
 * True when `text` is too long to come under `max` characters by any normalisation, decided
 * without copying it: a 30 MB title is refused in one pass instead of being normalised (which
 * makes several copies of it) first.
 */
function beyondAnyNormalForm(text: string, max: number, level: NormaliseLevel): boolean {
  if (text.length <= max * MAX_SHRINK) return false;
  let solid = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (level === "aggressive") {
      // Folds every run of other characters to one space: count only what surely survives.
      const alnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
      if (alnum && ++solid > max * MAX_SHRINK) return true;
      continue;
    }
    // White space as \s knows it: ASCII, NBSP, U+1680, U+2000-U+200A, U+2028/9, U+202F, U+205F, U+3000, U+FEFF.
    const space =
      c === 32 ||
      (c >= 9 && c <= 13) ||
      (c >= 0x80 &&
        (c === 0xa0 ||
          c === 0x1680 ||
          (c >= 0x2000 && c <= 0x200a) ||
          c === 0x2028 ||
          c === 0x2029 ||
          c === 0x202f ||
          c === 0x205f ||
          c === 0x3000 ||
          c === 0xfeff));
    if (!space && ++solid > max * MAX_SHRINK) return true;
  }
  return false;
}

/** The pair of a record's `company` and `title` values, or why there is none. */
export function toPair(company: unknown, title: unknown, rules: PairRules): Pair | UnusableReason {
  if (typeof company !== "string" || typeof title !== "string") return "missing";
  if (
    beyondAnyNormalForm(company, rules.maxFieldChars, rules.normalise) ||
    beyondAnyNormalForm(title, rules.maxFieldChars, rules.normalise)
  )
    return "too-long";
  const c = normaliseText(company, rules.normalise);
  const t = normaliseText(title, rules.normalise);
  if (c === "" || t === "") return "empty";
  if (c.length > rules.maxFieldChars || t.length > rules.maxFieldChars) return "too-long";
  // A UTF-16 unit is at most 3 UTF-8 bytes: count bytes only when the bound could be reached.
  const pair = { company: c, title: t, key: pairText(c, t) };
  if ((c.length + t.length) * 3 + 32 > rules.maxPairBytes && pairWireBytes(pair) > rules.maxPairBytes)
    return "too-large";
  return pair;
}
