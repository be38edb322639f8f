import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import type { ObjectInfo } from "@rl/s3";
import { emptyFileReport } from "../pipeline/file-report";
import { AugmenterMetrics } from "../service/augmenter-metrics";
import { ListingSource } from "./listing-source";
import type { FileLedger, FileWork } from "./work-source";

const file = (key: string): ObjectInfo => ({ key, etag: "e1", size: 10, lastModified: new Date(0) });

function source(files: ObjectInfo[], fail?: Error) {
  const done = new Set<string>();
  const ledger: FileLedger = {
    list: async () => {
      if (fail) throw fail;
      return { pending: files.filter((f) => !done.has(f.key)), ignored: [], done: 0 };
    },
    isDone: async (key) => done.has(key),
    markDone: (key) => void done.add(key),
  };
  const s = new ListingSource(ledger, new AugmenterMetrics(), pino({ level: "silent" }), {
    fileConcurrency: 2,
    pollIntervalMs: 100,
    retryBaseMs: 10,
    maxFileAttempts: 3,
  });
  return { s, done };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("ListingSource", () => {
  it("run: a file waiting on the model without its place lets the next one start; never more than FILE_CONCURRENCY read at once", async () => {
    const files = Array.from({ length: 9 }, (_, i) => file(`${i}.jsonl`));
    const { s, done } = source(files);
    let answer!: () => void;
    const answered = new Promise<void>((r) => (answer = r));
    const started: string[] = [];
    let reading = 0;
    let mostReading = 0;
    const busy = async () => {
      reading += 1;
      mostReading = Math.max(mostReading, reading);
      await sleep(3);
      reading -= 1;
    };
    const work: FileWork = async (f, slot) => {
      started.push(f.key);
      await busy();
      slot?.release();
      await answered;
      await slot?.reacquire();
      await busy();
      return { report: emptyFileReport(f.key, f.etag), aborted: false };
    };
    const run = s.runOnce(work, () => {});
    await vi.waitFor(() => expect(started).toHaveLength(9));
    answer();
    const r = await run;
    expect(started).toEqual(files.map((f) => f.key)); // in listing order
    expect(r.reports.map((x) => x.status)).toEqual(Array(9).fill("done"));
    expect(done.size).toBe(9);
    expect(mostReading).toBeLessThanOrEqual(2);
  });

  it("run: files that keep their place are processed FILE_CONCURRENCY at a time", async () => {
    const files = Array.from({ length: 5 }, (_, i) => file(`${i}.jsonl`));
    const { s } = source(files);
    let inFlight = 0;
    let most = 0;
    const r = await s.runOnce(
      async (f) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await sleep(5);
        inFlight -= 1;
        return { report: emptyFileReport(f.key, f.etag), aborted: false };
      },
      () => {},
    );
    expect(r.reports).toHaveLength(5);
    expect(most).toBe(2);
  });

  it("run: a ledger that cannot be read while files are handed out fails the run (after the files in flight), not the process", async () => {
    const files = [file("a.jsonl"), file("b.jsonl"), file("c.jsonl")];
    const { s } = source(files);
    // Processes sharing the raw prefix ask the ledger again before a file: make it fail for "b".
    const coord = (s as unknown as { coord: { shared: boolean } }).coord;
    Object.defineProperty(coord, "shared", { value: true });
    const ledger = (s as unknown as { discovery: FileLedger }).discovery;
    ledger.isDone = async (key) => {
      if (key === "b.jsonl") throw new Error("S3 HEAD failed");
      return false;
    };
    const seen: string[] = [];
    const run = s.runOnce(
      async (f) => {
        seen.push(f.key);
        await sleep(20);
        return { report: emptyFileReport(f.key, f.etag), aborted: false };
      },
      () => {},
    );
    await expect(run).rejects.toThrow("S3 HEAD failed");
    expect(seen).toEqual(["a.jsonl"]); // "a" finished; nothing started after the failure
  });
});
