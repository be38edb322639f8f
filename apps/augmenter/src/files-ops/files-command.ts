import type { Job } from "bullmq";
import { redactUrl } from "@rl/cache";
import { ConfigError } from "@rl/cli";
import { openObjectStore, type S3ClientOptions } from "@rl/s3";
import type { AugmenterConfig } from "../create-augmenter";
import { settleWithin } from "../service/settle-within";
import { FILES_USAGE } from "./files-usage";
import {
  QUEUE_URL_NEEDED,
  isQueueUrl,
  openFileQueue,
  type FileJobData,
  type OpenedFileQueue,
} from "../work/file-queue";

const out = (line: string) => process.stdout.write(`${line}\n`);

/** Every failed job, oldest failure first, read in pages (the failed set has no bound of its own). */
async function failedJobs(q: OpenedFileQueue): Promise<Array<Job<FileJobData>>> {
  const jobs: Array<Job<FileJobData>> = [];
  for (let start = 0; ; start += 500) {
    const page = (await q.queue.getFailed(start, start + 499)) as Array<Job<FileJobData>>;
    jobs.push(...page);
    if (page.length < 500) break;
  }
  return jobs.sort((a, b) => (a.finishedOn ?? 0) - (b.finishedOn ?? 0));
}

/** One line per failed file, tab-separated under a header, for people and for `cut`. */
function listFailed(jobs: ReadonlyArray<Job<FileJobData>>): void {
  out(["key", "etag", "attempts", "failed at", "reason"].join("\t"));
  for (const j of jobs) {
    const when = j.finishedOn ? new Date(j.finishedOn).toISOString() : "";
    const reason = (j.failedReason ?? "").replace(/\s+/g, " ").slice(0, 500);
    out([j.data.key, j.data.etag, String(j.attemptsMade), when, reason].join("\t"));
  }
  out(`${jobs.length} failed file${jobs.length === 1 ? "" : "s"}`);
}

async function retry(jobs: ReadonlyArray<Job<FileJobData>>, key: string | undefined): Promise<number> {
  const chosen = key === undefined ? jobs : jobs.filter((j) => j.data.key === key);
  if (chosen.length === 0) {
    process.stderr.write(
      key === undefined
        ? "augmenter: no failed file to retry\n"
        : `augmenter: ${key} is not in the failed set (see augmenter files list-failed)\n`,
    );
    return key === undefined ? 0 : 1;
  }
  for (const j of chosen) {
    await j.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
    out(`retrying ${j.data.key} (ETag ${j.data.etag})`);
  }
  return 0;
}

/** `augmenter files …`: the failed set of the file queue, listed and retried. */
export async function runFilesCommand(
  o: AugmenterConfig,
  args: string[],
  s3: S3ClientOptions,
): Promise<number> {
  const [command, ...rest] = args;
  if (command !== "list-failed" && command !== "retry")
    throw new ConfigError(
      `files: ${command === undefined ? "a command is required" : `unknown command ${JSON.stringify(command)}`}\n${FILES_USAGE}`,
    );
  if (!isQueueUrl(o.cacheUrl)) throw new ConfigError(`files ${command}: ${QUEUE_URL_NEEDED} (--cache-url)`);
  const key = rest[0];
  if (command === "list-failed" ? rest.length > 0 : rest.length > 1)
    throw new ConfigError(
      `files ${command}: unexpected argument ${JSON.stringify(rest.at(-1))}\n${FILES_USAGE}`,
    );
  if (command === "retry" && (key === undefined) === !o.all)
    throw new ConfigError(`files retry: name one key, or --all (not both)\n${FILES_USAGE}`);
  // Only the locations' names: they say which queue; nothing is read from S3.
  const q = openFileQueue({
    cacheUrl: o.cacheUrl,
    rawLocation: (await openObjectStore(o.rawUri, s3)).location,
    modLocation: (await openObjectStore(o.modUri, s3)).location,
  });
  try {
    // The queue's connection waits for Redis forever (as a worker must): a command does not.
    let timer: NodeJS.Timeout | undefined;
    const unreachable = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`files ${command}: Redis at ${redactUrl(o.cacheUrl)} does not answer (--cache-url)`),
          ),
        10_000,
      );
    });
    await Promise.race([q.queue.waitUntilReady(), unreachable]).finally(() => clearTimeout(timer));
    const jobs = await failedJobs(q);
    if (command === "list-failed") {
      listFailed(jobs);
      return 0;
    }
    return await retry(jobs, key);
  } finally {
    await settleWithin(q.close(), 1_000);
  }
}
