import { createHash } from "node:crypto";

export type SeniorityMode = "seeded" | "fresh-random" | "keyword";
export const SENIORITY_MODES: readonly SeniorityMode[] = ["seeded", "fresh-random", "keyword"];

/**
 * The `seeded` mode's answer: a hash of (seed, company, title), as an injective encoding, mapped to 1..7. Exported so a
 * verifier can recompute exactly what the mock answered for any pair.
 */
export function seededSeniority(seed: string, company: string, title: string): number {
  // Length-prefixed, so the answer is a function of the pair: a separator that may also sit
  // inside a field would give ("Acme\0CEO", "Intern") and ("Acme", "CEO\0Intern") one answer,
  // and a test could not tell a value given to the wrong pair.
  const digest = createHash("sha256")
    .update(`${seed.length}:${seed}${company.length}:${company}${title}`)
    .digest();
  return (digest.readUInt32BE(0) % 7) + 1;
}

/**
 * Keyword rules after the level table in design.md §1. Order matters: the most specific
 * phrase wins ("Vice President" before "President", "Chief of" before "Chief", "Lead Lawyer"
 * before "Lead").
 */
const KEYWORD_RULES: ReadonlyArray<readonly [RegExp, number]> = [
  [/\b(svp|evp|senior vice president|executive vice president|managing director|partner)\b/i, 6],
  [/\b(vp|vice president|head of|chief of)\b/i, 5],
  [/\b(ceo|cfo|coo|cto|cio|cmo|cpo|chief|president|founder)\b/i, 7],
  [/\bdirector\b/i, 6],
  [/\b(manager|superintendent|lead lawyer)\b/i, 4],
  [/\b(senior|sr\.?|lead|principal|staff|attorney|associate)\b/i, 3],
  [/\b(junior|jr\.?|bookkeeper|adviser|advisor|assistant)\b/i, 2],
  [/\b(intern|internship|trainee|paralegal|entry|apprentice|graduate)\b/i, 1],
];

/** Level for titles with no seniority word (a plain "Data Engineer"). */
export const KEYWORD_DEFAULT_LEVEL = 2;

export function keywordSeniority(title: string): number {
  for (const [re, level] of KEYWORD_RULES) if (re.test(title)) return level;
  return KEYWORD_DEFAULT_LEVEL;
}

export function createSeniorityFn(
  mode: SeniorityMode,
  seed: string,
  random: () => number,
): (company: string, title: string) => number {
  switch (mode) {
    case "seeded":
      return (company, title) => seededSeniority(seed, company, title);
    case "fresh-random":
      return () => 1 + Math.floor(random() * 7);
    case "keyword":
      return (_company, title) => keywordSeniority(title);
  }
}
