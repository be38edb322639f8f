import { Cluster, type Redis } from "ioredis";
import { clusterSlot } from "./cluster-slot";

type Client = Redis | Cluster;

/** A command for one slot, added to whatever pipeline it is given. */
export interface SlotCall {
  slot: number;
  call(pipeline: never): unknown;
}

/**
 * Items split so that each part may go as one multi-key command or Lua call: on one node,
 * one part (callers cut it by size); on a cluster, one part per slot of `keyOf`.
 */
export function groupBySlot<T>(
  redis: Client,
  items: readonly T[],
  keyOf: (t: T) => string,
): Array<{ slot: number; items: T[] }> {
  if (!(redis instanceof Cluster)) return [{ slot: 0, items: items.slice() }];
  const parts = new Map<number, T[]>();
  for (const t of items) {
    const slot = clusterSlot(keyOf(t));
    const part = parts.get(slot);
    if (part) part.push(t);
    else parts.set(slot, [t]);
  }
  return [...parts].map(([slot, part]) => ({ slot, items: part }));
}

/**
 * Sends the calls in one round trip per node and returns their results in order: one
 * pipeline on a single node; on a cluster, one pipeline per master, each call's keys in one
 * slot (ioredis retries a pipeline on MOVED / ASK during a failover). Not ioredis's
 * auto-pipelining: it groups Lua calls by their first argument, the key count, and fails
 * (redis/ioredis#2109). The first error fails the whole send.
 */
export async function sendPerNode(redis: Client, calls: readonly SlotCall[]): Promise<unknown[]> {
  if (calls.length === 0) return [];
  const groups = new Map<string, number[]>();
  if (redis instanceof Cluster) {
    calls.forEach(({ slot }, i) => {
      const node = redis.slots[slot]?.join(",") ?? "";
      const g = groups.get(node);
      if (g) g.push(i);
      else groups.set(node, [i]);
    });
  } else
    groups.set(
      "",
      calls.map((_, i) => i),
    );
  const out = new Array<unknown>(calls.length);
  await Promise.all(
    [...groups.values()].map(async (idx) => {
      const pipeline = redis.pipeline();
      for (const i of idx) calls[i]?.call(pipeline as never);
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([err, value], j) => {
        if (err) throw err;
        out[idx[j] ?? 0] = value;
      });
    }),
  );
  return out;
}
