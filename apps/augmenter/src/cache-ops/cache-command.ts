import { createInterface } from "node:readline";
import {
  LmdbStore,
  RedisStore,
  redisBucketStats,
  redisDrop,
  redisEntries,
  redisNamespaces,
  KEY_ENCODING,
  parseStorageNamespace,
  storageNamespace,
  type SeniorityStore,
} from "@rl/cache";
import { ConfigError, createProgress } from "@rl/cli";
import { openObjectStore, type S3ClientOptions } from "@rl/s3";
import { pino } from "pino";
import { pairRulesOf } from "../config";
import { assertNoMoreArgs } from "../commands";
import { createAugmenter, type AugmenterConfig } from "../create-augmenter";
import { openCache } from "../open-cache";
import { openSource, writeDestination } from "./cache-files";
import { IMPORT_TUNING, importPairs } from "./import-pairs";
import { warmCache } from "./warm-cache";
import { formatOf, type RowFormat } from "./pair-rows";
import { CACHE_USAGE } from "./cache-usage";

const EXPORT_FORMAT = "seniority-cache-export";
/** The arguments each cache command takes after its name (a file or URI, or none). */
const ARGS_TAKEN: Record<string, number> = { import: 1, export: 1, restore: 1, stats: 0, drop: 0, warm: 0 };
const out = (line: string) => process.stdout.write(`${line}\n`);

/** The namespace a cache command acts on, as it is shown: model version and key encoding. */
const label = (modelVersion: string, keyEncoding: number) =>
  keyEncoding === KEY_ENCODING ? modelVersion : `${modelVersion} (superseded key encoding ${keyEncoding})`;

/** Commands that write pairs key them with the current encoding only. */
function assertCurrentEncoding(o: AugmenterConfig, command: string): void {
  if (Number(o.keyEncoding) !== KEY_ENCODING)
    throw new ConfigError(
      `cache ${command}: --key-encoding ${o.keyEncoding} is superseded; ${command} writes pairs under the current encoding (${KEY_ENCODING}) only`,
    );
}

async function openStore(
  o: AugmenterConfig,
  modelVersion = o.modelVersion,
  keyEncoding = Number(o.keyEncoding),
  readOnly = false,
): Promise<SeniorityStore> {
  if (o.cacheUrl === "memory:")
    throw new ConfigError(
      "--cache-url (or CACHE_URL): memory: keeps nothing between runs; cache commands need redis://, rediss:// or lmdb:",
    );
  return openCache(o.cacheUrl, {
    modelVersion,
    keyEncoding,
    readOnly,
    expectedPairs: o.expectedPairs,
    onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
  });
}

function needArg(args: string[], what: string): string {
  const v = args[0];
  if (!v) throw new ConfigError(`cache: ${what} is required\n${CACHE_USAGE}`);
  return v;
}

/** Pairs, bytes per pair and bucket health of a Redis namespace, with a warning when buckets left listpack. */
async function printBucketStats(store: RedisStore, name: string): Promise<void> {
  const s = await redisBucketStats(store);
  out(
    `namespace ${name}: ${s.pairs.toLocaleString("en-US")} pairs, ${s.bytesPerPair.toFixed(1)} bytes/pair (${(s.bytes / 1048576).toFixed(1)} MiB by MEMORY USAGE)`,
  );
  out(
    `  buckets: ${s.bucketsUsed} used of ${s.bucketsConfigured}; fields per bucket min ${s.minFields}, avg ${s.avgFields.toFixed(1)}, max ${s.maxFields}; encodings ${JSON.stringify(s.encodings)}`,
  );
  if (s.nonCompact.length > 0) {
    out(
      `  WARNING: ${s.nonCompact.length >= 10 ? "10 or more" : s.nonCompact.length} buckets left the compact listpack encoding (e.g. ${s.nonCompact[0]}), so they cost several times more memory. Fix: raise Redis's hash-max-listpack-entries above ${s.maxFields}, or move to a namespace sized for more pairs (EXPECTED_PAIRS, then cache export / restore).`,
    );
  }
}

