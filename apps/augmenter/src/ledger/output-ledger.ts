import type { ObjectHead, ObjectStore } from "@rl/s3";

/**
 * "Done" lives in the output store itself, so no other ledger can drift from it: a file is done
 * when its output exists and that output's `source-etag` metadata is the ETag of the input it was
 * made from. A re-uploaded input (a new ETag) is therefore not done, and is processed again.
 * The writer stamps every output and dead-letter object with it; discovery checks it.
 */
const SOURCE_ETAG = "source-etag";

/** The metadata that ties an output (or dead-letter object) to the version of the input it was made from. */
export function sourceStamp(etag: string): Record<string, string> {
  return { [SOURCE_ETAG]: etag };
}

/** The input ETag an object was stamped with, if any. */
export function stampedSource(head: ObjectHead | undefined): string | undefined {
  return head?.metadata[SOURCE_ETAG];
}

/** The dead-letter object's key: the input's name, plain JSONL even for a .gz input. */
export function deadLetterKey(key: string): string {
  return key.replace(/\.gz$/, "");
}

/** What the done check needs of the output store. */
export type OutputHeads = Pick<ObjectStore, "head">;

/** Whether the output at `key` was made from this version (`etag`) of its input: one HEAD. */
export async function isOutputDone(outputs: OutputHeads, key: string, etag: string): Promise<boolean> {
  return stampedSource(await outputs.head(key)) === etag;
}
