import { DEFAULT_PAIR_RULES, MemoryStore, TwoTierCache } from "@rl/cache";
import { afterAll, describe, expect, it } from "vitest";
import { processFile } from "../pipeline/file-processor";
import { FakeInference } from "../pipeline/testing/fake-inference";
import { makeDeps } from "../pipeline/testing/make-deps";
import { InlineParseStage, type ParseStage } from "./parse-stage";
import { ParseWorkers } from "./parse-workers";
import type { ParseOptions, ParsedChunk } from "./parsed-chunk";

const OPTIONS: ParseOptions = {
  limits: { maxRecordBytes: 4096, maxRecordLines: 20 },
  rules: DEFAULT_PAIR_RULES,
  chunkRecords: 7,
  maxDistinctTracked: 1000,
  knownMaxEntries: 1000,
};

/** Every edge the parse stage handles, in one input. */
const HOSTILE = Buffer.concat([
  Buffer.from("\uFEFF"),
  Buffer.from(
    [
      '{"company":"Acme","title":"Engineer"}',
      '{"company":"Acme","title":"Engineer","seniority":9}\r',
      "",
      '{"company":"Ünïcode  Co","title":"Ingénieur\u00a0Senior"}',
      "not JSON",
      "[1,2]",
      "{",
      '  "company": "Pretty",',
      '  "title": "Printed"',
      "}",
      '{"company":"A".repeat}',
      `{"company":"Long","title":"${"x".repeat(5000)}"}`,
      '{"title":"no company"}',
      "{}",
      '{"company":"Acme","title":"Engineer"}   ',
    ].join("\n"),
  ),
  Buffer.from([0x0a, 0xff, 0xfe, 0x0a]),
  Buffer.from(
    Array.from({ length: 40 }, (_, i) => JSON.stringify({ company: `C${i % 6}`, title: `T${i % 4}` })).join(
      "\n",
    ),
  ),
  // No newline at the end.
]);

/** Feeds `input` in `piece`-byte reads, as a file's reads arrive, and collects every chunk. */
async function parseAll(stage: ParseStage, file: string, input: Buffer, piece: number) {
  const session = stage.open(file);
  const chunks: ParsedChunk[] = [];
  for (let at = 0; at < input.length; at += piece)
    chunks.push(...(await session.push(Buffer.from(input.subarray(at, at + piece)))));
  const end = await session.end();
  chunks.push(...end.chunks);
  return { chunks, end, session };
}

/** A chunk's output with each waiting digit filled from `answer` (a pair's fake seniority). */
function filled(c: ParsedChunk, answer: (pair: string) => number): string {
  const out = Buffer.from(c.output);
  for (let k = 0; k < c.slots.length; k += 2)
    out[c.slots[k] as number] = 48 + answer(c.pairs[c.slots[k + 1] as number] as string);
  return out.toString("utf8");
}
const answer = (pair: string) => (pair.length % 7) + 1;

