import type { PairKey } from "./pair-key";
import type { CacheAdmin } from "./cache-admin";
import type { CoordinationSite } from "./record-space";

/**
 * The shared (L2) store behind the in-process cache: only what the service calls. Every
 * call is one round trip for the whole batch, whatever the batch size.
 */
export interface SeniorityStore {
  /** Human-readable location without credentials, for logs. */
  readonly description: string;
  /** Values for `keys`, in order; `undefined` where the store has none. */
  getMany(keys: readonly PairKey[]): Promise<Array<number | undefined>>;
  setMany(entries: ReadonlyArray<readonly [PairKey, number]>): Promise<void>;
  /** Where the processes sharing this store can coordinate; absent when they cannot. */
  readonly coordination?: CoordinationSite;
  /** What the cache commands need to administer the store; absent when it cannot be administered. */
  readonly admin?: CacheAdmin;
  close(): Promise<void>;
}

export function isSeniority(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 7;
}
