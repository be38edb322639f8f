export const HOSTILE_KINDS = [
  "malformed-json",
  "missing-company",
  "non-string-title",
  "empty-company",
  "crlf",
  "bom",
  "pretty-printed",
  "long-line",
  "non-ascii",
  "existing-seniority",
  "not-an-object",
] as const;
export type HostileKind = (typeof HOSTILE_KINDS)[number];

export interface PostingFields {
  url: string;
  company: string;
  title: string;
  location: string;
  scraped_on: number;
}

/** The scraper's own layout: Python's json.dumps with ", " and ": " separators. */
export function formatPosting(p: PostingFields): string {
  return `{"url": ${JSON.stringify(p.url)}, "company": ${JSON.stringify(p.company)}, "title": ${JSON.stringify(p.title)}, "location": ${JSON.stringify(p.location)}, "scraped_on": ${p.scraped_on}}`;
}

const NON_ASCII = [
  "Zürich Versicherungs-Gesellschaft",
  "株式会社ソニー",
  "Société Générale",
  "مجموعة الراجحي",
  "Ørsted A/S 🌬️",
];

/**
 * One hostile record built from a valid posting. Each kind exercises a rule of design.md
 * §2.2; the text may span several lines (pretty-printed) or carry a `\r` (CRLF).
 */
export function hostileRecord(
  kind: HostileKind,
  p: PostingFields,
  random: () => number,
  longLineBytes: number,
): string {
  const line = formatPosting(p);
  switch (kind) {
    case "malformed-json":
      return line.slice(0, 10 + Math.floor(random() * (line.length - 20)));
    case "missing-company":
      return line.replace(/"company": "(?:[^"\\]|\\.)*", /, "");
    case "non-string-title":
      return line.replace(/"title": "(?:[^"\\]|\\.)*"/, `"title": ${Math.floor(random() * 1e6)}`);
    case "empty-company":
      return line.replace(/"company": "(?:[^"\\]|\\.)*"/, `"company": ""`);
    case "crlf":
      return `${line}\r`;
    case "bom":
      return `\uFEFF${line}`;
    case "pretty-printed":
      return JSON.stringify(p, null, 2);
    case "long-line":
      return `${line.slice(0, -1)}, "description": ${JSON.stringify("lorem ipsum ".repeat(Math.ceil(longLineBytes / 12)).slice(0, longLineBytes))}}`;
    case "non-ascii":
      return formatPosting({
        ...p,
        company: NON_ASCII[Math.floor(random() * NON_ASCII.length)] ?? p.company,
        title: `${p.title} (m/w/d) – Ünïcödé ✓`,
      });
    case "existing-seniority":
      return `${line.slice(0, -1)}, "seniority": ${Math.floor(random() * 7) + 1}}`;
    case "not-an-object":
      return random() < 0.5
        ? `[${JSON.stringify(p.company)}, ${JSON.stringify(p.title)}]`
        : JSON.stringify(p.title);
  }
}
