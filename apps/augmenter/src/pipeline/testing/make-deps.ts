import { DEFAULT_PAIR_RULES, MemoryStore, TwoTierCache } from "@rl/cache";
import type { ObjectInfo } from "@rl/s3";
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
  } = {},
) {
  const { cache = new TwoTierCache(new MemoryStore(), 1000), readChunkBytes, ...others } = overrides;
  const { inference = new FakeInference({ cache }), ...rest } = others;
  const raw = new MemoryObjectStore("memory://raw/", readChunkBytes);
  const mod = new MemoryObjectStore("memory://mod/");
  const errors = new MemoryObjectStore("memory://errors/");
  const deps: FileProcessorDeps = {
    raw,
    mod,
    errors,
    resolver: new ChunkResolver(cache, inference, DEFAULT_PAIR_RULES),
    budget: new ByteBudget(64 << 20),
    modelVersion: "v1",
    normalise: DEFAULT_PAIR_RULES.normalise,
    limits: { maxRecordBytes: 1 << 20, maxRecordLines: 100 },
    chunkRecords: 100,
    chunkWindow: 2,
    maxDistinctTracked: 1000,
    ...rest,
  };
  /** Uploads `lines` as the input `key` and returns what processFile is given for it. */
  const upload = async (key: string, lines: string[]): Promise<ObjectInfo> => {
    const { etag } = await raw.put(key, `${lines.join("\n")}\n`);
    return { key, size: 0, etag, lastModified: new Date() };
  };
  return { deps, raw, mod, errors, cache, inference, upload };
}
