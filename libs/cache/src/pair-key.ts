import { hash } from "node:crypto";

/** 16 bytes: the first 128 bits of SHA-256 over `company \0 title` (normalised text). */
export type PairKey = Buffer;

/**
 * The cache key of design.md §2.3. SHA-256 truncated to 128 bits rather than a non-crypto
 * hash: measured faster than MD5 on these machines (SHA extensions; the cost is the call,
 * ≈1.5 µs), and no input can be built to collide by construction, as Murmur-style hashes
 * allow. Backends store 64 bits of it (below): a deliberate birthday search for two colliding
 * pairs costs about 2^32 hashes, so this is no defence against a determined attacker, whose
 * reward would be one pair sharing another's seniority.
 */
export function pairKey(pairText: string): PairKey {
  return hash("sha256", pairText, "buffer").subarray(0, 16);
}

/**
 * What every backend stores per pair: the first 8 bytes (64 bits) of the key. The same identity
 * everywhere is what lets export / restore move a namespace between Redis, LMDB and memory.
 * At 20M pairs the chance that any two share it is about 1 in 100,000.
 */
export const STORED_KEY_BYTES = 8;

export function storedKey(key: PairKey): Buffer {
  return key.subarray(0, STORED_KEY_BYTES);
}

/** The text a pair is keyed and cached by: normalised company, NUL, normalised title. */
export function pairText(company: string, title: string): string {
  return `${company}\u0000${title}`;
}

/** A pair as bulk loads carry it: the 8-byte stored key, then the seniority as an ASCII digit. */
export const PACKED_PAIR_BYTES = STORED_KEY_BYTES + 1;

/** Writes record `index` of a packed batch: the stored key of `pairText` and its seniority. */
export function packPair(target: Buffer, index: number, text: string, seniority: number): void {
  const at = index * PACKED_PAIR_BYTES;
  const h = hash("sha256", text, "buffer");
  for (let b = 0; b < STORED_KEY_BYTES; b++) target[at + b] = h[b] ?? 0;
  target[at + STORED_KEY_BYTES] = 0x30 + seniority;
}

/** Record `index` of a packed batch as a stored key (a copy) and its seniority. */
export function unpackPair(records: Buffer, index: number): readonly [Buffer, number] {
  const at = index * PACKED_PAIR_BYTES;
  return [
    Buffer.from(records.subarray(at, at + STORED_KEY_BYTES)),
    (records[at + STORED_KEY_BYTES] ?? 0) - 0x30,
  ];
}

export function splitPairText(text: string): { company: string; title: string } {
  const i = text.indexOf("\u0000");
  return { company: text.slice(0, i), title: text.slice(i + 1) };
}
