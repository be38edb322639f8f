/** A stored (8-byte) key and its seniority, as export writes and restore reads them. */
export type StoredEntry = readonly [Buffer, number];

/** Pair counts and storage cost of one namespace. */
export interface NamespaceStats {
  /** False when the namespace does not exist yet (opened read-only, nothing written). */
  created: boolean;
  pairs: number;
  bytes: number;
  /** How `bytes` was measured, as the operator reads it ("by MEMORY USAGE", "of B-tree pages"). */
  bytesMeasure: string;
  /** Bucket fill and encodings, for a store that hashes pairs into buckets (Redis). */
  buckets?: {
    configured: number;
    used: number;
    minFields: number;
    avgFields: number;
    maxFields: number;
    encodings: Record<string, number>;
    /** Up to 10 buckets that left the compact encoding. */
    nonCompact: string[];
  };
}

/** What a drop removed, in the store's own unit ("pairs" for LMDB, "keys unlinked" for Redis). */
export interface Dropped {
  count: number;
  unit: string;
}

/** What one conditional bulk write did, pair by pair. */
export interface ImportCounts {
  /** Pairs the namespace did not have, now written. */
  imported: number;
  /** Pairs it had with the same value. */
  unchanged: number;
  /** Pairs it had with another value, kept. */
  kept: number;
  /** Pairs it had with another value, replaced (overwrite). */
  overwritten: number;
}

/** A conditional bulk write the store checks and writes itself (Redis: on the server, one pass). */
export interface PackedImport {
  /** Rows a batch should hold for `requested`: Redis wants several pairs per bucket. */
  batchSize(requested: number): number;
  /** Writes `count` packed pairs (see packPair); an existing different value is kept unless `overwrite`. */
  importPacked(records: Buffer, count: number, overwrite: boolean): Promise<ImportCounts>;
}

/**
 * What the `cache` commands (stats, export, restore, drop, import) need of a store beyond
 * reads and writes; offered by the stores that keep pairs between runs and can list them
 * (Redis, Redis Cluster, LMDB). Memcached cannot list its keys, memory: keeps nothing.
 */
export interface CacheAdmin {
  /** Every namespace the store holds (storage names), when it can list them. */
  namespaces?(): Promise<string[]>;
  stats(): Promise<NamespaceStats>;
  /** Every stored (key, value) of the namespace, in batches. */
  entries(): AsyncIterable<StoredEntry[]>;
  /** Writes stored keys as they are (restore of an export). */
  putStored(entries: readonly StoredEntry[]): Promise<void>;
  /** Deletes the namespace; `onProgress` hears of a long drop done in steps. */
  drop(onProgress?: (removed: number) => void): Promise<Dropped>;
  /** Absent: an import reads, then writes, through the store's getMany / setMany. */
  readonly packedImport?: PackedImport;
}
