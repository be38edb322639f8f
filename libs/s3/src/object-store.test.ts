import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalObjectStore } from "./local-object-store";
import type { ObjectStore } from "./object-store";
import { S3ObjectStore, createS3Client } from "./s3-object-store";
import { startLocalS3Server, type LocalS3Server } from "./testing";

async function collect(store: ObjectStore, startAfter?: string) {
  const out = [];
  for await (const o of store.list(startAfter === undefined ? {} : { startAfter })) out.push(o);
  return out;
}

// The same behaviour is required of every adapter.
function contract(name: string, open: () => Promise<ObjectStore>) {
  describe(`${name} object store`, () => {
    let store: ObjectStore;
    beforeAll(async () => {
      store = await open();
    });

    it("puts, heads with metadata, gets and lists in key order", async () => {
      const put = await store.put("1721183934.jsonl", "a\nb\n", { metadata: { "source-etag": "abc" } });
      await store.put("1721183874.jsonl", Buffer.from("x\n"));
      await store.put("nested/1721183994.jsonl.gz", Readable.from([Buffer.from("zz")]));
      expect(put.etag).toMatch(/^[0-9a-f]{32}$/);
      expect(await store.head("1721183934.jsonl")).toEqual({
        size: 4,
        etag: put.etag,
        metadata: { "source-etag": "abc" },
      });
      expect(await store.head("missing.jsonl")).toBeUndefined();
      expect(await text(await store.get("1721183934.jsonl"))).toBe("a\nb\n");
      const keys = (await collect(store)).map((o) => o.key);
      expect(keys).toEqual(["1721183874.jsonl", "1721183934.jsonl", "nested/1721183994.jsonl.gz"]);
      expect((await collect(store, "1721183874.jsonl")).map((o) => o.key)).toEqual([
        "1721183934.jsonl",
        "nested/1721183994.jsonl.gz",
      ]);
    });

    it("writes a multipart-sized stream whole", async () => {
      const big = Buffer.alloc(12 * 1024 * 1024, "y");
      const chunks = Array.from({ length: 12 }, (_, i) =>
        big.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024),
      );
      await store.put("big.jsonl", Readable.from(chunks), { metadata: { k: "v" } });
      const head = await store.head("big.jsonl");
      expect(head?.size).toBe(big.length);
      expect(head?.metadata).toEqual({ k: "v" });
    });

    it("leaves nothing visible when the body stream fails", async () => {
      const failing = new Readable({
        read() {
          this.push(Buffer.alloc(64 * 1024, "z"));
          this.destroy(new Error("source broke"));
        },
      });
      await expect(store.put("broken.jsonl", failing)).rejects.toThrow(/source broke/);
      expect(await store.head("broken.jsonl")).toBeUndefined();
    });

    it("refuses keys that escape the prefix", async () => {
      await expect(store.put("../outside.jsonl", "x")).rejects.toThrow(/unsafe object key/);
      await expect(store.get("a/../../x")).rejects.toThrow(/unsafe object key/);
    });

    it("deletes", async () => {
      await store.put("gone.jsonl", "x");
      await store.delete("gone.jsonl");
      expect(await store.head("gone.jsonl")).toBeUndefined();
    });

    it("probe answers while the location is reachable", async () => {
      await expect(store.probe()).resolves.toBeUndefined();
    });
  });
}

let dir: string;
let s3: LocalS3Server;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "local-store-"));
  s3 = await startLocalS3Server({ buckets: ["rl-data"] });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await s3.stop();
});

contract("local", async () => new LocalObjectStore(join(dir, "root")));
contract("S3 (s3rver on 127.0.0.1)", async () => {
  const client = createS3Client({ endpoint: s3.endpoint, credentials: s3.credentials });
  return new S3ObjectStore(client, { bucket: "rl-data", prefix: "raw/" }, { partSize: 5 * 1024 * 1024 });
});

describe("S3 listing", () => {
  it("pages through more than 1000 keys (s3rver's continuation tokens need the legacy OpenSSL provider)", async () => {
    const client = createS3Client({ endpoint: s3.endpoint, credentials: s3.credentials });
    const store = new S3ObjectStore(client, { bucket: "rl-data", prefix: "many/" });
    const keys = Array.from({ length: 1100 }, (_, i) => `${1721183880 + i * 60}.jsonl`);
    for (let i = 0; i < keys.length; i += 50)
      await Promise.all(keys.slice(i, i + 50).map((k) => store.put(k, "x\n")));
    expect((await collect(store)).map((o) => o.key)).toEqual(keys);
    expect((await collect(store, keys[1049])).length).toBe(50);
  }, 60_000);
});

describe("probe of a location that does not answer", () => {
  it("S3: rejects for a bucket that does not exist and for an endpoint nobody listens on", async () => {
    const client = createS3Client({ endpoint: s3.endpoint, credentials: s3.credentials });
    const noBucket = new S3ObjectStore(client, { bucket: "no-such-bucket", prefix: "raw/" });
    await expect(noBucket.probe()).rejects.toThrow(/bucket/i);
    const dead = createS3Client({
      endpoint: "http://127.0.0.1:1",
      credentials: s3.credentials,
      maxAttempts: 1,
    });
    await expect(new S3ObjectStore(dead, { bucket: "rl-data", prefix: "raw/" }).probe()).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });

  it("local: a directory not created yet answers; a file in its place does not", async () => {
    await expect(new LocalObjectStore(join(dir, "not-yet")).probe()).resolves.toBeUndefined();
    const file = new LocalObjectStore(join(dir, "afile"));
    await new LocalObjectStore(dir).put("afile", "x");
    await expect(file.probe()).rejects.toThrow(/not a directory/);
  });
});

describe("local object store on disk", () => {
  it("keeps temp files out of listings and cleans them after a failure", async () => {
    const store = new LocalObjectStore(join(dir, "tmpcheck"));
    const failing = new Readable({
      read() {
        this.destroy(new Error("nope"));
      },
    });
    await expect(store.put("x.jsonl", failing)).rejects.toThrow(/nope/);
    expect(await readdir(join(dir, "tmpcheck", ".tmp"))).toEqual([]);
    expect(await collect(store)).toEqual([]);
  });
});
