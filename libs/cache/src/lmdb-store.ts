import { join } from "node:path";
import { open, type Database, type RootDatabase } from "lmdb";
import { makeDirectory } from "@rl/cli";
import { LmdbRecordSpace } from "./lmdb-record-space";
import { storedKey, type PairKey } from "./pair-key";
import type { CoordinationSite } from "./record-space";
import { isSeniority, type SeniorityStore } from "./seniority-store";
import type { CacheAdmin } from "./cache-admin";

/**
 * The embedded, persistent L2 (`lmdb:///path`): one LMDB environment, one named database per
 * model version (namespace), 8-byte stored keys (STORED_KEY_BYTES). Needs no server; survives restarts; one machine only.
 */
export class LmdbStore implements SeniorityStore {
  readonly description: string;
  /** The processes on this machine sharing the cache coordinate in a space beside it. */
  readonly coordination: CoordinationSite;

  private constructor(
    private readonly root: RootDatabase,
    private readonly db: Database<number, Buffer>,
    path: string,
  ) {
    this.description = `lmdb://${path}`;
    this.coordination = {
      kind: "machine",
      openSpace: () => LmdbRecordSpace.open(join(path, "coordination")),
    };
  }

  static open(path: string, modelVersion: string): LmdbStore {
    makeDirectory(path);
    const root = open({ path, maxDbs: 64 });
    const db = root.openDB<number, Buffer>({ name: `sen:${modelVersion}`, keyEncoding: "binary" });
    return new LmdbStore(root, db, path);
  }

  /** The cache commands' view of the namespace: one named database. */
  get admin(): CacheAdmin {
    return {
      stats: async () => ({
        created: true,
        pairs: this.size,
        bytes: this.storageBytes(),
        bytesMeasure: "of B-tree pages",
      }),
      entries: () => this.entries(),
      putStored: (entries) => this.setStoredMany(entries),
      drop: async () => ({ count: await this.drop(), unit: "pairs" }),
    };
  }

  async getMany(keys: readonly PairKey[]): Promise<Array<number | undefined>> {
    // LMDB reads are memory-mapped and synchronous; a batch costs microseconds.
    return this.getStoredMany(keys.map(storedKey));
  }

  async getStoredMany(keys: readonly Buffer[]): Promise<Array<number | undefined>> {
    // A fresh snapshot: lmdb-js keeps one read transaction until the next macrotask, which
    // would miss what another process committed since (a pair it cached, then unclaimed).
    this.root.resetReadTxn();
    return keys.map((k) => {
      const v: unknown = this.db.get(k);
      return isSeniority(v) ? v : undefined;
    });
  }

  async setMany(entries: ReadonlyArray<readonly [PairKey, number]>): Promise<void> {
    return this.setStoredMany(entries.map(([k, v]) => [storedKey(k), v] as const));
  }

  async setStoredMany(entries: ReadonlyArray<readonly [Buffer, number]>): Promise<void> {
    if (entries.length === 0) return;
    await this.db.transaction(() => {
      for (const [k, v] of entries) void this.db.put(k, v);
    });
  }

  /** Every stored (key, value), in batches. */
  async *entries(batch = 10_000): AsyncIterable<Array<readonly [Buffer, number]>> {
    let out: Array<readonly [Buffer, number]> = [];
    for (const { key, value } of this.db.getRange()) {
      out.push([Buffer.from(key as unknown as Uint8Array), value]);
      if (out.length >= batch) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  }

  /** Deletes the namespace's database; returns the pairs it held. */
  async drop(): Promise<number> {
    const n = this.db.getCount();
    await this.db.drop();
    return n;
  }

  /** Pages of the namespace's B-tree, for bytes per pair. */
  storageBytes(): number {
    const s = this.db.getStats() as {
      pageSize?: number;
      treeBranchPageCount?: number;
      treeLeafPageCount?: number;
      overflowPages?: number;
    };
    return (
      (s.pageSize ?? 4096) *
      ((s.treeBranchPageCount ?? 0) + (s.treeLeafPageCount ?? 0) + (s.overflowPages ?? 0))
    );
  }

  get size(): number {
    return this.db.getCount();
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}
