import { createHash } from "node:crypto";

/**
 * What several augmenter processes sharing one raw prefix, one cache and one model agree on:
 * who processes a file, how fast all of them together call the model, and who infers a pair
 * that several miss at once. One process alone uses {@link SoloCoordinator}, which agrees
 * with itself.
 */
export interface Coordinator {
  /** True when other workers may exist (a shared Redis); false for a lone process. */
  readonly shared: boolean;
  /** This worker's name in claims. */
  readonly workerId: string;
  /**
   * Reserves `n` pairs on the model rate shared by every worker; resolves to the milliseconds
   * to wait before sending them. `undefined` when pacing is local.
   */
  reserveModelPairs(n: number): Promise<number | undefined>;
  /** For each stored pair key: claimed for this worker to infer (true), or held by another (false). */
  claimPairs(keys: readonly Buffer[]): Promise<boolean[]>;
  /** Gives up claims this worker holds (after the values are cached, or on failure). */
  releasePairs(keys: readonly Buffer[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Who processes which file when processes list the raw prefix themselves (no file queue): the
 * processes on one machine over an embedded cache.
 */
export interface FileLeases {
  /**
   * A lease on one version (ETag) of an input, renewed while held; `undefined` when another
   * process holds it. A lease outlives a crashed process by at most its TTL, unless the process
   * comes back under the same id, which takes its leases (and pair claims) back at once.
   */
  leaseFile(key: string, etag: string): Promise<FileLease | undefined>;
}

export interface FileLease {
  /** True once a renewal found the lease taken over (this worker stalled past the TTL). */
  readonly lost: boolean;
  release(): Promise<void>;
}

/**
 * A lone process: nothing to coordinate. Every lease and claim is its own, and the model's rate
 * is paced locally (create-augmenter wires a LocalPacer for it).
 */
export class SoloCoordinator implements Coordinator, FileLeases {
  readonly shared = false;
  constructor(readonly workerId = "local") {}
  async leaseFile(): Promise<FileLease> {
    return { lost: false, release: async () => {} };
  }
  async reserveModelPairs(): Promise<undefined> {
    return undefined;
  }
  async claimPairs(keys: readonly Buffer[]): Promise<boolean[]> {
    return keys.map(() => true);
  }
  async releasePairs(): Promise<void> {}
  async close(): Promise<void> {}
}

/** What every shared coordinator is told at wiring time. */
export interface CoordinationOptions {
  /** Model version: pair claims are per namespace, like the cache. */
  modelVersion: string;
  /** Identifies the raw prefix the workers share (leases are per input). */
  rawLocation: string;
  /** Identifies the model whose rate is shared. */
  modelAddress: string;
  /** The model's sustainable rate, pairs/s, for all workers together. */
  pairsPerSecond: number;
  /** File lease TTL (embedded cache only); renewed every third of it. @default 60_000 */
  fileLeaseMs?: number;
  /** Pair claim TTL: longer than a model call with its retries. @default 120_000 */
  pairClaimMs?: number;
  workerId?: string;
  onWarning?: (message: string, error: Error) => void;
}

/** A short, stable name for a long identifier (a raw location, a model address, a long key). */
export const shortHash = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 12);

/**
 * A lease its holder renews every third of `leaseMs` until released: the part both shared
 * coordinators have in common. `renew` resolves false once the lease is found taken over
 * (`lost`); a renewal that fails is reported and tried again at the next tick. `timers` is the
 * coordinator's set, cleared on close.
 */
export function renewedLease(o: {
  leaseMs: number;
  renew: () => Promise<boolean>;
  release: () => Promise<void>;
  timers: Set<NodeJS.Timeout>;
  onRenewError: (err: Error) => void;
}): FileLease {
  let lost = false;
  const timer = setInterval(
    () => {
      o.renew().then(
        (ok) => {
          if (!ok) lost = true;
        },
        (err: Error) => o.onRenewError(err),
      );
    },
    Math.max(100, Math.floor(o.leaseMs / 3)),
  );
  timer.unref();
  o.timers.add(timer);
  return {
    get lost() {
      return lost;
    },
    release: async () => {
      clearInterval(timer);
      o.timers.delete(timer);
      await o.release();
    },
  };
}
