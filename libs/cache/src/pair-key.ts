import { hash } from "node:crypto";

/** 16 bytes: the first 128 bits of SHA-256 over the pair's key text ({@link pairText}). */
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

/**
 * The text a pair is keyed and cached by: an injective encoding of the two normalised strings
 * (design.md §2.3), so two different pairs never share a key, whatever characters they hold.
 *
 * - Both fields free of NUL and a non-empty company: `company NUL title`; splitting at the only
 *   NUL recovers both fields.
 * - Otherwise: `NUL <company length in UTF-16 units> ":" company title`. It starts with NUL,
 *   which the first form never does (its company is non-empty and NUL-free), and the length
 *   prefix says where the company ends, so no two pairs meet.
 *
 * Hashing goes through UTF-8, which is injective on well-formed text; normalisation makes every
 * field well-formed first. This is key encoding 2 ({@link KEY_ENCODING}).
 */
export function pairText(company: string, title: string): string {
  // Built with join, not a template: join writes one flat string, where `+` makes a rope that
  // every Map look-up of the key walks (or flattens) again; as the L1 key, a flat string made
  // each L1 hit about twice as fast (warm path, issue 15).
  if (company.length > 0 && !company.includes("\u0000") && !title.includes("\u0000"))
    return [company, title].join("\u0000");
  return ["\u0000", company.length, ":", company, title].join("");
}

/**
 * The encoding {@link pairText} implements. The earlier one (1: `company NUL title`, re-split at
 * the first NUL) is not injective and let a crafted pair read another's entry, so a namespace
 * written under it is never read by the service: each encoding has its own namespace.
 */
export const KEY_ENCODING = 2;
export const KEY_ENCODINGS = [1, 2] as const;

/**
 * Where a model version's pairs live under a key encoding: `<version>` for the superseded
 * encoding 1 (the name earlier versions used), `<version>#k<n>` from 2 on. `#` is not allowed
 * in a model version, so no version's namespace is another's.
 */
export function storageNamespace(modelVersion: string, keyEncoding: number = KEY_ENCODING): string {
  return keyEncoding === 1 ? modelVersion : `${modelVersion}#k${keyEncoding}`;
}

/** The model version and key encoding of a namespace name. */
export function parseStorageNamespace(ns: string): { modelVersion: string; keyEncoding: number } {
  const m = /^(.*)#k(\d+)$/.exec(ns);
  return m
    ? { modelVersion: m[1] as string, keyEncoding: Number(m[2]) }
    : { modelVersion: ns, keyEncoding: 1 };
}

/** The two strings a {@link pairText} was made from. */
export function splitPairText(text: string): { company: string; title: string } {
  if (text.charCodeAt(0) !== 0) {
    const i = text.indexOf("\u0000");
    return { company: text.slice(0, i), title: text.slice(i + 1) };
  }
  const colon = text.indexOf(":");
  const end = colon + 1 + Number(text.slice(1, colon));
  return { company: text.slice(colon + 1, end), title: text.slice(end) };
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
