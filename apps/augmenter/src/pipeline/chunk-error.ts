/**
 * A chunk of records could not be resolved: its L2 read or the model failed for good (after the
 * scheduler's retries). The message is the cause's, so the file's report says what failed.
 */
export class ChunkError extends Error {
  readonly code = "ERR_CHUNK";
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = this.constructor.name;
  }
}
