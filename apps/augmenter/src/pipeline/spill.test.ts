import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { MemoryStore, TwoTierCache } from "@rl/cache";
import { LocalObjectStore } from "@rl/s3";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ByteBudget } from "./byte-budget";
import { FileError } from "./file-error";
import { processFile, type FileSlot } from "./file-processor";
import { ShutdownError } from "./shutdown-error";
import { SpillSpace } from "./spill";
import { FakeInference } from "./testing/fake-inference";
import { makeDeps } from "./testing/make-deps";

const KEY = "1721183880.jsonl";
/** Varied lines: pairs repeating across chunks, non-ASCII text, blank lines, dead letters. */
const LINES = Array.from({ length: 600 }, (_, i) =>
  i % 97 === 5
    ? "not JSON"
    : i % 89 === 3
      ? ""
      : JSON.stringify({
          id: i,
          company: `Société ${i % 17} 🚀`,
          title: `Title ${i % 11}`,
          text: "x".repeat(i % 40),
        }),
);

/** A slot that records what the file did with it. */
function recordingSlot() {
  const events: string[] = [];
  const slot: FileSlot = {
    release: () => void events.push("release"),
    reacquire: async () => void events.push("reacquire"),
  };
  return { slot, events };
}

const settledSoon = () => new Promise((r) => setTimeout(r, 30));

