import {
  appendFile,
  chmod,
  link,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rename,
  rm,
  stat,
  utimes,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { freeArrayBuffer } from "@rl/cli";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { LocalObjectStore, type Clock } from "./local-object-store";
import { handingOverChunks, handsOverChunks } from "./object-store";

/** A clock that moves only when slept on; `during` runs inside the sleep, as a writer would. */
class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  during: (() => Promise<void>) | undefined;
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
    await this.during?.();
  }
}

let base: string;
let root: string;
let clock: FakeClock;
afterAll(() => rm(base, { recursive: true, force: true }));
beforeEach(async () => {
  base ??= await mkdtemp(join(tmpdir(), "settle-"));
  root = await mkdtemp(join(base, "root-"));
  clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
});

/** A file placed by hand (no side file), last modified `ageMs` before the fake clock's now. */
async function placeByHand(key: string, content: string, ageMs: number) {
  const path = join(root, key);
  await writeFile(path, content);
  await utimes(path, new Date(clock.now() - ageMs), new Date(clock.now() - ageMs));
}

async function keys(store: LocalObjectStore, startAfter?: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(startAfter === undefined ? {} : { startAfter })) out.push(o.key);
  return out;
}

describe("local object store: ETags identify a version of a file without reading it", () => {
  it("a file's ETag is the same from put, head and list, in any store instance, until the file changes", async () => {
    const store = new LocalObjectStore(root, { settleMs: 0 });
    const { etag } = await store.put("1721183880.jsonl", "a\n");
    expect(etag).toMatch(/^[0-9a-f]{32}$/);
    expect((await store.head("1721183880.jsonl"))?.etag).toBe(etag);
    const again = new LocalObjectStore(root, { settleMs: 0 });
    const listed: string[] = [];
    for await (const o of again.list()) listed.push(o.etag);
    expect(listed).toEqual([etag]);

    // The same bytes put again: a new version (a new file renamed into place, a tick later).
    await new Promise((r) => setTimeout(r, 20));
    expect((await store.put("1721183880.jsonl", "a\n")).etag).not.toBe(etag);
  });

  it("a file placed by hand gets a new ETag when rewritten, even with its size and modification time restored, or only touched", async () => {
    const path = join(root, "1721183880.jsonl");
    await placeByHand("1721183880.jsonl", "a\n", 5000);
    const store = new LocalObjectStore(root, { settleMs: 0 });
    const first = (await store.head("1721183880.jsonl"))!;
    expect(first).toEqual({ size: 2, etag: expect.stringMatching(/^[0-9a-f]{32}$/), metadata: {} });
    expect((await store.head("1721183880.jsonl"))?.etag).toBe(first.etag);
    // Past the clock tick the kernel stamps times with (4 ms on older kernels).
    const tick = () => new Promise((r) => setTimeout(r, 20));

    // Same size, old modification time put back (what `cp -p` over the file does).
    await tick();
    const { mtime } = await stat(path);
    await writeFile(path, "b\n");
    await utimes(path, mtime, mtime);
    const second = (await store.head("1721183880.jsonl"))!;
    expect(second.etag).not.toBe(first.etag);

    // Deleted, and another file of the same size and times put in its place.
    await tick();
    await rm(path);
    await writeFile(path, "c\n");
    await utimes(path, mtime, mtime);
    const third = (await store.head("1721183880.jsonl"))!;
    expect(new Set([first.etag, second.etag, third.etag]).size).toBe(3);

    // Only touched.
    await tick();
    await utimes(path, mtime, mtime);
    expect((await store.head("1721183880.jsonl"))?.etag).not.toBe(third.etag);
  });

  it("keeps a put's metadata only with the version it wrote: not for bytes renamed over it by hand", async () => {
    const store = new LocalObjectStore(root, { settleMs: 0 });
    const { etag } = await store.put("1721183880.jsonl", "a\n", { metadata: { "source-etag": "v1" } });
    expect(await store.head("1721183880.jsonl")).toEqual({
      size: 2,
      etag,
      metadata: { "source-etag": "v1" },
    });
    // A new version moved into place, its side file not written (a put stopped in between).
    await new Promise((r) => setTimeout(r, 20));
    await writeFile(join(root, "next"), "b\n");
    await rename(join(root, "next"), join(root, "1721183880.jsonl"));
    const after = (await store.head("1721183880.jsonl"))!;
    expect(after.etag).not.toBe(etag);
    expect(after.metadata).toEqual({});
  });

  it("keeps a put's metadata when only the file's mode or links change (a new ETag all the same)", async () => {
    const store = new LocalObjectStore(root, { settleMs: 0 });
    const { etag } = await store.put("1721183880.jsonl", "a\n", { metadata: { "source-etag": "v1" } });
    await new Promise((r) => setTimeout(r, 20));
    await chmod(join(root, "1721183880.jsonl"), 0o600);
    const after = (await store.head("1721183880.jsonl"))!;
    expect(after.etag).not.toBe(etag);
    expect(after.metadata).toEqual({ "source-etag": "v1" });
    await new Promise((r) => setTimeout(r, 20));
    await link(join(root, "1721183880.jsonl"), join(root, "linked"));
    const linked = (await store.head("1721183880.jsonl"))!;
    expect(linked.etag).not.toBe(after.etag);
    expect(linked.metadata).toEqual({ "source-etag": "v1" });
  });

  it("reads a side file it did not write as none: JSON null, not JSON, or a directory", async () => {
    const store = new LocalObjectStore(root, { settleMs: 0 });
    await writeFile(join(root, "a.jsonl"), "a\n");
    await writeFile(join(root, "a.jsonl.meta.json"), "null");
    await writeFile(join(root, "b.jsonl"), "b\n");
    await writeFile(join(root, "b.jsonl.meta.json"), "{not json");
    await writeFile(join(root, "c.jsonl"), "c\n");
    await mkdir(join(root, "c.jsonl.meta.json"));
    for (const key of ["a.jsonl", "b.jsonl", "c.jsonl"])
      expect((await store.head(key))?.metadata, key).toEqual({});
  });

  it("reads a file in chunks that are each a whole buffer of their own, and says so", async () => {
    const store = new LocalObjectStore(root);
    const content = Buffer.alloc(600 * 1024, "x"); // three reads of up to 256 KiB
    await store.put("1721183880.jsonl", content);
    const body = await store.get("1721183880.jsonl");
    expect(handsOverChunks(body)).toBe(true);
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    expect(chunks.length).toBe(3);
    for (const c of chunks) expect([c.byteOffset, c.byteLength]).toEqual([0, c.buffer.byteLength]);
    expect(new Set(chunks.map((c) => c.buffer)).size).toBe(3);
    expect(Buffer.concat(chunks).equals(content)).toBe(true);
  });

  it("writes a handed-over body whole and frees each large chunk once written; leaves other bodies' chunks alone", async () => {
    const store = new LocalObjectStore(root);
    /** Chunks over buffers of their own, larger than the buffer as an output chunk is, and one small. */
    const chunks = () =>
      [300_000, 70_000, 1_000].map((n, i) =>
        Buffer.allocUnsafeSlow(n + 100)
          .fill(97 + i)
          .subarray(0, n),
      );
    const write = async (key: string, parts: Buffer[], handOver: boolean) => {
      const body = new PassThrough();
      const put = store.put(key, handOver ? handingOverChunks(body) : body, { metadata: { a: "1" } });
      for (const c of parts) body.write(c);
      body.end();
      return put;
    };
    const expected = Buffer.concat(chunks());

    const handed = chunks();
    await write("handed.jsonl", handed, true);
    expect((await readFile(join(root, "handed.jsonl"))).equals(expected)).toBe(true);
    expect((await store.head("handed.jsonl"))?.metadata).toEqual({ a: "1" });
    // The two large chunks' memory is gone (their buffers detached); the small one is kept.
    expect(handed.map((c) => c.buffer.byteLength)).toEqual([0, 0, 1_100]);

    const kept = chunks();
    await write("kept.jsonl", kept, false);
    expect((await readFile(join(root, "kept.jsonl"))).equals(expected)).toBe(true);
    expect(kept.map((c) => c.buffer.byteLength)).toEqual([300_100, 70_100, 1_100]);
  });

  it("writes nothing when a handed-over body fails midway", async () => {
    const store = new LocalObjectStore(root);
    const body = handingOverChunks(new PassThrough());
    const put = store.put("failed.jsonl", body);
    body.write(Buffer.alloc(100_000, "x"));
    setTimeout(() => body.destroy(new Error("the producer failed")), 20);
    await expect(put).rejects.toThrow("the producer failed");
    expect(await store.head("failed.jsonl")).toBeUndefined();
    expect(await readdir(join(root, ".tmp"))).toEqual([]);
  });

  it("fails, not hangs, when a handed-over chunk is freed before the store has written it", async () => {
    const store = new LocalObjectStore(root);
    const body = handingOverChunks(new PassThrough());
    const put = store.put("broken.jsonl", body);
    const [a, b] = [Buffer.alloc(100_000, "a"), Buffer.alloc(100_000, "b")];
    body.write(a);
    body.write(b);
    freeArrayBuffer(b.buffer as ArrayBuffer); // what a producer breaking the marker's promise does
    body.end();
    await expect(put).rejects.toThrow("a handed-over chunk was freed before it was written");
    expect(await store.head("broken.jsonl")).toBeUndefined();
  });

  it("says whether its directory exists (a file in its place is not one)", async () => {
    expect(await new LocalObjectStore(join(root, "not-yet")).exists()).toBe(false);
    expect(await new LocalObjectStore(root).exists()).toBe(true);
    await writeFile(join(root, "a-file"), "x");
    expect(await new LocalObjectStore(join(root, "a-file")).exists()).toBe(false);
  });

  it("has no head for a missing key or a directory", async () => {
    await mkdir(join(root, "dir.jsonl"));
    const store = new LocalObjectStore(root);
    expect(await store.head("missing.jsonl")).toBeUndefined();
    expect(await store.head("dir.jsonl")).toBeUndefined();
  });
});

