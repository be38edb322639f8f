import { HOSTILE_KINDS, formatPosting, hostileRecord, type HostileKind } from "./hostile-lines";
import { seededRandom } from "@rl/random";
import { randomUuid } from "./random";
import type { Vocabulary } from "./vocabulary";
import { ZipfSampler, hashUnit, zipfRank } from "./zipf";

export interface PostingStreamOptions {
  seed: number;
  /** Popularity skew of companies (Zipf exponent). @default 1.0 */
  zipfExponent: number;
  /** Titles posted by the most active company; company k posts about this / sqrt(k + 1), at least 3. @default 400 */
  titlesPerCompany: number;
  /** Fraction of postings whose company or title is a near-duplicate variant (spacing, case, Unicode form). @default 0.01 */
  variantRate: number;
  /** Fraction of records replaced by a hostile one. @default 0 */
  badRate: number;
  /** Size of the field that makes a `long-line` record long. @default 1 MiB */
  longLineBytes: number;
}

export interface GeneratedRecord {
  /** The record's text without its final newline; may hold `\n` (pretty-printed) or end in `\r`. */
  text: string;
  /** Company and title exactly as written, when the record is a well-formed posting. */
  company?: string;
  title?: string;
  hostile?: HostileKind;
  variant?: boolean;
}

type Variant = (s: string) => string;
const VARIANTS: Variant[] = [
  (s) => s.replace(" ", "  "),
  (s) => ` ${s} `,
  (s) => s.toLowerCase(),
  (s) => s.toUpperCase(),
  (s) => s.replace(" ", "\t"),
  (s) => s.normalize("NFD") + (s.normalize("NFD") === s ? " " : ""),
];

/** The posting's pair when the text is one JSON object with string company and title (a BOM and `\r` aside). */
function pairOf(text: string): { company?: string; title?: string } {
  try {
    const v: unknown = JSON.parse(text.replace(/^\uFEFF/, ""));
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      const { company, title } = v as Record<string, unknown>;
      if (typeof company === "string" && typeof title === "string") return { company, title };
    }
  } catch {
    // not JSON: no pair
  }
  return {};
}

/** An endless, reproducible stream of postings drawn from a vocabulary. */
export class PostingStream {
  private readonly random: () => number;
  private readonly companyRank: ZipfSampler;
  private readonly titleRank: ZipfSampler;

  constructor(
    private readonly vocab: Vocabulary,
    private readonly options: PostingStreamOptions,
  ) {
    this.random = seededRandom(options.seed ^ 0x5bd1e995);
    this.companyRank = new ZipfSampler(vocab.companies.length, options.zipfExponent);
    this.titleRank = new ZipfSampler(vocab.titles.length, 1.0);
  }

  /** One record for a file stamped `fileTime` (Unix seconds). */
  next(fileTime: number): GeneratedRecord {
    const r = this.random;
    // Each company posts from its own short list of titles (longer for bigger companies), drawn
    // from the global title popularity: popular pairs repeat, and distinct pairs grow slowly,
    // as in production (about 1 distinct pair per 90 postings over a year).
    const c = this.companyRank.sample(r());
    const company = this.vocab.companies[c] ?? { name: "Acme Corp", host: "www.acmecorp.com" };
    const own = Math.max(3, Math.round(this.options.titlesPerCompany / Math.sqrt(c + 1)));
    const t = zipfRank(own, 1.1, r());
    let companyName = company.name;
    let title = this.vocab.titles[this.titleRank.sample(hashUnit(c, t))] ?? "Software Engineer";
    let variant = false;
    if (this.options.variantRate > 0 && r() < this.options.variantRate) {
      const v = VARIANTS[Math.floor(r() * VARIANTS.length)] ?? ((s: string) => s);
      if (r() < 0.5) companyName = v(companyName);
      else title = v(title);
      variant = true;
    }
    const fields = {
      url: `https://${company.host}/job/${randomUuid(r)}/`,
      company: companyName,
      title,
      location: this.vocab.locations[Math.floor(r() * this.vocab.locations.length)] ?? "Remote",
      scraped_on: fileTime - 60 + Math.floor(r() * 60),
    };
    if (this.options.badRate > 0 && r() < this.options.badRate) {
      // A BOM may start any record, not just a file: files concatenated with `cat` carry them mid-file.
      const kind = HOSTILE_KINDS[Math.floor(r() * HOSTILE_KINDS.length)] ?? "malformed-json";
      const text = hostileRecord(kind, fields, r, this.options.longLineBytes);
      return { text, ...pairOf(text), hostile: kind };
    }
    return { text: formatPosting(fields), company: companyName, title, ...(variant ? { variant } : {}) };
  }
}
