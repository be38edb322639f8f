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
 * table and the calls that met it (only those: a bulk import counts what each call did) are sent
 * again, a few times.
 */
export async function sendPerNode(redis: Client, calls: readonly SlotCall[]): Promise<unknown[]> {
  const out = new Array<unknown>(calls.length);
  let left = calls.map((_, i) => i);
  for (let attempt = 1; left.length > 0; attempt++) {
    const { moved, error } = await sendOnce(redis, calls, left, out);
    if (moved.length > 0 && (!(redis instanceof Cluster) || attempt >= 4)) throw error;
    left = moved;
    if (left.length > 0 && redis instanceof Cluster) {
      await new Promise<void>((resolve) => redis.refreshSlotsCache(() => resolve()));
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
  return out;
}

const isTopologyError = (err: unknown) =>
  /^(MOVED|ASK|CLUSTERDOWN|TRYAGAIN)\b/.test((err as Error).message ?? "");

/**
 * One pipeline per node for the calls `indices`, results into `out`. Returns the calls that met a
 * topology error (with one such error); any other error fails the send, once every pipeline has
 * answered (so no retry overlaps a pipeline still in flight).
 */
async function sendOnce(
  redis: Client,
  calls: readonly SlotCall[],
  indices: readonly number[],
  out: unknown[],
): Promise<{ moved: number[]; error: unknown }> {
  const groups = new Map<string, number[]>();
  if (redis instanceof Cluster) {
    for (const i of indices) {
      const node = redis.slots[(calls[i] as SlotCall).slot]?.join(",") ?? "";
      const g = groups.get(node);
      if (g) g.push(i);
      else groups.set(node, [i]);
    }
  } else groups.set("", [...indices]);
  const moved: number[] = [];
  let movedError: unknown;
  let other: unknown;
  await Promise.all(
    [...groups.values()].map(async (idx) => {
      const pipeline = redis.pipeline();
      for (const i of idx) calls[i]?.call(pipeline as never);
      let results: Array<[Error | null, unknown]>;
      try {
        results = (await pipeline.exec()) ?? [];
      } catch (err) {
        if (isTopologyError(err)) {
          moved.push(...idx);
          movedError ??= err;
        } else other ??= err;
        return;
      }
      results.forEach(([err, value], j) => {
        const i = idx[j] as number;
        if (!err) out[i] = value;
        else if (isTopologyError(err)) {
          moved.push(i);
          movedError ??= err;
        } else other ??= err;
      });
    }),
  );
  if (other !== undefined) throw other;
  return { moved, error: movedError };
}
