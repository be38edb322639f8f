import type { Readable } from "node:stream";
import { freeArrayBuffer } from "@rl/cli";

const HANDS_OVER = Symbol("handsOverChunks");

/**
 * Marks a body whose every chunk is a Buffer over (all or part of) an ArrayBuffer that no other
 * chunk and nothing else uses, and which the producer neither keeps nor writes again once the
 * chunk is handed on. Its consumer may then take the memory: move a chunk to another thread
 * instead of copying it (a local file's reads: Node's file streams allocate each read afresh),
 * or free it as soon as the chunk is written (see {@link releaseChunk}).
 */
export function handingOverChunks<T extends Readable>(body: T): T {
  (body as T & { [HANDS_OVER]?: true })[HANDS_OVER] = true;
  return body;
}

/**
 * Frees the memory of a chunk of a body marked by {@link handingOverChunks}, which its consumer
 * has written and holds no more (see `freeArrayBuffer`). Left to the garbage collector, spent
 * output chunks were 50-60 MiB of the warm path's peak RSS. Buffers under 64 KiB are left
 * alone: never worth it (and Node's shared pool, which a marked body never uses, is 8 KiB).
 */
export function releaseChunk(chunk: Uint8Array): void {
  if (chunk.buffer instanceof ArrayBuffer && chunk.buffer.byteLength >= 64 * 1024)
    freeArrayBuffer(chunk.buffer);
}

/** Whether `body` was marked by {@link handingOverChunks}. */
export function handsOverChunks(body: Readable): boolean {
  return (body as Readable & { [HANDS_OVER]?: true })[HANDS_OVER] === true;
}

export interface ObjectInfo {
  /** Key relative to the store's prefix. */
  key: string;
  size: number;
  /** ETag without quotes. */
  etag: string;
  lastModified: Date;
}

export interface ObjectHead {
  size: number;
  etag: string;
  metadata: Record<string, string>;
}

export interface PutOptions {
  metadata?: Record<string, string>;
  contentType?: string;
}

/**
 * The only storage operations the services use, over one bucket and prefix. Keys are relative
 * to the prefix; an adapter never reads or writes outside it.
 */
export interface ObjectStore {
  /** Human-readable location, for logs and errors (`s3://bucket/prefix/`, `file:///dir/`). */
  readonly location: string;
  /** Lists keys under the prefix in lexicographic order, after `startAfter` when given. */
  list(options?: { startAfter?: string }): AsyncIterable<ObjectInfo>;
  head(key: string): Promise<ObjectHead | undefined>;
  get(key: string): Promise<Readable>;
  /**
   * Writes an object whole or not at all: a reader sees the old object or the complete new
   * one, never a part. A failed streaming upload leaves nothing behind.
   */
  put(key: string, body: Readable | Buffer | string, options?: PutOptions): Promise<{ etag: string }>;
  delete(key: string): Promise<void>;
  /**
   * One cheap call that proves the location answers now (readiness): S3 lists at most one key,
   * a directory is looked up. Rejects with the cause when it does not; `signal` cuts it short.
   */
  probe(signal?: AbortSignal): Promise<void>;
}

/** Rejects keys that could address anything outside the store's prefix or root. */
export function assertSafeKey(key: string, location: string): void {
  const bad =
    key.length === 0 ||
    key.length > 1024 ||
    key.startsWith("/") ||
    key.includes("\u0000") ||
    key.split("/").some((part) => part === ".." || part === "." || part === "");
  if (bad) throw new Error(`unsafe object key ${JSON.stringify(key.slice(0, 200))} for ${location}`);
}
