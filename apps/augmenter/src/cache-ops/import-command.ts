import { ConfigError, createProgress } from "@rl/cli";
import type { S3ClientOptions } from "@rl/s3";
import { pairRulesOf } from "../pair-rules";
import type { AugmenterConfig } from "../create-augmenter";
import { openSource } from "./cache-files";
import { assertCurrentEncoding, needArg, openCommandStore, out } from "./command-store";
import { IMPORT_TUNING, importPairs } from "./import-pairs";
import { formatOf, type RowFormat } from "./pair-rows";
import { RowFileError } from "./row-file-error";

/** `cache import <src>`: known (company, title, seniority) rows into the namespace, no model asked. */
export async function importCommand(
  o: AugmenterConfig,
  args: string[],
  s3: S3ClientOptions,
): Promise<number> {
  assertCurrentEncoding(o, "import");
  const src = needArg(args, "the file or S3 URI to import");
  const format = (o.importFormat === "auto" ? formatOf(src) : o.importFormat) as RowFormat | undefined;
  if (!format)
    throw new ConfigError(
      `--format: cannot tell the format of ${src}; name a .jsonl, .csv or .tsv file (optionally .gz) or pass --format jsonl|csv|tsv`,
    );
  const { stream, size } = await openSource(src, s3);
  const store = await openCommandStore(o);
  // Progress in bytes where the file's size is what is read; a .gz is counted in rows.
  const byBytes = size !== undefined && size > 0 && !src.endsWith(".gz");
  const progress = createProgress({
    label: "importing",
    ...(byBytes ? { total: size } : {}),
    unit: byBytes ? "bytes" : "rows",
  });
  try {
    const r = await importPairs(stream, store, {
      format,
      pairRules: pairRulesOf(o),
      overwrite: o.overwrite,
      maxBadFraction: o.maxBadFraction,
      ...IMPORT_TUNING,
      onProgress: (rows, bytes) => progress.set(byBytes ? bytes : rows),
    }).catch((err: unknown) => {
      // The bad-row lines name the file; so does a file that cannot be read on.
      throw err instanceof RowFileError ? new Error(`${src} ${err.message}`, { cause: err }) : err;
    });
    progress.done();
    out(
      `imported into ${store.description} namespace ${o.modelVersion}: ${r.rows.toLocaleString("en-US")} rows in ${r.seconds.toFixed(2)} s (${Math.round(r.rowsPerSecond).toLocaleString("en-US")} rows/s)`,
    );
    out(
      `  new ${r.imported}, unchanged ${r.unchanged}, conflicts ${r.conflicts} (${o.overwrite ? `${r.overwritten} overwritten` : "existing values kept; --overwrite replaces them"}), bad rows ${r.badRows}`,
    );
    for (const b of r.badSamples) out(`  bad row: ${src} line ${b.line}: ${b.reason}`);
    if (r.failed) {
      process.stderr.write(`augmenter cache import: ${r.failure}\n`);
      return 1;
    }
    return 0;
  } finally {
    await store.close();
  }
}
