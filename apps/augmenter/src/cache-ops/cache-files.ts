import { createReadStream, createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { Readable, pipeline } from "node:stream";
import { pipeline as pipelineAsync } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { gunzipIf } from "../pipeline/stream-io";
import { openObjectStore, type S3ClientOptions } from "@rl/s3";

/** A local path or `s3://bucket/key` as a byte stream (gunzipped for `.gz`), with its size when known. */
export async function openSource(
  uri: string,
  s3: S3ClientOptions,
): Promise<{ stream: Readable; size?: number }> {
  let raw: Readable;
  let size: number | undefined;
  if (uri.startsWith("s3://")) {
    const store = await openObjectStore(`${dirname(uri)}/`, s3);
    const key = basename(uri);
    size = (await store.head(key))?.size;
    raw = await store.get(key);
  } else {
    size = (await stat(uri)).size;
    raw = createReadStream(uri);
  }
  return { stream: gunzipIf(uri, raw), ...(size !== undefined ? { size } : {}) };
}

/** Writes lines to a local path or `s3://bucket/key` (gzipped for `.gz`), whole or not at all on S3. */
export async function writeDestination(
  uri: string,
  lines: AsyncIterable<string>,
  s3: S3ClientOptions,
): Promise<void> {
  const body = Readable.from(lines);
  const payload = uri.endsWith(".gz") ? pipeline(body, createGzip(), () => {}) : body;
  if (uri.startsWith("s3://")) {
    await (await openObjectStore(`${dirname(uri)}/`, s3)).put(basename(uri), payload);
  } else {
    await pipelineAsync(payload, createWriteStream(uri));
  }
}