/** Answers whatever is pending until `p` settles (a file waiting in memory asks chunk by chunk). */
async function answerUntil<T>(inference: FakeInference, p: Promise<T>): Promise<T> {
  const timer = setInterval(() => inference.settle(), 5);
  try {
    return await p;
  } finally {
    clearInterval(timer);
  }
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "spill-test-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The same input processed with answers at once and no spill: what a spilled file must equal. */
async function reference(key: string, lines: string[]) {
  const t = makeDeps({ chunkRecords: 25, readChunkBytes: 1024 });
  const info = await t.upload(key, lines);
  const report = await processFile(t.deps, info);
  return { report, out: t.mod.bytes(key), dead: t.errors.text(`${key}`) };
}

describe("processFile with a spill space", () => {
  it("reads the whole file while the model has not answered, holding no input bytes, then writes byte-exact output", async () => {
    const cache = new TwoTierCache(new MemoryStore(), 1000);
    const inference = new FakeInference({ cache, immediate: false });
    const space = new SpillSpace(dir, 1 << 30);
    // A budget far smaller than the input: without the spill the file would stop reading.
    const t = makeDeps({ cache, inference, spill: space, chunkRecords: 25, readChunkBytes: 1024 });
    t.deps.budget = new ByteBudget(4096);
    let uploads = 0;
    t.deps.mod = { put: (...args) => (uploads++, t.mod.put(...args)) };
    const info = await t.upload(KEY, LINES);
    const { slot, events } = recordingSlot();
    const done = processFile(t.deps, info, undefined, undefined, slot);
    // All read and spilled, waiting on the model with its place given up.
    await vi.waitFor(() => expect(events).toEqual(["release"]));
    expect(t.deps.budget.inUse).toBe(0);
    expect(space.inUse).toBeGreaterThan(Buffer.byteLength(LINES.join("\n")));
    expect(space.openFiles).toBe(1);
    expect(readdirSync(dir)).toEqual([]); // unlinked at once: a crash leaves nothing behind
    expect(uploads).toBe(0); // no upload open while waiting
    inference.settle();
    const report = await done;
    expect(events).toEqual(["release", "reacquire"]);

    const ref = await reference(KEY, LINES);
    expect(t.mod.bytes(KEY)?.equals(ref.out as Buffer)).toBe(true);
    expect(t.errors.text(KEY)).toBe(ref.dead);
    expect(report.spilledBytes).toBeGreaterThan(0);
    const comparable = (r: typeof report) => ({ ...r, spilledBytes: 0, timings: undefined, etag: undefined });
    expect(comparable(report)).toEqual({
      ...comparable(ref.report),
      l1Hits: report.l1Hits, // pairs joined while pending instead of found in L1
      modelPairs: report.modelPairs,
      joinedPairs: report.joinedPairs,
    });
    expect(new Set(inference.requested).size).toBe(report.modelPairs); // each distinct pair asked once
    expect(report.modelPairs).toBe(ref.report.modelPairs);
    expect(space.inUse).toBe(0);
    expect(space.openFiles).toBe(0);
  });

  it("keeps a spilled file's dead letters whole when its output's store frees each chunk it writes", async () => {
    // Dead letters share a buffer with the output when read back from the spill; a local store
    // frees an output chunk once written, and the dead letters' store here reads them later.
    const pad = `,"pad":"${"p".repeat(500)}"}`;
    const lines = LINES.map((l, i) => (i % 40 === 7 ? `not JSON ${"y".repeat(2000)}` : l.replace(/}$/, pad)));
    const inference = new FakeInference({ immediate: false });
    const t = makeDeps({
      inference,
      spill: new SpillSpace(dir, 1 << 30),
      chunkRecords: 200,
      readChunkBytes: 1 << 20,
    });
    const modDir = join(dir, "mod");
    const mod = new LocalObjectStore(modDir);
    t.deps.mod = mod;
    t.deps.errors = {
      put: async (...args) => {
        await new Promise((r) => setTimeout(r, 200));
        return t.errors.put(...args);
      },
      head: (key) => t.errors.head(key),
      delete: (key) => t.errors.delete(key),
    };
    const info = await t.upload(KEY, lines);
    const report = await answerUntil(inference, processFile(t.deps, info));
    expect(report.spilledBytes).toBeGreaterThan(0);

    const ref = await reference(KEY, lines);
    expect(readFileSync(join(modDir, KEY)).equals(ref.out as Buffer)).toBe(true);
    expect(report.deadLetters).toBeGreaterThan(10);
    expect(t.errors.text(KEY)).toBe(ref.dead);
  });

  it("never spills a file whose pairs L2 has (an L2 round trip is not a wait on the model)", async () => {
    const cache = new TwoTierCache(new MemoryStore(), 1000);
    const first = makeDeps({ cache, chunkRecords: 25 }); // fills L2 through the fake model
    await processFile(first.deps, await first.upload(KEY, LINES));
    const warm = new TwoTierCache(cache.l2, 1000); // empty L1, same L2
    const inference = new FakeInference({ cache: warm, immediate: false });
    const space = new SpillSpace(dir, 1 << 30);
    const t = makeDeps({ cache: warm, inference, spill: space, chunkRecords: 25 });
    const report = await processFile(t.deps, await t.upload(KEY, LINES));
    expect(report.l2Hits).toBeGreaterThan(0);
    expect(report.modelPairs).toBe(0);
    expect(report.spilledBytes).toBe(0);
    expect(t.mod.text(KEY)).toBe(first.mod.text(KEY));
  });

  it("spills a .gz file too and writes it gzipped", async () => {
    const inference = new FakeInference({ immediate: false });
    const t = makeDeps({ inference, spill: new SpillSpace(dir, 1 << 30), chunkRecords: 25 });
    const gzKey = `${KEY}.gz`;
    const { gzipSync } = await import("node:zlib");
    const { etag } = await t.raw.put(gzKey, gzipSync(`${LINES.join("\n")}\n`));
    const { slot, events } = recordingSlot();
    const done = processFile(
      t.deps,
      { key: gzKey, etag, size: 0, lastModified: new Date() },
      undefined,
      undefined,
      slot,
    );
    await vi.waitFor(() => expect(events).toEqual(["release"]));
    inference.settle();
    const report = await done;
    expect(report.spilledBytes).toBeGreaterThan(0);
    const ref = await reference(KEY, LINES);
    expect(gunzipSync(t.mod.bytes(gzKey) as Buffer).equals(ref.out as Buffer)).toBe(true);
  });

  it("keeps waiting chunks in memory once the space is full (the old way), and still writes it all", async () => {
    const inference = new FakeInference({ immediate: false });
    const space = new SpillSpace(dir, 1); // full after any byte
    const t = makeDeps({ inference, spill: space, chunkRecords: 25 });
    const first = await t.upload("a.jsonl", LINES);
    const second = await t.upload("b.jsonl", LINES);
    const a = processFile(t.deps, first);
    await vi.waitFor(() => expect(space.openFiles).toBe(1));
    const b = processFile(t.deps, second);
    await settledSoon();
    expect(space.openFiles).toBe(1); // only the first file spilled
    const [ra, rb] = await answerUntil(inference, Promise.all([a, b]));
    expect(ra.spilledBytes).toBeGreaterThan(0);
    expect(rb.spilledBytes).toBe(0);
    expect(t.mod.text("a.jsonl")).toBe(t.mod.text("b.jsonl"));
    expect(space.inUse).toBe(0);
  });

  it("fails the file and frees its spill when the model cannot answer; no output appears", async () => {
    const space = new SpillSpace(dir, 1 << 30);
    const inference = new FakeInference({ immediate: false, fail: new Error("UNAVAILABLE") });
    const t = makeDeps({ inference, spill: space, chunkRecords: 25 });
    const info = await t.upload(KEY, LINES);
    const done = processFile(t.deps, info).then(
      () => expect.unreachable("the file should fail"),
      (e: unknown) => e,
    );
    await vi.waitFor(() => expect(space.openFiles).toBe(1));
    inference.settle();
    const err = await done;
    expect(err).toBeInstanceOf(FileError);
    expect((err as FileError).report.error).toBe("UNAVAILABLE");
    expect(await t.mod.head(KEY)).toBeUndefined();
    expect(await t.errors.head(KEY)).toBeUndefined();
    expect(space.inUse).toBe(0);
    expect(space.openFiles).toBe(0);
  });

  it("stops waiting when the service shuts down, and frees its spill", async () => {
    const space = new SpillSpace(dir, 1 << 30);
    const t = makeDeps({
      inference: new FakeInference({ immediate: false }),
      spill: space,
      chunkRecords: 25,
    });
    const info = await t.upload(KEY, LINES);
    const ac = new AbortController();
    const done = processFile(t.deps, info, undefined, ac.signal).then(
      () => expect.unreachable("the file should stop"),
      (e: unknown) => e,
    );
    await vi.waitFor(() => expect(space.openFiles).toBe(1));
    ac.abort();
    const err = await done;
    expect((err as FileError).cause).toBeInstanceOf(ShutdownError);
    expect(await t.mod.head(KEY)).toBeUndefined();
    expect(space.openFiles).toBe(0);
  });

  it("goes on in memory when no spill file can be opened, saying so once", async () => {
    const said: string[] = [];
    const space = new SpillSpace(join(dir, "missing"), 1 << 30, (e) => said.push(e.message));
    const inference = new FakeInference({ immediate: false });
    const t = makeDeps({ inference, spill: space, chunkRecords: 25 });
    const a = processFile(t.deps, await t.upload("a.jsonl", LINES));
    const b = processFile(t.deps, await t.upload("b.jsonl", LINES));
    await settledSoon();
    const [ra] = await answerUntil(inference, Promise.all([a, b]));
    expect(ra.spilledBytes).toBe(0);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/ENOENT/);
    expect(t.mod.text("a.jsonl")).toBe(t.mod.text("b.jsonl"));
  });
});
