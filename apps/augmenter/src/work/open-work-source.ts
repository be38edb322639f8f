import type { Logger } from "pino";
import type { Coordinator, FileLeases } from "../coordination/coordinator";
import type { OpenedFileQueue } from "./file-queue";
import { ListingSource } from "./listing-source";
import type { FileLedger, SourceMetrics, WorkSource } from "./work-source";

export interface WorkSourceOptions {
  cacheUrl: string;
  rawLocation: string;
  modLocation: string;
  fileConcurrency: number;
  pollIntervalMs: number;
  fileRetryBaseMs: number;
  fileMaxAttempts: number;
  fileLeaseMs: number;
  queueMaxWaiting: number;
}

/** How files are handed out: by the queue (workers sharing a Redis), or by listing. */
export type FileHandout =
  { kind: "queue"; workerId: string } | { kind: "listing"; coordinator: Coordinator & FileLeases };

/**
 * The work source for the hand-out chosen at wiring time, and the queue when there is one.
 * BullMQ and ioredis are imported only for the queue: loading them takes most of a second,
 * which a process that lists its files need not pay.
 */
export async function openWorkSource(
  o: WorkSourceOptions,
  handout: FileHandout,
  discovery: FileLedger,
  metrics: SourceMetrics,
  log: Logger,
): Promise<{ source: WorkSource; fileQueue?: OpenedFileQueue }> {
  const common = {
    fileConcurrency: o.fileConcurrency,
    pollIntervalMs: o.pollIntervalMs,
    retryBaseMs: o.fileRetryBaseMs,
    maxFileAttempts: o.fileMaxAttempts,
  };
  if (handout.kind === "listing")
    return {
      source: new ListingSource(discovery, metrics, log, { ...common, coordinator: handout.coordinator }),
    };
  const [{ openFileQueue }, { QueueSource }] = await Promise.all([
    import("./file-queue"),
    import("./queue-source"),
  ]);
  const fileQueue = openFileQueue(o);
  const source = new QueueSource(fileQueue, discovery, metrics, log, {
    ...common,
    fileLockMs: o.fileLeaseMs,
    maxWaiting: o.queueMaxWaiting,
    workerId: handout.workerId,
  });
  return { source, fileQueue };
}