describe("local object store: the settle rule for files placed by hand", () => {
  it("lists a quiet file at once, and a young one after one wait that ends when it is settleMs old", async () => {
    await placeByHand("1721183880.jsonl", "a\n", 5000);
    await placeByHand("1721183940.jsonl", "b\n", 500);
    await placeByHand("1721184000.jsonl", "c\n", 1200);
    const store = new LocalObjectStore(root, { settleMs: 2000, clock });
    expect(await keys(store)).toEqual(["1721183880.jsonl", "1721183940.jsonl", "1721184000.jsonl"]);
    expect(clock.sleeps).toEqual([1500]); // until the youngest has been quiet for 2000 ms
  });

  it("leaves out a file that changes during the wait, and offers it once it has stayed quiet", async () => {
    await placeByHand("1721183880.jsonl", "a\n", 5000);
    await placeByHand("1721183940.jsonl", '{"company":"Ac', 100);
    const store = new LocalObjectStore(root, { settleMs: 2000, clock });
    clock.during = async () => {
      const path = join(root, "1721183940.jsonl");
      await appendFile(path, 'me","title":"CEO"}\n');
      await utimes(path, new Date(clock.now()), new Date(clock.now()));
    };
    expect(await keys(store)).toEqual(["1721183880.jsonl"]);
    expect(clock.sleeps).toEqual([1900]);

    clock.during = undefined; // the writer is done
    expect(await keys(store)).toEqual(["1721183880.jsonl", "1721183940.jsonl"]);
    expect(clock.sleeps).toEqual([1900, 2000]);
    const info = (await store.head("1721183940.jsonl"))!;
    expect(info.size).toBe(Buffer.byteLength('{"company":"Acme","title":"CEO"}\n'));

    clock.t += 2000;
    expect(await keys(store)).toEqual(["1721183880.jsonl", "1721183940.jsonl"]);
    expect(clock.sleeps).toEqual([1900, 2000]); // quiet by now: no wait
  });

  it("does not wait for objects the store wrote itself (renamed into place whole), but does once one is rewritten by hand", async () => {
    const store = new LocalObjectStore(root, { settleMs: 2000, clock });
    await store.put("1721183880.jsonl", "a\n", { metadata: { k: "v" } });
    await mkdir(join(root, "nested"), { recursive: true });
    await store.put("nested/1721183940.jsonl", "b\n");
    expect(await keys(store)).toEqual(["1721183880.jsonl", "nested/1721183940.jsonl"]);
    expect(clock.sleeps).toEqual([]);

    const written = (await store.head("1721183880.jsonl"))!;
    expect(written.metadata).toEqual({ k: "v" });

    // Rewritten in place after the store wrote it: its side file no longer matches its content.
    const later = new Date(Date.now() + 1000);
    await writeFile(join(root, "1721183880.jsonl"), "rewritten\n");
    await utimes(join(root, "1721183880.jsonl"), later, later);
    expect(await keys(store)).toEqual(["1721183880.jsonl", "nested/1721183940.jsonl"]);
    expect(clock.sleeps).toEqual([2000]);
    // A new version: a new ETag, and the side file's metadata (the old version's) no longer applies.
    const rewritten = (await store.head("1721183880.jsonl"))!;
    expect(rewritten.etag).not.toBe(written.etag);
    expect(rewritten.metadata).toEqual({});
  });

  it("waits at most settleMs for a file dated in the future", async () => {
    await placeByHand("1721183880.jsonl", "a\n", -3_600_000);
    const store = new LocalObjectStore(root, { settleMs: 2000, clock });
    expect(await keys(store)).toEqual(["1721183880.jsonl"]);
    expect(clock.sleeps).toEqual([2000]);
  });

  it("waits only for the keys it lists (startAfter)", async () => {
    await placeByHand("1721183880.jsonl", "a\n", 100);
    await placeByHand("1721183940.jsonl", "b\n", 5000);
    const store = new LocalObjectStore(root, { settleMs: 2000, clock });
    expect(await keys(store, "1721183880.jsonl")).toEqual(["1721183940.jsonl"]);
    expect(clock.sleeps).toEqual([]);
  });

  it("with settleMs 0 lists every file as soon as it appears", async () => {
    await placeByHand("1721183880.jsonl", "a\n", 0);
    const store = new LocalObjectStore(root, { settleMs: 0, clock });
    expect(await keys(store)).toEqual(["1721183880.jsonl"]);
    expect(clock.sleeps).toEqual([]);
  });

  it("defaults to a 2000 ms settle on the system clock", async () => {
    await writeFile(join(root, "1721183880.jsonl"), "a\n");
    const store = new LocalObjectStore(root);
    const t0 = Date.now();
    expect(await keys(store)).toEqual(["1721183880.jsonl"]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
  });
});
