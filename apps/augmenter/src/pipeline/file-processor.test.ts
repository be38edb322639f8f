import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { DEFAULT_PAIR_RULES, MemoryStore, TwoTierCache } from "@rl/cache";
import type { ObjectInfo, ObjectStore } from "@rl/s3";
import { describe, expect, it } from "vitest";
import { InferenceScheduler } from "../inference/inference-scheduler";
import { ByteBudget } from "./byte-budget";
import { processFile, type FileProcessorDeps } from "./file-processor";

/** A store whose reads break after the first chunk, as a dropped S3 connection does. */
function breakingStore(first: Buffer): ObjectStore {
  return {
    location: "fake://raw/",
    list: async function* () {},
    head: async () => undefined,
    probe: async () => {},
    get: async () =>
      new Readable({
        read() {
          if (this.readableLength === 0 && !(this as { sent?: boolean }).sent) {
            (this as { sent?: boolean }).sent = true;
            this.push(first);
          } else this.destroy(new Error("connection reset"));
        },
      }),
    put: async (_key, body) => {
      if (body instanceof Readable) for await (const _ of body) void _;
      return { etag: "x" };
    },
    delete: async () => {},
  };
}

describe("processFile", () => {
  it("fails, rather than hangs, when a .gz input's download breaks mid-stream", async () => {
    const gz = gzipSync(Buffer.from('{"company":"A","title":"T"}\n'.repeat(50_000)));
    const store = breakingStore(gz.subarray(0, 1000));
    const cache = new TwoTierCache(new MemoryStore(), 100);
    const scheduler = new InferenceScheduler(
      { infer: async (b) => b.map((r) => ({ uuid: r.uuid, seniority: 3 })), close() {} },
      cache,
      { lingerMs: 1 },
    );
    const deps: FileProcessorDeps = {
      raw: store,
      mod: store,
      errors: store,
      cache,
      scheduler,
      pairRules: DEFAULT_PAIR_RULES,
      budget: new ByteBudget(1 << 20),
      modelVersion: "v1",
      limits: { maxRecordBytes: 1 << 20, maxRecordLines: 100 },
      chunkRecords: 100,
      chunkWindow: 2,
      maxDistinctTracked: 1000,
    };
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
});
