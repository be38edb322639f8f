import { seededRandom as mulberry32 } from "@rl/random";

/**
 * The fault injector's generator for a text seed. The text is folded into 32 bits this way (not
 * the sample generator's FNV-1a) so that a seed keeps giving the fault pattern it always gave.
 */
export function seededRandom(seed: string): () => number {
  let a = 0x9e3779b9;
  for (let i = 0; i < seed.length; i++) a = Math.imul(a ^ seed.charCodeAt(i), 0x85ebca6b);
  return mulberry32(a);
}
