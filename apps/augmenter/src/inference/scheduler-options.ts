import type { ModelError } from "../model/model-error";

export interface SchedulerOptions {
  /** The model's sustainable rate; batches are paced so pairs sent per second stay at it. @default 1000 */
  pairsPerSecond: number;
  /** @default 1000 */
  batchSize: number;
  /**
   * Most encoded bytes one model request may carry: batches are cut by bytes as well as by
   * count, so no record can push a request past the model's message limit (gRPC's default is
   * 4 MiB). @default 4_000_000
   */
  maxRequestBytes: number;
  /** How long a partial batch waits for more misses before it is sent. @default 50 */
  lingerMs: number;
  /** RPCs in flight at once. Two keep the model busy across a round trip. @default 2 */
  maxInFlight: number;
  /** Deadline of each call. @default 30_000 */
  deadlineMs: number;
  /** Tries per batch, the first included. @default 5 */
  maxAttempts: number;
  /** @default 250 */
  backoffBaseMs: number;
  /** @default 10_000 */
  backoffMaxMs: number;
  /**
   * Shared mode: how often the pair claims this worker holds are renewed, so a claim never lapses
   * while its owner is still working on the pair (slow model, retries, answers waiting for L2).
   * A third of the claim TTL. @default 40_000
   */
  claimRenewMs: number;
}

export const DEFAULT_SCHEDULER_OPTIONS: SchedulerOptions = {
  pairsPerSecond: 1000,
  batchSize: 1000,
  maxRequestBytes: 4_000_000,
  lingerMs: 50,
  maxInFlight: 2,
  deadlineMs: 30_000,
  maxAttempts: 5,
  backoffBaseMs: 250,
  backoffMaxMs: 10_000,
  claimRenewMs: 40_000,
};

export interface SchedulerEvents {
  onBatch?(e: { pairs: number; attempt: number; ms: number; error?: ModelError }): void;
  /** An L2 write failed: model calls pause until L2 answers, and the values are written then. */
  onCacheWriteError?(err: Error, pairs: number): void;
}

export interface SchedulerStats {
  requested: number;
  joined: number;
  pairsSent: number;
  rpcs: number;
  failedRpcs: number;
  retries: number;
  failedPairs: number;
  modelMs: number;
  cacheWriteMs: number;
  cacheWriteErrors: number;
  /** Pairs another worker inferred while this one waited for them (shared mode). */
  remoteResolved: number;
  coordinationErrors: number;
  /** Answered pairs waiting for L2 to come back to be stored. */
  unstored: number;
  pending: number;
  queued: number;
  inFlight: number;
}
