/** Chunks whose answers a thread still waits for, at most: a chunk of a failed file never hears back. */
const MAX_AWAITED_CHUNKS = 4096;

/**
 * A parse thread's own copy of answers it has seen, so a line whose pair the thread already
 * knows is spliced there and then: the main thread only looks up the pairs a thread has not
 * met (its L1 look-ups were the largest cost left on it). A copy, never a source: every value
 * in it came from the main thread's resolution of the same pair text, and a pair's seniority
 * never changes under one model version.
 *
 * Bounded by two generations rather than L1's CLOCK: answers go into `young`; when it holds
 * half the bound it becomes `old` (the previous old is dropped), and an answer found in `old`
 * moves back to `young`. So what was used within the last generation stays, and a hit in
 * `young`, the common case, is one Map read with nothing else touched (the CLOCK's slot arrays
 * were a cache miss or two more per look-up, 11% of a parse thread's profile).
 */
export class KnownAnswers {
  private young = new Map<string, number>();
  private old = new Map<string, number>();
  private readonly half: number;
  /** Each chunk's pairs sent for resolution and the file they are of, by chunk number, until the answers come back. */
  private readonly awaited = new Map<number, { pairs: readonly string[]; file: number }>();
  private nextChunk = 1;

  constructor(maxEntries: number) {
    this.half = Math.max(1, Math.floor(maxEntries / 2));
  }

  get(pair: string): number | undefined {
    const v = this.young.get(pair);
    if (v !== undefined) return v;
    const aged = this.old.get(pair);
    if (aged !== undefined) this.keep(pair, aged);
    return aged;
  }

  /** Answers held (at most the bound given). */
  get size(): number {
    return this.young.size + this.old.size;
  }

  private keep(pair: string, v: number): void {
    this.young.set(pair, v);
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
  }

  /** Notes a chunk's unresolved pairs (of file session `file`); returns the number its answers come back under. */
  await(pairs: readonly string[], file = 0): number {
    const n = this.nextChunk++;
    if (pairs.length === 0) return n;
    this.awaited.set(n, { pairs, file });
    if (this.awaited.size > MAX_AWAITED_CHUNKS) {
      const oldest = this.awaited.keys().next().value as number;
      this.awaited.delete(oldest);
    }
    return n;
  }

  /** Forgets the chunks of a file that failed: their answers will not come. */
  forget(file: number): void {
    for (const [n, a] of this.awaited) if (a.file === file) this.awaited.delete(n);
  }

  /** The answers of chunk `n`, by position in its pairs (a seniority 1..7), or none when it failed. */
  learn(n: number, values: Uint8Array | undefined): void {
    const pairs = this.awaited.get(n)?.pairs;
    if (!pairs) return;
    this.awaited.delete(n);
    if (!values) return;
    for (let i = 0; i < pairs.length; i++) {
      const v = values[i] as number;
      if (v >= 1 && v <= 7) this.keep(pairs[i] as string, v);
    }
  }
}
