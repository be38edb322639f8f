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
