import { createRequire } from "node:module";

/** cluster-key-slot ships no types; this is the one function it exports. */
const calculateSlot = createRequire(import.meta.url)("cluster-key-slot") as (key: string | Buffer) => number;

/** The slots of a Redis Cluster. */
export const CLUSTER_SLOTS = 16_384;

/**
 * Redis Cluster's key slot: CRC16 (XMODEM) of the key, or of its hash tag (the text between
 * the first `{` and the next `}`, when not empty), modulo 16384. Used to group the keys of
 * one Lua call into one slot, which Redis Cluster requires. The package ioredis routes with,
 * so a call is grouped by the slot ioredis sends it to.
 */
export function clusterSlot(key: string | Buffer): number {
  return calculateSlot(key);
}
