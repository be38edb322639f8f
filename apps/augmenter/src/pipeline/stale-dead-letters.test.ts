import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { text } from "node:stream/consumers";
import { DEFAULT_PAIR_RULES, MemoryStore, TwoTierCache } from "@rl/cache";
import { LocalObjectStore, type ObjectStore } from "@rl/s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InferenceScheduler } from "../inference/inference-scheduler";
import { ByteBudget } from "./byte-budget";
import { SOURCE_ETAG, deadLetterKey, processFile, type FileProcessorDeps } from "./file-processor";

const KEY = "1721183880.jsonl";
const good = (i: number) => JSON.stringify({ company: "Acme", title: `Engineer ${i}` });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "stale-dead-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Records when the output upload completes and when dead letters are deleted, in order. */
function recording(store: ObjectStore, name: string, events: string[], headFails = false): ObjectStore {
  return {
    location: store.location,
    list: (o) => store.list(o),
    head: async (k) => {
      if (headFails) throw new Error(`${name} is unreachable`);
      return store.head(k);
    },
    get: (k) => store.get(k),
    probe: (signal) => store.probe(signal),
    put: async (k, body, o) => {
      const r = await store.put(k, body, o);
      events.push(`${name} put ${k}`);
      return r;
    },
    delete: async (k) => {
      events.push(`${name} delete ${k}`);
      await store.delete(k);
    },
  };
}

async function setup(name: string) {
  const raw = new LocalObjectStore(join(dir, name, "raw"));
  const mod = new LocalObjectStore(join(dir, name, "mod"));
  const errors = new LocalObjectStore(join(dir, name, "errors"));
  const cache = new TwoTierCache(new MemoryStore(), 100);
  const scheduler = new InferenceScheduler(
    { infer: async (b) => b.map((r) => ({ uuid: r.uuid, seniority: 3 })), close() {} },
    cache,
    { lingerMs: 1 },
  );
  const events: string[] = [];
  const deps = (headFails = false): FileProcessorDeps => ({
    raw,
    mod: recording(mod, "mod", events),
    errors: recording(errors, "errors", events, headFails),
    cache,
    scheduler,
    pairRules: DEFAULT_PAIR_RULES,
    budget: new ByteBudget(64 << 20),
    modelVersion: "v1",
    limits: { maxRecordBytes: 1 << 20, maxRecordLines: 100 },
    chunkRecords: 100,
    chunkWindow: 2,
    maxDistinctTracked: 1000,
  });
  /** Uploads a version of the input and processes it. */
  const version = async (lines: string[], headFails = false) => {
    const { etag } = await raw.put(KEY, `${lines.join("\n")}\n`);
    events.length = 0;
    return processFile(deps(headFails), { key: KEY, size: 0, etag, lastModified: new Date() });
  };
  const deadLetters = async () => {
    if (!(await errors.head(deadLetterKey(KEY)))) return undefined;
    const body = await text(await errors.get(deadLetterKey(KEY)));
    return body
      .split("\n")
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { line: number; raw: string }).raw);
  };
  return { mod, errors, scheduler, events, version, deadLetters };
}

describe("processFile: dead letters of an older version of the input", () => {
  it("are removed, before the output marks the file done, when the new version has none", async () => {
    const t = await setup("clean");
    try {
      await t.version([good(1), "v1 is not JSON", good(2)]);
      expect(await t.deadLetters()).toEqual(["v1 is not JSON"]);

      const r = await t.version([good(1), good(2), good(3)]);
      expect(r.deadLetters).toBe(0);
      expect(await t.deadLetters()).toBeUndefined();
      // The output completes last: a crash before it leaves the file not done, and it is redone.
      expect(t.events).toEqual([`errors delete ${KEY}`, `mod put ${KEY}`]);

      // Nothing to remove: no DELETE at all (a versioned bucket would keep a marker for each).
      await t.version([good(4)]);
      expect(t.events).toEqual([`mod put ${KEY}`]);
    } finally {
      t.scheduler.close();
    }
  });

  it("are replaced whole by the new version's own dead letters", async () => {
    const t = await setup("replaced");
    try {
      await t.version([good(1), "v1 is not JSON", good(2)]);
      const r = await t.version(["[1, 2]", good(1), "v2 is not JSON either", good(2)]);
      expect(r.deadLetters).toBe(2);
      expect(await t.deadLetters()).toEqual(["[1, 2]", "v2 is not JSON either"]);
      expect(t.events).toEqual([`errors put ${KEY}`, `mod put ${KEY}`]);
    } finally {
      t.scheduler.close();
    }
  });

  it("that cannot be checked fail the file, and no output marks it done", async () => {
    const t = await setup("unreachable");
    try {
      await t.version([good(1), "v1 is not JSON"]);
      const before = (await t.mod.head(KEY))?.metadata[SOURCE_ETAG];
      await expect(t.version([good(1), good(2)], true)).rejects.toThrow(/errors is unreachable/);
      expect((await t.mod.head(KEY))?.metadata[SOURCE_ETAG]).toBe(before);
      expect(await t.deadLetters()).toEqual(["v1 is not JSON"]);
    } finally {
      t.scheduler.close();
    }
  });
});
