import type { FileReport } from "../pipeline/file-report";

/**
 * Whether a failed file can never succeed as it is, so retrying only burns attempts: its bytes
 * are not a gzip stream (or a truncated one). Everything else (S3, the model, the cache, a
 * shutdown) may pass on a later attempt. Only a new upload (a new ETag, a new job) changes it.
 */
export function isPermanentFailure(report: Pick<FileReport, "status" | "error">): boolean {
  return report.status === "failed" && /^corrupt gzip:/.test(report.error ?? "");
}
