import { L2Availability, type L2AvailabilityEvents } from "./l2-availability";
import { LruCache } from "./lru-cache";
import { pairKey } from "./pair-key";
import type { SeniorityStore } from "./seniority-store";

export interface LookupResult {
  /** Values found, by pair text. */
  found: Map<string, number>;
  /** Pair texts found in neither tier. */
  misses: string[];
  l1Hits: number;
  l2Hits: number;
  /** Time waiting on the L2 read, ms. */
  l2ReadMs: number;
}

/** A key no pair has (16 zero bytes): what the availability probe reads. */
const PROBE_KEY = Buffer.alloc(16);

/**
 * L1: a bounded in-process LRU keyed by the pair's key text, so a hit costs one Map lookup and
 * no hashing. L2: the shared store, keyed by the 128-bit hash of the same text. When L2 stops
 * answering, lookups wait for it (see {@link L2Availability}) instead of failing their file.
 */
export class TwoTierCache {
  private readonly l1: LruCache<string, number>;
  readonly availability: L2Availability;

  constructor(
    readonly l2: SeniorityStore,
    l1MaxEntries: number,
    availability: { events?: L2AvailabilityEvents; probeMs?: number } = {},
  ) {
    this.l1 = new LruCache(l1MaxEntries);
    this.availability = new L2Availability(
      () => l2.getMany([PROBE_KEY]),
      availability.events,
      availability.probeMs,
    );
  }

  /**
   * One small L2 read, for readiness while nothing else reads: a failure marks L2 down (as any
   * caller's would), so model calls pause and the availability probe takes over until it is back.
   */
  async probeL2(): Promise<void> {
    try {
      await this.l2.getMany([PROBE_KEY]);
    } catch (err) {
      this.availability.failed(err as Error);
      throw err;
    }
  }

  get l1Size(): number {
    return this.l1.size;
  }

  /**
   * L1's value for a pair, leaving its recency alone: for a check (was the pair answered while
   * its caller waited?), where a promotion would count a look as a use.
   */
  l1Value(text: string): number | undefined {
    return this.l1.peek(text);
  }

  /**
   * L1 for every pair, then one L2 round trip for the pairs L1 lacks. While L2 is unreachable
   * the read waits for it to return (or for `signal`), then is tried again.
   */
  async lookupMany(texts: Iterable<string>, signal?: AbortSignal): Promise<LookupResult> {
    const all = [...texts];
    const values = new Uint8Array(all.length);
    const r = await this.lookupInto(all, values, signal);
    const found = new Map<string, number>();
    const missed = new Set(r.misses);
    all.forEach((t, i) => {
      if (!missed.has(i)) found.set(t, values[i] as number);
    });
    return { ...r, found, misses: r.misses.map((i) => all[i] as string) };
  }

  /**
   * {@link lookupMany} by position, for the warm path: the value of `texts[i]` is written to
   * `values[i]` (a seniority is 1..7), and the positions neither tier had are returned. No Map
   * and no result entry per pair.
   */
  async lookupInto(
    texts: readonly string[],
    values: Uint8Array,
    signal?: AbortSignal,
  ): Promise<Omit<LookupResult, "found" | "misses"> & { misses: number[] }> {
    const l1Misses: number[] = [];
    for (let i = 0; i < texts.length; i++) {
      const v = this.l1.get(texts[i] as string);
      if (v === undefined) l1Misses.push(i);
      else values[i] = v;
    }
    const l1Hits = texts.length - l1Misses.length;
    if (l1Misses.length === 0) return { misses: [], l1Hits, l2Hits: 0, l2ReadMs: 0 };
    const t0 = performance.now();
    const keys = l1Misses.map((i) => pairKey(texts[i] as string));
    let found: Array<number | undefined>;
    for (;;) {
      await this.availability.whenUp(signal);
      try {
        found = await this.l2.getMany(keys);
        break;
      } catch (err) {
        this.availability.failed(err as Error);
      }
    }
    const l2ReadMs = performance.now() - t0;
    const misses: number[] = [];
    l1Misses.forEach((i, j) => {
      const v = found[j];
      if (v === undefined) misses.push(i);
      else {
        this.l1.set(texts[i] as string, v);
        values[i] = v;
      }
    });
    return { misses, l1Hits, l2Hits: l1Misses.length - misses.length, l2ReadMs };
  }

  /** Writes to L2 (one round trip), then L1. Returns the L2 write time, ms. */
  async storeMany(entries: ReadonlyArray<readonly [string, number]>): Promise<number> {
    const t0 = performance.now();
    await this.l2.setMany(entries.map(([t, v]) => [pairKey(t), v] as const));
    const ms = performance.now() - t0;
    this.storeL1(entries);
    return ms;
  }

  /** L1 only: when L2 is failing, values still serve this process. */
  storeL1(entries: ReadonlyArray<readonly [string, number]>): void {
    for (const [t, v] of entries) this.l1.set(t, v);
  }
}
