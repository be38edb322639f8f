/** mulberry32 over a 32-bit seed: fast, and reproducible across Node versions. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed from any text, so `--seed hello` works as well as `--seed 42`. */
export function seedFromText(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

const HEX = "0123456789abcdef";

/** A random v4-shaped UUID from the seeded generator (not crypto: reproducibility is the point). */
export function randomUuid(random: () => number): string {
  let s = "";
  for (let i = 0; i < 32; i++) {
    let d = Math.floor(random() * 16);
    if (i === 12) d = 4;
    if (i === 16) d = 8 + (d & 3);
    s += HEX[d];
    if (i === 7 || i === 11 || i === 15 || i === 19) s += "-";
  }
  return s;
}
