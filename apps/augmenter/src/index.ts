export { createAugmenter } from "./create-augmenter";
export type { AugmenterConfig, AugmenterInstance } from "./create-augmenter";
export { AUGMENTER_OPTIONS, defaultErrorsUri } from "./config";
export type { RunReport, RunTotals } from "./service/run-report";
export type { FileReport } from "./pipeline/file-report";
export { formatSummary } from "./service/run-report";
export { gunzipIf } from "./pipeline/stream-io";
export {
  FILE_QUEUE_NAME,
  FILE_QUEUE_PREFIX,
  fileJobId,
  fileQueueName,
  openFileQueue,
} from "./work/file-queue";
export type { FileJobData, FileQueueOptions, OpenedFileQueue } from "./work/file-queue";
export { FileEnqueuer } from "./work/file-enqueuer";
