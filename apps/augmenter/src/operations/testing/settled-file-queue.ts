import { randomUUID } from "node:crypto";
import { Queue, Worker } from "bullmq";

export const DONE_FILE = { key: "1699999999.jsonl", etag: "def" };
export const FAILED_FILE = { key: "1700000000.jsonl", etag: "abc" };
export const FAILED_REASON = "corrupt gzip: incorrect header check";

export interface SettledFileQueue {
  queue: Queue;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A BullMQ queue (its own name, so tests never see each other's jobs) on the Redis at `port`,
 * holding one file job done and one failed with FAILED_REASON, as a real worker left them.
 */
export async function settledFileQueue(port: number): Promise<SettledFileQueue> {
  const connection = { host: "127.0.0.1", port };
  const name = `files-${randomUUID()}`;
  const queue = new Queue(name, { connection });
  for (const file of [DONE_FILE, FAILED_FILE])
    await queue.add(file.key, file, { jobId: `${file.key}@${file.etag}` });
  const worker = new Worker<{ key: string; etag: string }>(
    name,
    async (job) => {
      if (job.data.key === FAILED_FILE.key) throw new Error(FAILED_REASON);
      return { lines: 3 };
    },
    { connection },
  );
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const c = await queue.getJobCounts("completed", "failed");
      if (c.completed === 1 && c.failed === 1) break;
      if (Date.now() > deadline) throw new Error(`jobs not settled within 10 s: ${JSON.stringify(c)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await worker.close();
  }
  const close = () => queue.obliterate({ force: true }).finally(() => queue.close());
  return { queue, close, [Symbol.asyncDispose]: close };
}
