import type { ObjectStore } from "@rl/s3";
import { describe, expect, it } from "vitest";
import { deadLetterKey, stampedSource } from "../ledger/output-ledger";
import { processFile } from "./file-processor";
import { makeDeps } from "./testing/make-deps";

const KEY = "1721183880.jsonl";
const good = (i: number) => JSON.stringify({ company: "Acme", title: `Engineer ${i}` });

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

function setup() {
  const t = makeDeps();
  const events: string[] = [];
  /** Uploads a version of the input and processes it. */
  const version = async (lines: string[], headFails = false) => {
    const info = await t.upload(KEY, lines);
    events.length = 0;
    const deps = {
      ...t.deps,
      mod: recording(t.mod, "mod", events),
      errors: recording(t.errors, "errors", events, headFails),
    };
    return processFile(deps, info);
  };
  const deadLetters = () =>
    t.errors
      .text(deadLetterKey(KEY))
      ?.split("\n")
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { line: number; raw: string }).raw);
  return { mod: t.mod, events, version, deadLetters };
}

describe("processFile: dead letters of an older version of the input", () => {
  it("are removed, before the output marks the file done, when the new version has none", async () => {
    const t = setup();
    await t.version([good(1), "v1 is not JSON", good(2)]);
    expect(t.deadLetters()).toEqual(["v1 is not JSON"]);

    const r = await t.version([good(1), good(2), good(3)]);
    expect(r.deadLetters).toBe(0);
    expect(t.deadLetters()).toBeUndefined();
    // The output completes last: a crash before it leaves the file not done, and it is redone.
    expect(t.events).toEqual([`errors delete ${KEY}`, `mod put ${KEY}`]);

    // Nothing to remove: no DELETE at all (a versioned bucket would keep a marker for each).
    await t.version([good(4)]);
    expect(t.events).toEqual([`mod put ${KEY}`]);
  });

  it("are replaced whole by the new version's own dead letters", async () => {
    const t = setup();
    await t.version([good(1), "v1 is not JSON", good(2)]);
    const r = await t.version(["[1, 2]", good(1), "v2 is not JSON either", good(2)]);
    expect(r.deadLetters).toBe(2);
    expect(t.deadLetters()).toEqual(["[1, 2]", "v2 is not JSON either"]);
    expect(t.events).toEqual([`errors put ${KEY}`, `mod put ${KEY}`]);
  });

  it("that cannot be checked fail the file, and no output marks it done", async () => {
    const t = setup();
    const v1 = await t.version([good(1), "v1 is not JSON"]);
    await expect(t.version([good(1), good(2)], true)).rejects.toThrow(/errors is unreachable/);
    // The output is still v1's: the new version is not done.
    expect(stampedSource(await t.mod.head(KEY))).toBe(v1.etag);
    expect(t.deadLetters()).toEqual(["v1 is not JSON"]);
  });
});
