import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalObjectStore } from "@rl/s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deadLetterKey, isOutputDone, sourceStamp, stampedSource } from "./output-ledger";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ledger-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("output ledger", () => {
  it("stamps objects with the documented `source-etag` metadata", () => {
    // docs/design.md names this key: operators and older outputs rely on it.
    expect(sourceStamp("abc")).toEqual({ "source-etag": "abc" });
  });

  it("counts a file done only when its output's source-etag is the input's ETag", async () => {
    const mod = new LocalObjectStore(join(dir, "mod"));
    expect(await isOutputDone(mod, "1.jsonl", "e1")).toBe(false); // no output
    await mod.put("1.jsonl", "out\n", { metadata: sourceStamp("e1") });
    expect(await isOutputDone(mod, "1.jsonl", "e1")).toBe(true);
    expect(await isOutputDone(mod, "1.jsonl", "e2")).toBe(false); // the input was re-uploaded
    await mod.put("2.jsonl", "out\n"); // an output nobody stamped (written by hand)
    expect(await isOutputDone(mod, "2.jsonl", "e1")).toBe(false);
    expect(stampedSource(await mod.head("1.jsonl"))).toBe("e1");
    expect(stampedSource(await mod.head("2.jsonl"))).toBeUndefined();
  });

  it("names a .gz input's dead letters as plain JSONL, and keeps other names", () => {
    expect(deadLetterKey("1721183880.jsonl.gz")).toBe("1721183880.jsonl");
    expect(deadLetterKey("1721183880.jsonl")).toBe("1721183880.jsonl");
    expect(deadLetterKey("a.gz.jsonl")).toBe("a.gz.jsonl");
  });
});
