import type { ScriptRunner } from "./redis-scripts";

/** Reads and writes inside one {@link RecordSpace.update}. */
export interface RecordTxn {
  get(key: string): unknown;
  put(key: string, value: unknown): void;
  remove(key: string): void;
}

/**
 * A small key-value space that every process on this machine opening the same cache shares:
 * where they keep who holds what (leases, claims, a shared schedule). Nothing in it needs to
 * survive a reboot.
 */
export interface RecordSpace {
  readonly description: string;
  /**
   * Runs `fn` as one write transaction, serialised with every writer of the space in every
   * process; its reads see every commit made before it. Returns what `fn` returns; a throw
   * rolls the transaction back.
   */
  update<T>(fn: (txn: RecordTxn) => T): T;
  close(): Promise<void>;
}

/**
 * Where processes sharing a store can agree on who does what, when the store offers a place:
 * the Redis holding the cache (workers on any machine), or a record space beside an embedded
 * cache (processes on its machine).
 */
export type CoordinationSite =
  | { readonly kind: "redis"; readonly scripts: ScriptRunner }
  | { readonly kind: "machine"; openSpace(): RecordSpace };
