import { DEFAULT_PAIR_RULES, MemoryStore, TwoTierCache } from "@rl/cache";
import type { ObjectInfo } from "@rl/s3";
import { InlineParseStage } from "../../parse/parse-stage";
import type { ParseOptions } from "../../parse/parsed-chunk";
import { ByteBudget } from "../byte-budget";
import { ChunkResolver, type PairInference } from "../chunk-resolver";
import type { FileProcessorDeps } from "../file-processor";
import { FakeInference } from "./fake-inference";
import { MemoryObjectStore } from "./memory-object-store";

/**
 * A file processor's dependencies for a test: memory object stores, a memory L2 behind a real
 * two-tier cache, and a fake model that answers at once (and stores its answers in that cache). `overrides` replace any of them (the
 * stores returned are still the memory ones: `upload` writes to the memory raw store).
 */
export function makeDeps(
  overrides: Partial<FileProcessorDeps> & {
    inference?: PairInference;
    cache?: TwoTierCache;
    /** Size of the pieces the input is read in (one chunk of records at least per piece). */
    readChunkBytes?: number;
    /** Records per chunk of the default (inline) parse stage. */
    chunkRecords?: number;
  } = {},
) {
  const {
    cache = new TwoTierCache(new MemoryStore(), 1000),
    readChunkBytes,
    chunkRecords = 100,
    ...others
  } = overrides;
  const { inference = new FakeInference({ cache }), ...rest } = others;
  const raw = new MemoryObjectStore("memory://raw/", readChunkBytes);
  const mod = new MemoryObjectStore("memory://mod/");
  const errors = new MemoryObjectStore("memory://errors/");
  const parseOptions: ParseOptions = {
    limits: { maxRecordBytes: 1 << 20, maxRecordLines: 100 },
    rules: DEFAULT_PAIR_RULES,
    chunkRecords,
    maxDistinctTracked: 1000,
    knownMaxEntries: 0,
  };
  const deps: FileProcessorDeps = {
    raw,
    mod,
    errors,
    parse: new InlineParseStage(parseOptions),
    resolver: new ChunkResolver(cache, inference),
    budget: new ByteBudget(64 << 20),
    modelVersion: "v1",
    normalise: DEFAULT_PAIR_RULES.normalise,
    chunkWindow: 2,
    ...rest,
  };
  /** Uploads `lines` as the input `key` and returns what processFile is given for it. */
  const upload = async (key: string, lines: string[]): Promise<ObjectInfo> => {
    const { etag } = await raw.put(key, `${lines.join("\n")}\n`);
    return { key, size: 0, etag, lastModified: new Date() };
  };
  return { deps, raw, mod, errors, cache, inference, upload, parseOptions };
}
