import { Queue, type ConnectionOptions } from "bullmq";
import { Cluster, Redis } from "ioredis";
import { parseRedisClusterUrl } from "@rl/cache";
import type { ObjectInfo } from "@rl/s3";
import { shortHash } from "../coordination/coordinator";

/**
 * Prefix of every key of the file queue. The braces are a Redis Cluster hash tag: BullMQ's Lua
 * scripts touch several keys of one queue at once, which a cluster allows only within one slot.
 */
export const FILE_QUEUE_PREFIX = "{augmenter}";

/** The first part of every file queue's name; the rest says which raw and output prefixes it serves. */
export const FILE_QUEUE_NAME = "files";

/** Where the queue lives and which prefixes it serves. */
export interface FileQueueOptions {
  /** CACHE_URL: redis://, rediss://, redis-cluster:// or rediss-cluster://. */
  cacheUrl: string;
  /** The raw prefix the queue's files come from (`ObjectStore.location`). */
  rawLocation: string;
  /** The output prefix: the ledger that says a file is done. */
  modLocation: string;
}

/** One version of one input: what a job carries. */
export interface FileJobData {
  key: string;
  etag: string;
  size: number;
  /** ISO time the input was last modified. */
  lastModified: string;
}

/**
 * The queue's name: one queue per (raw prefix, output prefix), so deployments (and test
 * scenarios) sharing a Redis never take each other's files. No ':' (BullMQ's key separator).
 */
export function fileQueueName(o: Pick<FileQueueOptions, "rawLocation" | "modLocation">): string {
  return `${FILE_QUEUE_NAME}-${shortHash(`${o.rawLocation}\n${o.modLocation}`)}`;
}

/**
 * The job id of one version of an input: the same for every scanner, so a file is enqueued once
 * however many list it, and a re-upload (a new ETag) is a new job. BullMQ refuses ':' and
 * integers in custom ids: base64url has neither, and the "f." prefix makes it never an integer.
 */
export function fileJobId(key: string, etag: string): string {
  return `f.${Buffer.from(`${key}\n${etag}`).toString("base64url")}`;
}

export function fileJobData(info: ObjectInfo): FileJobData {
  return { key: info.key, etag: info.etag, size: info.size, lastModified: info.lastModified.toISOString() };
}

export function objectInfoOf(d: FileJobData): ObjectInfo {
  return { key: d.key, etag: d.etag, size: d.size, lastModified: new Date(d.lastModified) };
}

/** Whether CACHE_URL names a Redis (or Redis Cluster) the queue can live on. */
export const isQueueUrl = (url: string) => /^rediss?(-cluster)?:\/\//.test(url);

export const QUEUE_URL_NEEDED = "the file queue needs CACHE_URL=redis://… or redis-cluster://…";

/**
 * A connection of the queue's own, never the cache's: BullMQ blocks on it and needs commands
 * that wait for a reconnect (`maxRetriesPerRequest: null`) where the cache wants them to fail
 * fast. Reconnects are never given up: a retry strategy that returns null would leave a worker
 * waiting forever on a closed connection after a cluster failover.
 */
export function openQueueConnection(cacheUrl: string): Redis | Cluster {
  const retryStrategy = (times: number) => Math.min(times * 200, 2_000);
  const common = { maxRetriesPerRequest: null, connectTimeout: 5_000, retryStrategy };
  if (/^rediss?-cluster:/.test(cacheUrl)) {
    const c = parseRedisClusterUrl(cacheUrl);
    return new Cluster(c.nodes, {
      clusterRetryStrategy: retryStrategy,
      redisOptions: {
        ...common,
        ...(c.username ? { username: c.username } : {}),
        ...(c.password !== undefined ? { password: c.password } : {}),
        ...(c.tls ? { tls: {} } : {}),
      },
    });
  }
  return new Redis(cacheUrl, common);
}

export interface OpenedFileQueue {
  readonly queue: Queue<FileJobData>;
  /** The queue's connection, for the Worker and the scanner's lease. */
  readonly connection: Redis | Cluster;
  close(): Promise<void>;
}

/**
 * Opens the file queue of a deployment (the service, `augmenter files`, a dashboard). Throws a
 * ConfigError-worthy message when CACHE_URL is not a Redis.
 */
export function openFileQueue(o: FileQueueOptions): OpenedFileQueue {
  if (!isQueueUrl(o.cacheUrl)) throw new Error(QUEUE_URL_NEEDED);
  const connection = openQueueConnection(o.cacheUrl);
  // Errors surface on the calls that fail; an unhandled "error" event would end the process.
  connection.on("error", () => {});
  const queue = new Queue<FileJobData>(fileQueueName(o), {
    connection: connection as ConnectionOptions,
    prefix: FILE_QUEUE_PREFIX,
  });
  queue.on("error", () => {});
  return {
    queue,
    connection,
    close: async () => {
      await queue.close().catch(() => {});
      connection.disconnect();
    },
  };
}
