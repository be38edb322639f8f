import {
  DEFAULT_PAIR_RULES,
  MemoryStore,
  TwoTierCache,
  pairKey,
  toPair,
  type Pair,
  type PairKey,
} from "@rl/cache";
import { describe, expect, it } from "vitest";
import { FileParser } from "../parse/file-parser";
import type { ParsedChunk } from "../parse/parsed-chunk";
import { ChunkError } from "./chunk-error";
import { ChunkResolver, spliceAnswers } from "./chunk-resolver";
import { ShutdownError } from "./shutdown-error";
import { FakeInference, fakeSeniority } from "./testing/fake-inference";

/** One input line per posting (a string is taken as the line's raw text). */
const posting = (_line: number, value: unknown): string =>
  typeof value === "string" && value.startsWith("{") ? value : JSON.stringify(value);
const job = (line: number, company: string, title: string) => posting(line, { company, title });
/** The lines as one parsed chunk, as the parse stage hands it over. */
function chunkOf(lines: string[]): ParsedChunk {
  const parser = new FileParser("f.jsonl", {
    limits: { maxRecordBytes: 1 << 20, maxRecordLines: 100 },
    rules: DEFAULT_PAIR_RULES,
    chunkRecords: 10_000,
    maxDistinctTracked: 1000,
    knownMaxEntries: 0,
  });
  const chunks = [...parser.push(Buffer.from(`${lines.join("\n")}\n`)), ...parser.end().chunks];
  expect(chunks).toHaveLength(1);
  return chunks[0] as ParsedChunk;
}
const pairOf = (company: string, title: string) => toPair(company, title, DEFAULT_PAIR_RULES) as Pair;
const seniorities = (output: Buffer) =>
  output
    .toString("utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { seniority: number | null }).seniority);

/** What the file processor does with a chunk: its answers, spliced into its output. */
async function resolve(resolver: ChunkResolver, chunk: ParsedChunk, signal?: AbortSignal) {
  const answers = await resolver.answer(chunk, signal);
  const output = Buffer.from(chunk.output.buffer, chunk.output.byteOffset, chunk.output.length);
  spliceAnswers(output, chunk.slots, answers.values);
  return { ...answers, output, deadLines: chunk.deadLines };
}

/** A memory L2 that counts its round trips and the keys each carried. */
class CountingL2 extends MemoryStore {
  readonly reads: number[] = [];
  override async getMany(keys: readonly PairKey[]) {
    this.reads.push(keys.length);
    return super.getMany(keys);
  }
}

function setup(inference = new FakeInference()) {
  const l2 = new CountingL2();
  const cache = new TwoTierCache(l2, 1000);
  return { l2, cache, inference, resolver: new ChunkResolver(cache, inference) };
}

describe("ChunkResolver", () => {
  it("looks a chunk's distinct pairs up in L1, then L2 in one round trip, then asks the model for the rest", async () => {
    const t = setup();
    const inL1 = pairOf("Acme", "Engineer");
    const inL2 = pairOf("Acme", "Designer");
    const [manager, analyst] = [pairOf("Initech", "Manager"), pairOf("Globex", "Analyst")];
    t.cache.storeL1([[inL1.key, 2]]);
    await t.l2.setMany([[pairKey(inL2.key), 6]]);

    const records = [
      job(1, "Acme", "Engineer"),
      job(2, "Acme", "Designer"),
      job(3, "Acme", "Engineer"),
      job(4, "Initech", "Manager"),
      job(5, "Initech", "Manager"),
      job(6, "Globex", "Analyst"),
    ];
    const r = await resolve(t.resolver, chunkOf(records));
    expect(t.l2.reads).toEqual([3]); // one round trip, for the three distinct pairs L1 lacked
    expect(r.counts).toMatchObject({ outputLines: 6, l1Hits: 1, l2Hits: 1, modelPairs: 2, joinedPairs: 0 });
    expect(t.inference.requested.sort()).toEqual([manager.key, analyst.key].sort());
    const [m, a] = [fakeSeniority(manager), fakeSeniority(analyst)];
    expect(seniorities(r.output)).toEqual([2, 6, 2, m, m, a]);
    expect(r.deadLines).toEqual([]);
  });

  it("gives each line its own pair's value, whichever tier answered", async () => {
    // Values chosen so that neighbours differ: a value handed to the wrong pair shows.
    const answers = new Map<string, number>();
    const pairs = Array.from({ length: 40 }, (_, i) => pairOf(`Company ${i}`, `Title ${i}`));
    pairs.forEach((p, i) => answers.set(p.key, (i % 7) + 1));
    const t = setup(new FakeInference({ answer: (p) => answers.get(p.key) as number }));
    // A third from L1, a third from L2, the rest from the model.
    t.cache.storeL1(pairs.filter((_, i) => i % 3 === 0).map((p) => [p.key, answers.get(p.key) as number]));
    await t.l2.setMany(
      pairs.filter((_, i) => i % 3 === 1).map((p) => [pairKey(p.key), answers.get(p.key) as number]),
    );
    // Each pair twice, in an order unlike the tiers' order.
    const order = [...pairs.keys()].reverse().flatMap((i) => [i, (i * 7) % 40]);
    const records = order.map((i, line) => job(line + 1, `Company ${i}`, `Title ${i}`));

    const r = await resolve(t.resolver, chunkOf(records));
    expect(seniorities(r.output)).toEqual(order.map((i) => answers.get((pairs[i] as Pair).key)));
    expect(r.counts).toMatchObject({ l1Hits: 14, l2Hits: 13, modelPairs: 13 });
  });

  it("counts a pair another file already asked for as joined, and gives the time share to the file that queued it", async () => {
    const inference = new FakeInference({ immediate: false, share: { modelCallMs: 5, cacheWriteMs: 1 } });
    const t = setup(inference);
    const theirs = inference.request(pairOf("Acme", "Engineer")); // another file's chunk
    const mine = resolve(t.resolver, chunkOf([job(1, "Acme", "Engineer"), job(2, "Acme", "Designer")]));
    await new Promise((r) => setImmediate(r)); // the lookup is done and both pairs are asked for
    inference.settle();
    const r = await mine;
    expect(r.counts).toMatchObject({ modelPairs: 1, joinedPairs: 1 });
    expect(r.timings).toMatchObject({ modelCallMs: 5, cacheWriteMs: 1 }); // the designer's share only
    expect(await theirs.result).toMatchObject({ modelCallMs: 5, cacheWriteMs: 1 });
  });

  it("rejects with a ChunkError carrying the model's failure", async () => {
    const cause = new Error("UNAVAILABLE: no connection (after 5 attempts)");
    const t = setup(new FakeInference({ fail: cause }));
    const err = await resolve(t.resolver, chunkOf([job(1, "Acme", "Engineer")])).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ChunkError);
    expect(err).toMatchObject({ code: "ERR_CHUNK", message: cause.message, cause });
  });

  it("rejects with a ShutdownError when the service shuts down while the chunk waits on the model", async () => {
    const t = setup(new FakeInference({ immediate: false }));
    const ac = new AbortController();
    const p = resolve(t.resolver, chunkOf([job(1, "Acme", "Engineer")]), ac.signal);
    await new Promise((r) => setImmediate(r));
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(ShutdownError);
  });

  it("refuses to write a line whose pair no tier resolved (a 0 left in place)", async () => {
    const t = setup();
    const chunk = chunkOf([job(1, "Acme", "Engineer")]);
    // A lookup that claims to have found everything but wrote nothing: the digit stays 0.
    const resolver = new ChunkResolver(
      { lookupInto: async () => ({ misses: [], l1Hits: 1, l2Hits: 0, l2ReadMs: 0 }) },
      t.inference,
    );
    await expect(resolve(resolver, chunk)).rejects.toThrow(/no seniority resolved/);
  });

  it("writes null for postings without a usable pair, by reason, and dead-letters what is not a posting", async () => {
    const t = setup();
    const records = [
      posting(1, { title: "Engineer" }),
      posting(2, { company: "  ", title: "Engineer" }),
      posting(3, { company: "A".repeat(2000), title: "Engineer" }),
      posting(4, { company: 7, title: "Engineer" }),
      posting(5, "a string"),
      "{oops}",
      job(7, "Acme", "Engineer"),
    ];
    const r = await resolve(t.resolver, chunkOf(records));
    expect(seniorities(r.output)).toEqual([
      null,
      null,
      null,
      null,
      fakeSeniority(pairOf("Acme", "Engineer")),
    ]);
    expect(Object.fromEntries(r.counts.nullSeniority)).toEqual({ missing: 2, empty: 1, "too-long": 1 });
    expect(r.counts.outputLines).toBe(5);
    expect(r.deadLines.map((l) => JSON.parse(l) as unknown)).toEqual([
      { file: "f.jsonl", line: 5, reason: "not a JSON object (got a string)", raw: '"a string"' },
      {
        file: "f.jsonl",
        line: 6,
        reason: expect.stringMatching(/^invalid JSON: /) as unknown,
        raw: "{oops}",
      },
    ]);
    expect(t.inference.requested).toEqual([pairOf("Acme", "Engineer").key]);
  });
});
