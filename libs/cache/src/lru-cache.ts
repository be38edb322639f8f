/**
 * A bounded map that keeps recently used entries: CLOCK, the usual approximation of LRU.
 *
 * Why not an exact LRU on a Map's insertion order: that moves the entry on every hit (a
 * `delete` and a `set`), and the holes the deletes leave make the Map rehash itself every few
 * hundred thousand hits; on the warm path that was the largest single cost after JSON.parse
 * (16% of the CPU profile). Here a hit is one Map read and one byte written.
 *
 * States of a slot: FREE (never filled, only below the bound), REFERENCED (used since the hand
 * last passed), UNREFERENCED. `get` moves a slot to REFERENCED; the hand, looking for a victim
 * when the cache is full, moves REFERENCED to UNREFERENCED and evicts the first UNREFERENCED
 * slot it meets. So an entry used since the hand's last pass survives it, as in LRU, and an
 * entry never used again is evicted within two passes.
 */
export class LruCache<K, V> {
  /** Key → slot. */
  private readonly index = new Map<K, number>();
  private readonly keys: K[] = [];
  private readonly values: V[] = [];
  /** One mark per slot, grown with the slots: a generous bound costs nothing until it is used. */
  private referenced = new Uint8Array(0);
  private hand = 0;

  constructor(readonly maxEntries: number) {
    if (!(maxEntries >= 1)) throw new Error(`LruCache maxEntries must be at least 1, got ${maxEntries}`);
  }

  get size(): number {
    return this.index.size;
  }

  get(key: K): V | undefined {
    const slot = this.index.get(key);
    if (slot === undefined) return undefined;
    this.referenced[slot] = 1;
    return this.values[slot];
  }

  /** The value without touching its recency: a check is not a use. */
  peek(key: K): V | undefined {
    const slot = this.index.get(key);
    return slot === undefined ? undefined : this.values[slot];
  }

  set(key: K, value: V): void {
    const known = this.index.get(key);
    if (known !== undefined) {
      this.values[known] = value;
      this.referenced[known] = 1;
      return;
    }
    let slot = this.keys.length;
    if (slot >= this.maxEntries) {
      slot = this.victim();
      this.index.delete(this.keys[slot] as K);
    } else if (slot === this.referenced.length) {
      const grown = new Uint8Array(Math.min(this.maxEntries, Math.max(1024, slot * 2)));
      grown.set(this.referenced);
      this.referenced = grown;
    }
    this.keys[slot] = key;
    this.values[slot] = value;
    // A new entry starts unreferenced: one the cache never reads again goes first.
    this.referenced[slot] = 0;
    this.index.set(key, slot);
  }

  clear(): void {
    this.index.clear();
    this.keys.length = 0;
    this.values.length = 0;
    this.referenced = new Uint8Array(0);
    this.hand = 0;
  }

  /** The slot to reuse: the first unreferenced one from the hand on, clearing marks it passes. */
  private victim(): number {
    for (;;) {
      const slot = this.hand;
      this.hand = slot + 1 === this.maxEntries ? 0 : slot + 1;
      if (this.referenced[slot] === 0) return slot;
      this.referenced[slot] = 0;
    }
  }
}
