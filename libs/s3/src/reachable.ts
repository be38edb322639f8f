import type { ObjectStore } from "./object-store";

/** Why a storage call failed, in the operator's terms; `config` when only a setting can fix it. */
export interface StorageProblem {
  message: string;
  config: boolean;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "ECONNRESET",
  "EHOSTUNREACH",
]);

/**
 * Names the setting behind a failed call to `location`: the endpoint (`endpointSetting`, e.g.
 * "--s3-endpoint (or S3_ENDPOINT)"), the credentials, or the bucket and prefix.
 */
export function explainStorageError(
  err: unknown,
  location: string,
  endpoint: string | undefined,
  endpointSetting: string,
): StorageProblem {
  const e = err as Error & { code?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? "";
  const where = endpoint ? `the S3 endpoint ${endpoint} (${endpointSetting})` : "AWS S3";
  if (name === "CredentialsProviderError")
    return {
      message: `no credentials for ${location}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with an instance role`,
      config: true,
    };
  if (name === "NoSuchBucket")
    return { message: `${location}: the bucket does not exist at ${where}`, config: true };
  if (
    /^(AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|Forbidden)$/.test(name) ||
    e.$metadata?.httpStatusCode === 403
  )
    return {
      message: `${location}: access denied by ${where} (${name}): check the credentials (AWS_ACCESS_KEY_ID, AWS_PROFILE) and the bucket's policy`,
      config: true,
    };
  if (name === "AbortError" || (name === "TimeoutError" && !e.code))
    return { message: `no answer from ${where} for ${location} (gave up waiting)`, config: false };
  const code = e.code ?? (e.cause as { code?: string } | undefined)?.code;
  if ((code && NETWORK_CODES.has(code)) || name === "TimeoutError")
    return { message: `cannot reach ${where} for ${location}: ${e.message}`, config: false };
  return { message: `${location}: ${e.message || name}`, config: false };
}

/**
 * A store that failed its check. `code` is `ERR_CONFIG` when only a setting can fix it (the
 * convention every command's exit code follows: 2), else `ERR_UNREACHABLE`.
 */
export class StoreCheckError extends Error {
  readonly code: "ERR_CONFIG" | "ERR_UNREACHABLE";
  constructor(problem: StorageProblem) {
    super(problem.message);
    this.name = "StoreCheckError";
    this.code = problem.config ? "ERR_CONFIG" : "ERR_UNREACHABLE";
  }
}

/**
 * Probes the store before any work (on S3 a ListObjectsV2 of one key), proving the location
 * answers and the credentials may list it; otherwise throws a StoreCheckError naming the setting to fix.
 */
export async function checkStore(
  store: ObjectStore,
  endpoint: string | undefined,
  endpointSetting = "S3_ENDPOINT (or --s3-endpoint)",
  timeoutMs = 15_000,
): Promise<void> {
  try {
    // Bounded: an endpoint that drops packets must not leave a start silent for minutes.
    await store.probe(AbortSignal.timeout(timeoutMs));
  } catch (err) {
    throw new StoreCheckError(explainStorageError(err, store.location, endpoint, endpointSetting));
  }
}
