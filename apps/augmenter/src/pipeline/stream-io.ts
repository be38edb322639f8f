import { once } from "node:events";
import { Readable, pipeline, type Writable } from "node:stream";
import { createGunzip } from "node:zlib";

/**
 * The bytes of an input named `name`, gunzipped when it ends in `.gz`. Built on pipeline(),
 * not pipe(): a source that fails mid-stream must fail the reader, not leave gunzip waiting.
 */
export function gunzipIf(name: string, source: AsyncIterable<Buffer>): Readable {
  const readable = source instanceof Readable ? source : Readable.from(source);
  return name.endsWith(".gz") ? pipeline(readable, createGunzip(), () => {}) : readable;
}

/** Iterates a byte source, adding the time spent waiting for each chunk, and its size, to the callbacks. */
export async function* timedChunks(
  source: AsyncIterable<Buffer>,
  onWait: (ms: number) => void,
  onBytes: (n: number) => void,
): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  for (;;) {
    const t0 = performance.now();
    const next = await it.next();
    onWait(performance.now() - t0);
    if (next.done) return;
    const chunk = next.value as Buffer;
    onBytes(chunk.length);
    yield chunk;
  }
}

/**
 * Writes with backpressure; rejects if the consumer (an upload) fails meanwhile, instead of
 * waiting forever for a 'drain' that will not come.
 */
export async function writeChunk(stream: Writable, data: Buffer, consumer: Promise<unknown>): Promise<void> {
  if (stream.write(data)) return;
  await Promise.race([
    once(stream, "drain"),
    consumer.then(() => {
      throw new Error("upload finished before its body was fully written");
    }),
  ]);
}
