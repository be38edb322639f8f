import { freeArrayBuffer } from "@rl/cli";

/**
 * Counts the distinct strings it is given (a file's pairs), keeping a 52-bit hash of each in an
 * open-addressed Float64Array rather than the strings in a Set: the Set kept each file's pair
 * strings alive past two young collections, so they and the Set's outgrown tables (large
 * objects) waited for a full collection. On the warm benchmark that was ~20 MiB of peak RSS
 * across the parse threads. The table's own memory is freed as it grows and by {@link dispose},
 * for the same reason. Two strings sharing a hash count once: with 2 million strings
 * (the bound the service uses) the chance of any such pair is below 1 in 2,000.
 */
export class DistinctCounter {
  private slots = new Float64Array(1024);
  private count = 0;

  /** `limit`: strings counted at most; the count stops growing there (memory bound). */
  constructor(private readonly limit: number) {}

  get size(): number {
    return this.count;
  }

  add(text: string): void {
    // A freed table is empty: nothing more is counted (and probing it would never end).
    if (this.count >= this.limit || this.slots.length === 0) return;
    const h = hash52(text);
    // Load factor at most 1/2, so probing is short; 0 marks a free slot (hash52 is never 0).
    if (2 * (this.count + 1) > this.slots.length) this.grow();
    if (this.insert(this.slots, h)) this.count += 1;
  }

  private insert(slots: Float64Array, h: number): boolean {
    const mask = slots.length - 1;
    for (let i = h % slots.length; ; i = (i + 1) & mask) {
      const s = slots[i] as number;
      if (s === h) return false;
      if (s === 0) {
        slots[i] = h;
        return true;
      }
    }
  }

  private grow(): void {
    const bigger = new Float64Array(this.slots.length * 2);
    for (const h of this.slots) if (h !== 0) this.insert(bigger, h);
    freeArrayBuffer(this.slots.buffer);
    this.slots = bigger;
  }

  /** Frees the table; the count stays as it is (nothing added after this counts). */
  dispose(): void {
    freeArrayBuffer(this.slots.buffer);
    this.slots = new Float64Array(0);
  }
}

/** murmur3's 32-bit finaliser: spreads every input bit over the output. */
function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A 52-bit hash of `text`'s UTF-16 units (two independent 32-bit lanes), from 1 to 2^52. */
export function hash52(text: string): number {
  let a = 0x811c9dc5 ^ text.length;
  let b = 0x9747b28c;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return fmix(a) * 0x100000 + (fmix(b) >>> 12) + 1;
}
