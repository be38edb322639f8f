import { CACHE_USAGE } from "./cache-usage";
import { ADMIN_URL_FORMS, KEY_ENCODING, type CacheAdmin, type SeniorityStore } from "@rl/cache";
import { ConfigError } from "@rl/cli";
import type { AugmenterConfig } from "../create-augmenter";
import { openCache } from "../open-cache";

export const out = (line: string) => process.stdout.write(`${line}\n`);

/** The namespace a cache command acts on, as it is shown: model version and key encoding. */
export const label = (modelVersion: string, keyEncoding: number) =>
  keyEncoding === KEY_ENCODING ? modelVersion : `${modelVersion} (superseded key encoding ${keyEncoding})`;

/** Commands that write pairs key them with the current encoding only. */
export function assertCurrentEncoding(o: AugmenterConfig, command: string): void {
  if (Number(o.keyEncoding) !== KEY_ENCODING)
    throw new ConfigError(
      `cache ${command}: --key-encoding ${o.keyEncoding} is superseded; ${command} writes pairs under the current encoding (${KEY_ENCODING}) only`,
    );
}

export function needArg(args: string[], what: string): string {
  const v = args[0];
  if (!v) throw new ConfigError(`cache: ${what} is required\n${CACHE_USAGE}`);
  return v;
}

/** Opens the configured cache for a command, in namespace `modelVersion` under `keyEncoding`. */
export async function openCommandStore(
  o: AugmenterConfig,
  modelVersion = o.modelVersion,
  keyEncoding = Number(o.keyEncoding),
  readOnly = false,
): Promise<SeniorityStore> {
  // Refused before opening: a command would "succeed" into a cache that is gone when it exits.
  if (o.cacheUrl === "memory:")
    throw new ConfigError(
      `--cache-url (or CACHE_URL): memory: keeps nothing between runs; cache commands need ${ADMIN_URL_FORMS}`,
    );
  return openCache(o.cacheUrl, {
    modelVersion,
    keyEncoding,
    readOnly,
    expectedPairs: o.expectedPairs,
    onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
  });
}

/** The store's administration, or a refusal naming the cache URLs that offer it (the store is closed). */
export async function adminOf(store: SeniorityStore, command: string): Promise<CacheAdmin> {
  if (store.admin) return store.admin;
  await store.close();
  throw new ConfigError(
    `cache ${command} needs a Redis or LMDB cache (CACHE_URL or --cache-url ${ADMIN_URL_FORMS}); ${store.description} cannot list or drop its pairs`,
  );
}
