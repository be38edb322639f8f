import type { FileReport } from "./file-report";

/** A file that failed; `report` says how far it got (status "failed", the error, its counts). */
export class FileError extends Error {
  readonly code = "ERR_FILE";
  constructor(
    readonly key: string,
    readonly report: FileReport,
    options?: { cause?: unknown },
  ) {
    super(`${key}: ${report.error ?? "failed"}`, options);
    this.name = this.constructor.name;
  }
}
