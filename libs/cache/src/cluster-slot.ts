/// <reference path="./cluster-key-slot.d.ts" />
import calculateSlot from "cluster-key-slot";

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
