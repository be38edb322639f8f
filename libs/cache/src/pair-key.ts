import { hash } from "node:crypto";

/** 16 bytes: the first 128 bits of SHA-256 over `company \0 title` (normalised text). */
export type PairKey = Buffer;

/**
 * The cache key of design.md §2.3. SHA-256 truncated to 128 bits rather than a non-crypto
 * hash: measured faster than MD5 on these machines (SHA extensions), and a hostile input
 * cannot craft two pairs that share a key and so receive each other's seniority.
 */
export function pairKey(pairText: string): PairKey {
  return hash("sha256", pairText, "buffer").subarray(0, 16);
}

/** The text a pair is keyed and cached by: normalised company, NUL, normalised title. */
/**
 * What every backend stores per pair: the first 8 bytes (64 bits) of the key. The same identity
 * everywhere is what lets export / restore move a namespace between Redis, LMDB and memory.
 * At 20M pairs the chance that any two share it is about 1 in 100,000.
 */
export const STORED_KEY_BYTES = 8;

export function storedKey(key: PairKey): Buffer {
  return key.subarray(0, STORED_KEY_BYTES);
}

export function pairText(company: string, title: string): string {
  return `${company}\u0000${title}`;
}

export function splitPairText(text: string): { company: string; title: string } {
  const i = text.indexOf("\u0000");
  return { company: text.slice(0, i), title: text.slice(i + 1) };
}