export async function runCacheCommand(
  o: AugmenterConfig,
  args: string[],
  explicit: { modelVersion: boolean },
  s3: S3ClientOptions,
): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined)
    throw new ConfigError(
      `cache: a command is required\n${CACHE_USAGE}\n(augmenter cache --help lists the options)`,
    );
  const takes = ARGS_TAKEN[sub];
  if (takes !== undefined) assertNoMoreArgs(`cache ${sub}`, rest.slice(takes));
  /** The namespace this command acts on, as it is shown. */
  const here = label(o.modelVersion, Number(o.keyEncoding));
  switch (sub) {
    case "import": {
      assertCurrentEncoding(o, "import");
      const src = needArg(rest, "the file or S3 URI to import");
      const format = (o.importFormat === "auto" ? formatOf(src) : o.importFormat) as RowFormat | undefined;
      if (!format)
        throw new ConfigError(
          `--format: cannot tell the format of ${src}; name a .jsonl, .csv or .tsv file (optionally .gz) or pass --format jsonl|csv|tsv`,
        );
      const { stream, size } = await openSource(src, s3);
      const store = await openStore(o);
      const progress = createProgress({
        label: "importing",
        ...(size && !src.endsWith(".gz") ? { total: size } : {}),
        unit: size && !src.endsWith(".gz") ? "bytes" : "rows",
      });
      try {
        const r = await importPairs(stream, store, {
          format,
          pairRules: pairRulesOf(o),
          overwrite: o.overwrite,
          maxBadFraction: o.maxBadFraction,
          ...IMPORT_TUNING,
          onProgress: (rows, bytes) => progress.set(size && !src.endsWith(".gz") ? bytes : rows),
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
    case "export": {
      const dest = needArg(rest, "the destination file or S3 URI");
      const store = await openStore(o, o.modelVersion, Number(o.keyEncoding), true);
      let pairs = 0;
      try {
        const entries =
          store instanceof RedisStore
            ? redisEntries(store)
            : store instanceof LmdbStore
              ? store.entries()
              : undefined;
        if (!entries) throw new ConfigError("cache export needs a Redis or LMDB cache");
        const header = {
          format: EXPORT_FORMAT,
          version: 1,
          modelVersion: o.modelVersion,
          keyEncoding: Number(o.keyEncoding),
          normalise: o.normalise,
          keyBytes: 8,
          source: store.description,
          exportedAt: new Date().toISOString(),
        };
        await writeDestination(
          dest,
          (async function* () {
            yield `${JSON.stringify(header)}\n`;
            for await (const batch of entries) {
              pairs += batch.length;
              yield batch.map(([k, v]) => `${k.toString("hex")}\t${v}\n`).join("");
            }
          })(),
          s3,
        );
      } finally {
        await store.close();
      }
      out(`exported ${pairs.toLocaleString("en-US")} pairs of namespace ${here} to ${dest}`);
      return 0;
    }
    case "restore": {
      const src = needArg(rest, "the export file or S3 URI");
      const { stream } = await openSource(src, s3);
      const lines = createInterface({ input: stream, crlfDelay: Infinity });
      type Header = { format?: string; version?: number; modelVersion?: string; keyEncoding?: number };
      let header: Header | undefined;
      let store: (RedisStore | LmdbStore) | undefined;
      let batch: Array<readonly [Buffer, number]> = [];
      let pairs = 0;
      let lineNo = 0;
      try {
        for await (const line of lines) {
          lineNo += 1;
          if (!header) {
            header = JSON.parse(line) as Header;
            if (header?.format !== EXPORT_FORMAT || header.version !== 1)
              throw new Error(`${src} is not a ${EXPORT_FORMAT} v1 file (line 1)`);
            const target = explicit.modelVersion ? o.modelVersion : (header.modelVersion ?? o.modelVersion);
            // Exports made before the key encoding was recorded hold encoding 1.
            const encoding = header.keyEncoding ?? 1;
            if (encoding !== Number(o.keyEncoding))
              throw new ConfigError(
                `${src} holds keys of pair-key encoding ${encoding}, not ${o.keyEncoding}: ${encoding === KEY_ENCODING ? `leave out --key-encoding ${o.keyEncoding}` : `the service never reads encoding ${encoding} (not injective); restore it only with --key-encoding ${encoding}, into the superseded namespace`}`,
              );
            const s = await openStore(o, target, encoding);
            if (!(s instanceof RedisStore || s instanceof LmdbStore))
              throw new ConfigError("cache restore needs a Redis or LMDB cache");
            store = s;
            out(`restoring into ${s.description} namespace ${label(target, encoding)}`);
            continue;
          }
          const m = /^([0-9a-f]{16})\t([1-7])$/.exec(line);
          if (!m) throw new Error(`${src} line ${lineNo}: expected <16 hex digits><TAB><1-7>`);
          batch.push([Buffer.from(m[1] as string, "hex"), Number(m[2])]);
          if (batch.length >= 20_000) {
            await store?.setStoredMany(batch);
            pairs += batch.length;
            batch = [];
          }
        }
        await store?.setStoredMany(batch);
        pairs += batch.length;
      } finally {
        await store?.close();
      }
      if (!header)
        throw new Error(
          `${src} is empty: not a ${EXPORT_FORMAT} file (an export starts with its header line)`,
        );
      out(
        pairs === 0
          ? `restored nothing: ${src} held no pairs (an export of an empty namespace)`
          : `restored ${pairs.toLocaleString("en-US")} pairs`,
      );
      return 0;
    }
    case "stats": {
      const store = await openStore(o, o.modelVersion, Number(o.keyEncoding), true);
      try {
        if (store instanceof RedisStore) {
          const names = (await redisNamespaces(store.client)).map((ns) => {
            const p = parseStorageNamespace(ns);
            return label(p.modelVersion, p.keyEncoding);
          });
          out(`namespaces (model versions) in ${store.description}: ${names.join(", ") || "none"}`);
          if (names.some((n) => n.includes("superseded")))
            out(
              "  superseded namespaces are never read by the service; drop one with: augmenter cache drop --model-version <version> --key-encoding 1",
            );
          if (!store.created) out(`namespace ${here}: not created yet (no pairs)`);
          else await printBucketStats(store, here);
        } else if (store instanceof LmdbStore) {
          const bytes = store.storageBytes();
          out(
            `namespace ${here} in ${store.description}: ${store.size.toLocaleString("en-US")} pairs, ${(store.size > 0 ? bytes / store.size : 0).toFixed(1)} bytes/pair (${(bytes / 1048576).toFixed(1)} MiB of B-tree pages)`,
          );
        }
      } finally {
        await store.close();
      }
      if (o.metricsUrl) {
        const text = await (await fetch(o.metricsUrl)).text();
        const v = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
        const l1 = v(/^augmenter_cache_hits_total\{tier="l1"\} (\S+)$/m);
        const l2 = v(/^augmenter_cache_hits_total\{tier="l2"\} (\S+)$/m);
        const model = v(/^augmenter_model_pairs_total (\S+)$/m);
        const all = l1 + l2 + model;
        out(
          `running service (${o.metricsUrl}): L1 hits ${l1}, L2 hits ${l2}, model pairs ${model}; hit ratio ${all > 0 ? ((l1 + l2) / all).toFixed(4) : "n/a"}`,
        );
      }
      return 0;
    }
    case "drop": {
      if (!explicit.modelVersion)
        throw new ConfigError(
          "cache drop: name the namespace with --model-version (or MODEL_VERSION); it is never taken from a default",
        );
      if (o.cacheUrl.startsWith("lmdb:")) {
        const store = await openStore(o);
        const n = await (store as LmdbStore).drop();
        await store.close();
        out(`dropped namespace ${here}: ${n.toLocaleString("en-US")} pairs`);
        return 0;
      }
      const store = await openStore(o);
      if (!(store instanceof RedisStore)) throw new ConfigError("cache drop needs a Redis or LMDB cache");
      const progress = createProgress({ label: "dropping", unit: "keys" });
      const n = await redisDrop(store.client, storageNamespace(o.modelVersion, Number(o.keyEncoding)), (d) =>
        progress.set(d),
      );
      progress.done();
      await store.close();
      out(`dropped namespace ${here}: ${n.toLocaleString("en-US")} keys unlinked`);
      return 0;
    }
    case "warm": {
      assertCurrentEncoding(o, "warm");
      if (!o.warmFrom)
        throw new ConfigError(
          "cache warm: --from (the raw inputs to read, s3://… or a directory) is required",
        );
      let raw;
      try {
        raw = openObjectStore(o.warmFrom, s3);
      } catch (err) {
        throw new ConfigError(`--from: ${(err as Error).message}`);
      }
      // Warming reads --from and writes no output: RAW_URI and MOD_URI are not checked.
      const inst = await createAugmenter({ ...o, httpPort: -1 }, pino({ level: "warn" }, process.stderr), {
        checkStores: false,
      });
      const progress = createProgress({ label: "warming", unit: "pairs" });
      try {
        const r = await warmCache(raw, inst.cache, inst.scheduler, {
          pairRules: pairRulesOf(o),
          ...(o.since > 0 ? { since: o.since } : {}),
          maxPairs: 5_000_000,
          onProgress: (phase, done, total) =>
            phase === "inferring" && total ? progress.set(done) : undefined,
        });
        progress.done();
        out(
          `warmed namespace ${o.modelVersion} from ${raw.location}: ${r.files} files, ${r.records.toLocaleString("en-US")} records, ${r.distinctPairs.toLocaleString("en-US")} distinct pairs: ${r.alreadyCached.toLocaleString("en-US")} already cached, ${r.inferred.toLocaleString("en-US")} inferred, most frequent first, in ${r.seconds.toFixed(1)} s`,
        );
        if (r.skippedPairs)
          out(
            "  (more than 5,000,000 distinct pairs: the rest were not counted; warm a narrower --since window)",
          );
        return 0;
      } finally {
        await inst.close();
      }
    }
    default:
      throw new ConfigError(`unknown cache command ${JSON.stringify(sub ?? "")}\n${CACHE_USAGE}`);
  }
}