describe("ParseWorkers", () => {
  const workers = new ParseWorkers(OPTIONS, 2);
  afterAll(() => workers.close());

  it("parses a file on a worker thread exactly as the main thread does, whatever the read sizes", async () => {
    const inline = await parseAll(
      new InlineParseStage({ ...OPTIONS, knownMaxEntries: 0 }),
      "f.jsonl",
      HOSTILE,
      4096,
    );
    const expected = inline.chunks.map((c) => filled(c, answer)).join("");
    const dead = inline.chunks.flatMap((c) => c.deadLines);
    expect(dead).toHaveLength(5); // not JSON, an array, bad JSON, the long line, invalid UTF-8
    expect(expected).toContain('"seniority":null');
    for (const piece of [1, 7, 100, 1 << 16]) {
      const w = await parseAll(workers, `f.jsonl`, HOSTILE, piece);
      expect(w.chunks.map((c) => filled(c, answer)).join("")).toBe(expected);
      expect(w.chunks.flatMap((c) => c.deadLines)).toEqual(dead);
      expect(w.end).toMatchObject({
        blankLines: inline.end.blankLines,
        distinctPairs: inline.end.distinctPairs,
      });
      const sum = (f: (c: ParsedChunk) => number) => w.chunks.reduce((n, c) => n + f(c), 0);
      expect(sum((c) => c.records)).toBe(inline.chunks.reduce((n, c) => n + c.records, 0));
      // Every byte read is accounted to a chunk, so the budget gets all of it back.
      expect(sum((c) => c.bytes)).toBe(HOSTILE.length);
    }
  });

  it("leaves the caller's bytes where they are (a store may still hold the buffer it handed out)", async () => {
    const line = Buffer.from('{"company":"A","title":"B"}\n');
    const whole = Buffer.allocUnsafeSlow(line.length);
    line.copy(whole);
    const session = workers.open("kept.jsonl");
    await session.push(whole);
    expect(whole.equals(line)).toBe(true);
    expect((await session.end()).chunks.map((c) => c.outputLines)).toEqual([1]);
  });

  it("moves bytes marked movable that span their whole buffer, and copies a movable slice", async () => {
    const line = Buffer.from('{"company":"A","title":"B"}\n');
    const whole = Buffer.allocUnsafeSlow(line.length);
    line.copy(whole);
    const pooled = Buffer.from(line); // a slice of Node's shared pool, not its whole buffer
    expect(pooled.byteLength).toBeLessThan(pooled.buffer.byteLength);
    const session = workers.open("moved.jsonl");
    await session.push(whole, true);
    expect(whole.buffer.byteLength).toBe(0); // detached: now the parse thread's
    await session.push(pooled, true);
    expect(pooled.equals(line)).toBe(true);
    expect((await session.end()).chunks.map((c) => c.outputLines)).toEqual([2]);
  });

  it("splices on the thread the pairs it was told the answers of, and asks only for the others", async () => {
    const lines = (n: number) =>
      Buffer.from(
        `${Array.from({ length: n }, (_, i) => JSON.stringify({ company: `K${i % 5}`, title: "T" })).join("\n")}\n`,
      );
    const one = new ParseWorkers(OPTIONS, 1);
    try {
      const first = await parseAll(one, "a.jsonl", lines(14), 1 << 16);
      expect(first.chunks.map((c) => c.knownHits)).toEqual([0, 0]);
      for (const c of first.chunks) first.session.learn(c.seq, Uint8Array.from(c.pairs, answer));
      const second = await parseAll(one, "b.jsonl", lines(14), 1 << 16);
      expect(second.chunks.map((c) => [c.pairs.length, c.knownHits])).toEqual([
        [0, 5],
        [0, 5],
      ]);
      expect(second.chunks.map((c) => filled(c, answer)).join("")).toBe(
        first.chunks.map((c) => filled(c, answer)).join(""),
      );
      // A chunk whose resolution failed teaches nothing.
      const third = await parseAll(one, "c.jsonl", Buffer.from('{"company":"New","title":"Pair"}\n'), 64);
      third.session.learn(third.chunks[0]!.seq, undefined);
      const fourth = await parseAll(one, "d.jsonl", Buffer.from('{"company":"New","title":"Pair"}\n'), 64);
      expect(fourth.chunks[0]).toMatchObject({ pairs: ["New\u0000Pair"], knownHits: 0 });
    } finally {
      await one.close();
    }
  });

  it("fails the files of a thread that dies, says so once, and gives the next file a new thread", async () => {
    const lost: Array<[string, number]> = [];
    const pool = new ParseWorkers(OPTIONS, 1, (err, openFiles) => lost.push([err.message, openFiles]));
    try {
      const doomed = pool.open("a.jsonl");
      await doomed.push(Buffer.from('{"company":"A","title":"B"}\n'));
      const thread = (pool as unknown as { threads: Array<{ worker: { terminate(): Promise<number> } }> })
        .threads[0];
      await thread?.worker.terminate();
      await expect(doomed.end()).rejects.toThrow(/a parse worker stopped/);
      expect(lost).toEqual([[expect.stringMatching(/a parse worker stopped: exited with code/), 1]]);
      const next = await parseAll(pool, "b.jsonl", Buffer.from('{"company":"A","title":"B"}\n'), 64);
      expect(next.chunks.map((c) => c.outputLines)).toEqual([1]);
    } finally {
      await pool.close();
    }
    expect(lost).toHaveLength(1); // closing the pool is no loss
  });

  it("writes the same files through processFile, with the budget all given back", async () => {
    const lines = Array.from({ length: 3000 }, (_, i) =>
      i % 97 === 5 ? "oops" : JSON.stringify({ company: `Company ${i % 31}`, title: `Title ${i % 11}`, i }),
    );
    const run = async (parse: ParseStage | undefined) => {
      const cache = new TwoTierCache(new MemoryStore(), 10_000);
      const t = makeDeps({
        cache,
        inference: new FakeInference({ cache }),
        readChunkBytes: 1000,
        ...(parse ? { parse } : {}),
      });
      const info = await t.upload("f.jsonl", lines);
      const report = await processFile(t.deps, info);
      expect(t.deps.budget.inUse).toBe(0);
      return { report, out: t.mod.text("f.jsonl"), dead: t.errors.text("f.jsonl") };
    };
    const inline = await run(undefined);
    const threaded = await run(workers);
    expect(threaded.out).toBe(inline.out);
    expect(threaded.dead).toBe(inline.dead);
    expect(threaded.report).toMatchObject({
      records: 3000,
      deadLetters: 31,
      distinctPairs: 31 * 11,
      modelPairs: inline.report.modelPairs,
    });
  });
});
