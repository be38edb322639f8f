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
 * slot. Not ioredis's auto-pipelining: it groups Lua calls by their first argument, the key
 * count, and fails (redis/ioredis#2109). The first error fails the whole send.
 *
 * After a failover the slot table is stale. ioredis retries a pipeline on MOVED only when every
 * call in it was moved to the same node; a pipeline over several slots whose calls partly moved
 * (the promoted replica took some of them) comes back with MOVED errors and the table is never
 * refreshed, so every later send failed the same way (seen in the scale-out e2e: L2 "down" for
 * good after a master was killed). So a MOVED / ASK / CLUSTERDOWN answer refreshes the slot
 * table and the whole send is tried again, a few times.
 */
export async function sendPerNode(redis: Client, calls: readonly SlotCall[]): Promise<unknown[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await sendOnce(redis, calls);
    } catch (err) {
      if (!(redis instanceof Cluster) || attempt >= 4 || !isTopologyError(err)) throw err;
      await new Promise<void>((resolve) => redis.refreshSlotsCache(() => resolve()));
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

const isTopologyError = (err: unknown) =>
  /^(MOVED|ASK|CLUSTERDOWN|TRYAGAIN)\b/.test((err as Error).message ?? "");

async function sendOnce(redis: Client, calls: readonly SlotCall[]): Promise<unknown[]> {
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
