import { storedKey, type PairKey } from "./pair-key";
import type { SeniorityStore } from "./seniority-store";

/** `memory:`: a process-local L2, for tests and throw-away runs. Not persistent. */
export class MemoryStore implements SeniorityStore {
  readonly description = "memory: (not persistent)";
  private readonly map = new Map<string, number>();

  get size(): number {
    return this.map.size;
  }

  async getMany(keys: readonly PairKey[]): Promise<Array<number | undefined>> {
    return keys.map((k) => this.map.get(storedKey(k).toString("latin1")));
  }

  async setMany(entries: ReadonlyArray<readonly [PairKey, number]>): Promise<void> {
    for (const [k, v] of entries) this.map.set(storedKey(k).toString("latin1"), v);
  }

  async close(): Promise<void> {}
}
