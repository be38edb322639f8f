import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { DEFAULT_PAIR_RULES, MemoryStore, TwoTierCache, toPair, type Pair } from "@rl/cache";
import type { ObjectInfo, ObjectStore } from "@rl/s3";
import { describe, expect, it } from "vitest";
import { stampedSource } from "../ledger/output-ledger";
import { FileError } from "./file-error";
import { processFile } from "./file-processor";
import { ShutdownError } from "./shutdown-error";
import { FakeInference, fakeSeniority } from "./testing/fake-inference";
import { makeDeps } from "./testing/make-deps";

/** A store whose reads break after the first chunk, as a dropped S3 connection does. */
function breakingStore(first: Buffer): Pick<ObjectStore, "get"> {
  return {
    get: async () =>
      new Readable({
        read() {
          if (this.readableLength === 0 && !(this as { sent?: boolean }).sent) {
            (this as { sent?: boolean }).sent = true;
            this.push(first);
          } else this.destroy(new Error("connection reset"));
        },
      }),
  };
}

const job = (i: number) => JSON.stringify({ company: `Company ${i % 13}`, title: `Title ${i % 5}` });
const KEY = "1721183880.jsonl";

/** Settles `p` to what it rejected with, or fails the test when it resolves. */
const rejection = (p: Promise<unknown>) =>
  p.then(
    () => expect.unreachable("the file should have failed"),
    (e: unknown) => e,
  );

describe("processFile", () => {
  it("fails, rather than hangs, when a .gz input's download breaks mid-stream", async () => {
    const gz = gzipSync(Buffer.from('{"company":"A","title":"T"}\n'.repeat(50_000)));
    const { deps } = makeDeps({ raw: breakingStore(gz.subarray(0, 1000)) });
    const info: ObjectInfo = {
      key: "1721183880.jsonl.gz",
      size: gz.length,
      etag: "e",
      lastModified: new Date(),
    };
    const outcome = await Promise.race([
      processFile(deps, info).then(
        () => "done",
        (e: Error) => e.message,
      ),
      new Promise((r) => setTimeout(() => r("hung"), 5_000)),
    ]);
    expect(outcome).toMatch(/connection reset/);
  });

  it("writes every record in order across chunks, stamped with the input's ETag, and reports the chunks' sums", async () => {
    const cache = new TwoTierCache(new MemoryStore(), 1000);
    const t = makeDeps({
      cache,
      chunkRecords: 10,
      chunkWindow: 3,
      readChunkBytes: 256, // about six lines a read: many chunks, several in the window at once
      inference: new FakeInference({ cache, share: { modelCallMs: 2, cacheWriteMs: 1 } }),
    });
    const lines = Array.from({ length: 400 }, (_, i) =>
      i % 50 === 7 ? "not JSON" : i % 50 === 9 ? JSON.stringify({ title: "no company" }) : job(i),
    );
    const info = await t.upload(KEY, lines);
    const r = await processFile(t.deps, info);

    const expected = lines
      .filter((l) => l !== "not JSON")
      .map((l) => {
        const v = JSON.parse(l) as { company?: string; title: string };
        const pair = toPair(v.company, v.title, DEFAULT_PAIR_RULES);
        return `${l.slice(0, -1)},"seniority":${typeof pair === "string" ? "null" : fakeSeniority(pair as Pair)}}`;
      });
    expect(t.mod.text(KEY)).toBe(`${expected.join("\n")}\n`);
    const head = await t.mod.head(KEY);
    expect(stampedSource(head)).toBe(info.etag);
    expect(head?.metadata).toMatchObject({ "model-version": "v1", normalise: "default" });
    const dead = (t.errors.text(KEY) ?? "").split("\n").filter(Boolean);
    expect(dead.map((l) => (JSON.parse(l) as { line: number }).line)).toEqual([
      8, 58, 108, 158, 208, 258, 308, 358,
    ]);
    expect(stampedSource(await t.errors.head(KEY))).toBe(info.etag);

    expect(r).toMatchObject({
      status: "done",
      records: 400,
      outputLines: 392,
      deadLetters: 8,
      nullSeniority: 8,
    });
    expect(r.nullSeniorityBy.missing).toBe(8);
    expect(r.distinctPairs).toBe(65); // 13 companies × 5 titles
    // Each distinct pair is asked of the model once; later chunks find it in L1.
    expect(r.modelPairs).toBe(65);
    expect(r.l1Hits).toBeGreaterThan(0);
    expect(r.timings).toMatchObject({ modelCallMs: 130, cacheWriteMs: 65 });
    expect(t.deps.budget.inUse).toBe(0);
  });

  it("fails with a FileError carrying its report when the model cannot answer, and writes no output", async () => {
    const t = makeDeps({
      inference: new FakeInference({ fail: new Error("UNAVAILABLE (after 5 attempts)") }),
    });
    const info = await t.upload(KEY, [job(1), "not JSON", job(2)]);
    const err = await rejection(processFile(t.deps, info));
    expect(err).toBeInstanceOf(FileError);
    expect(err).toMatchObject({ code: "ERR_FILE", message: `${KEY}: UNAVAILABLE (after 5 attempts)` });
    expect((err as FileError).report).toMatchObject({ key: KEY, etag: info.etag, status: "failed" });
    expect((err as FileError).report.error).toBe("UNAVAILABLE (after 5 attempts)");
    expect(await t.mod.head(KEY)).toBeUndefined();
    expect(await t.errors.head(KEY)).toBeUndefined();
    expect(t.deps.budget.inUse).toBe(0);
  });

  it("stops waiting on the model when the service shuts down", async () => {
    const t = makeDeps({ inference: new FakeInference({ immediate: false }) });
    const info = await t.upload(KEY, [job(1), job(2)]);
    const ac = new AbortController();
    const p = rejection(processFile(t.deps, info, undefined, ac.signal));
    await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    const err = await p;
    expect((err as FileError).cause).toBeInstanceOf(ShutdownError);
    expect((err as FileError).report.error).toBe("aborted: the service is shutting down");
    expect(await t.mod.head(KEY)).toBeUndefined();
  });
});
