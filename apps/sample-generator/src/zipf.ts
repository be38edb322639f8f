/**
 * Draws ranks 0..n-1 with probability proportional to 1 / (rank + 1)^s: a few very popular
 * items and a long tail, as company and title popularity are in real postings.
 */
export class ZipfSampler {
  private readonly cdf: Float64Array;

  constructor(
    readonly n: number,
    readonly exponent: number,
  ) {
    if (n < 1) throw new Error(`ZipfSampler needs at least one item, got ${n}`);
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      sum += 1 / Math.pow(i + 1, exponent);
      this.cdf[i] = sum;
    }
    for (let i = 0; i < n; i++) this.cdf[i] = (this.cdf[i] ?? 0) / sum;
  }

  /** `u` uniform in [0, 1). */
  sample(u: number): number {
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cdf[mid] ?? 1) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * An approximate Zipf rank in 0..n-1 by inverting the continuous distribution: O(1) and no
 * table, for the many small per-company title lists. `s` must not be 1.
 */
export function zipfRank(n: number, s: number, u: number): number {
  if (n <= 1) return 0;
  const a = 1 - s;
  return Math.min(n - 1, Math.max(0, Math.floor(Math.pow((Math.pow(n + 1, a) - 1) * u + 1, 1 / a)) - 1));
}

/** A well-mixed hash of two integers to [0, 1). */
export function hashUnit(a: number, b: number): number {
  let x = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  return ((x ^ (x >>> 16)) >>> 0) / 4294967296;
}
