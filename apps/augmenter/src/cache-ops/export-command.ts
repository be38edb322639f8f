import { createInterface } from "node:readline";
import { KEY_ENCODING, type CacheAdmin, type SeniorityStore, type StoredEntry } from "@rl/cache";
import { ConfigError } from "@rl/cli";
import type { S3ClientOptions } from "@rl/s3";
import type { AugmenterConfig } from "../create-augmenter";
import { openSource, writeDestination } from "./cache-files";
import { adminOf, label, needArg, openCommandStore, out } from "./command-store";

const EXPORT_FORMAT = "seniority-cache-export";
/** Pairs per restore write: one round trip each. */
const RESTORE_BATCH = 20_000;

/** `cache export <dest>`: the namespace's keys and values after a header line, any backend can restore it. */
export async function exportCommand(
  o: AugmenterConfig,
  args: string[],
  s3: S3ClientOptions,
): Promise<number> {
  const dest = needArg(args, "the destination file or S3 URI");
  const store = await openCommandStore(o, o.modelVersion, Number(o.keyEncoding), true);
  const admin = await adminOf(store, "export");
  let pairs = 0;
  try {
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
        for await (const batch of admin.entries()) {
          pairs += batch.length;
          yield batch.map(([k, v]) => `${k.toString("hex")}\t${v}\n`).join("");
        }
      })(),
      s3,
    );
  } finally {
    await store.close();
  }
  out(
    `exported ${pairs.toLocaleString("en-US")} pairs of namespace ${label(o.modelVersion, Number(o.keyEncoding))} to ${dest}`,
  );
  return 0;
}

type Header = { format?: string; version?: number; modelVersion?: string; keyEncoding?: number };

/**
 * `cache restore <src>`: loads an export into the configured cache, into the namespace the
 * export names unless --model-version was given.
 */
export async function restoreCommand(
  o: AugmenterConfig,
  args: string[],
  explicit: { modelVersion: boolean },
  s3: S3ClientOptions,
): Promise<number> {
  const src = needArg(args, "the export file or S3 URI");
  const { stream } = await openSource(src, s3);
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let header: Header | undefined;
  let target: { store: SeniorityStore; admin: CacheAdmin } | undefined;
  let batch: StoredEntry[] = [];
  let pairs = 0;
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo += 1;
      if (!header) {
        header = JSON.parse(line) as Header;
        if (header?.format !== EXPORT_FORMAT || header.version !== 1)
          throw new Error(`${src} is not a ${EXPORT_FORMAT} v1 file (line 1)`);
        const modelVersion = explicit.modelVersion ? o.modelVersion : (header.modelVersion ?? o.modelVersion);
        // Exports made before the key encoding was recorded hold encoding 1.
        const encoding = header.keyEncoding ?? 1;
        if (encoding !== Number(o.keyEncoding))
          throw new ConfigError(
            `${src} holds keys of pair-key encoding ${encoding}, not ${o.keyEncoding}: ${encoding === KEY_ENCODING ? `leave out --key-encoding ${o.keyEncoding}` : `the service never reads encoding ${encoding} (not injective); restore it only with --key-encoding ${encoding}, into the superseded namespace`}`,
          );
        const store = await openCommandStore(o, modelVersion, encoding);
        target = { store, admin: await adminOf(store, "restore") };
        out(`restoring into ${store.description} namespace ${label(modelVersion, encoding)}`);
        continue;
      }
      const m = /^([0-9a-f]{16})\t([1-7])$/.exec(line);
      if (!m) throw new Error(`${src} line ${lineNo}: expected <16 hex digits><TAB><1-7>`);
      batch.push([Buffer.from(m[1] as string, "hex"), Number(m[2])]);
      if (batch.length >= RESTORE_BATCH) {
        await target?.admin.putStored(batch);
        pairs += batch.length;
        batch = [];
      }
    }
    await target?.admin.putStored(batch);
    pairs += batch.length;
  } finally {
    await target?.store.close();
  }
  if (!header)
    throw new Error(`${src} is empty: not a ${EXPORT_FORMAT} file (an export starts with its header line)`);
  out(
    pairs === 0
      ? `restored nothing: ${src} held no pairs (an export of an empty namespace)`
      : `restored ${pairs.toLocaleString("en-US")} pairs`,
  );
  return 0;
}
