import { Readable, pipeline } from "node:stream";
import { createGzip } from "node:zlib";
import type { ObjectStore } from "@rl/s3";
import type { HostileKind } from "./hostile-lines";
import { PostingStream, type PostingStreamOptions } from "./posting-stream";
import { buildVocabulary, type VocabularySizes } from "./vocabulary";

export interface GenerateOptions extends PostingStreamOptions {
  /** Postings (records) in all. @default 200_000 */
  total: number;
  /** Postings per file. @default 10_000 */
  split: number;
  /** Unix seconds of the first file's name; files are one minute apart. */
  startTime: number;
  /** Write `.jsonl.gz` instead of `.jsonl`. @default false */
  gzip: boolean;
  vocabulary: VocabularySizes;
  /** Count distinct pairs (memory grows with them). @default true */
  countDistinct: boolean;
}

export interface GenerateSummary {
  files: number;
  records: number;
  /** Physical lines, which differ from records for pretty-printed objects. */
  lines: number;
  bytes: number;
  /** Distinct exact (company, title) pairs among well-formed postings. */
  distinctPairs: number;
  variants: number;
  hostile: Partial<Record<HostileKind, number>>;
  keys: string[];
  seconds: number;
}

/** The CLI's defaults, for library callers (benchmarks, demos, tests) that override a few. */
export const DEFAULT_GENERATE_OPTIONS: GenerateOptions = {
  total: 200_000,
  split: 10_000,
  startTime: 1721183880,
  gzip: false,
  seed: 1,
  zipfExponent: 1.0,
  titlesPerCompany: 400,
  variantRate: 0.01,
  badRate: 0,
  longLineBytes: 1_048_576,
  vocabulary: { companies: 20_000, titles: 5_000, locations: 500 },
  countDistinct: true,
};

export const fileKey = (time: number, gzip: boolean) => `${time}.jsonl${gzip ? ".gz" : ""}`;

/** Writes `total` postings into files of `split` each, streaming (no file is held in memory). */
export async function generateSamples(
  store: ObjectStore,
  options: GenerateOptions,
  onProgress: (records: number) => void = () => {},
): Promise<GenerateSummary> {
  const t0 = performance.now();
  const vocab = buildVocabulary(options.seed, options.vocabulary);
  const stream = new PostingStream(vocab, options);
  const seen = new Set<string>();
  const summary: GenerateSummary = {
    files: 0,
    records: 0,
    lines: 0,
    bytes: 0,
    distinctPairs: 0,
    variants: 0,
    hostile: {},
    keys: [],
    seconds: 0,
  };
  const files = Math.ceil(options.total / options.split);

  for (let f = 0; f < files; f++) {
    const time = options.startTime + f * 60;
    const count = Math.min(options.split, options.total - f * options.split);
    function* chunks(): Generator<Buffer> {
      let batch: string[] = [];
      for (let i = 0; i < count; i++) {
        const rec = stream.next(time);
        batch.push(rec.text);
        summary.records += 1;
        summary.lines += 1 + (rec.text.match(/\n/g)?.length ?? 0);
        if (rec.variant) summary.variants += 1;
        if (rec.hostile) summary.hostile[rec.hostile] = (summary.hostile[rec.hostile] ?? 0) + 1;
        if (options.countDistinct && rec.company !== undefined && rec.title !== undefined) {
          seen.add(`${rec.company}\u0000${rec.title}`);
        }
        if (batch.length === 1000 || i === count - 1) {
          const buf = Buffer.from(`${batch.join("\n")}\n`);
          summary.bytes += buf.length;
          batch = [];
          onProgress(summary.records);
          yield buf;
        }
      }
    }
    const key = fileKey(time, options.gzip);
    const body = Readable.from(chunks());
    // pipeline() destroys the gzip stream if generation fails, so the upload fails too.
    const payload = options.gzip ? pipeline(body, createGzip(), () => {}) : body;
    await store.put(key, payload, {
      contentType: options.gzip ? "application/gzip" : "application/x-ndjson",
    });
    summary.keys.push(key);
    summary.files += 1;
  }
  summary.distinctPairs = seen.size;
  summary.seconds = (performance.now() - t0) / 1000;
  return summary;
}
