import * as grpc from "@grpc/grpc-js";

/** A batch the model did not answer correctly; `retryable` says whether trying again may help. */
export class ModelError extends Error {
  readonly code = "ERR_MODEL";
  constructor(
    message: string,
    readonly kind: "status" | "malformed",
    readonly retryable: boolean,
    readonly grpcCode?: number,
  ) {
    super(message);
    this.name = this.constructor.name;
  }
}

const RETRYABLE = new Set<number>([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.RESOURCE_EXHAUSTED,
]);

/** grpc-js ends a connection failure with "Resolution note: " and, often, nothing after it. */
const tidy = (details: string) => details.replace(/\.? Resolution note: ?$/, "");

export function modelErrorFrom(err: unknown): ModelError {
  if (err instanceof ModelError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "number") {
    const name = grpc.status[code] ?? String(code);
    return new ModelError(
      `model call failed: ${name}: ${tidy((err as { details?: string }).details ?? (err as Error).message)}`,
      "status",
      RETRYABLE.has(code),
      code,
    );
  }
  return new ModelError(`model call failed: ${(err as Error).message ?? String(err)}`, "status", true);
}

/**
 * Checks a response against its request of `n` pairs: exactly one answer per index uuid
 * 0..n-1 and every seniority an integer in 1..7. Anything else would risk assigning a value to
 * the wrong pair, so the whole batch is rejected (and retried).
 */
export function validateAnswers(
  n: number,
  answers: ReadonlyArray<{ uuid: number; seniority: number }>,
): Int8Array {
  const values = new Int8Array(n);
  if (answers.length !== n)
    throw new ModelError(`malformed response: ${answers.length} answers for ${n} pairs`, "malformed", true);
  for (const a of answers) {
    if (!Number.isInteger(a.uuid) || a.uuid < 0 || a.uuid >= n) {
      throw new ModelError(
        `malformed response: unknown uuid ${a.uuid} in a batch of ${n}`,
        "malformed",
        true,
      );
    }
    if (values[a.uuid] !== 0)
      throw new ModelError(`malformed response: uuid ${a.uuid} answered twice`, "malformed", true);
    if (!Number.isInteger(a.seniority) || a.seniority < 1 || a.seniority > 7) {
      throw new ModelError(
        `malformed response: seniority ${a.seniority} for uuid ${a.uuid} is outside 1..7`,
        "malformed",
        true,
      );
    }
    values[a.uuid] = a.seniority;
  }
  return values;
}
