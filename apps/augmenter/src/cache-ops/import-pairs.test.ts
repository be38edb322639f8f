import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_PAIR_RULES,
  MemoryStore,
  PACKED_PAIR_BYTES,
  pairKey,
  pairText,
  toPair,
  type CacheAdmin,
  type ImportCounts,
} from "@rl/cache";
import { importPairs } from "./import-pairs";

/** The key the importer stores a pair under (normalised as the service does). */
const keyOf = (company: string, title: string) => {
  const pair = toPair(company, title, DEFAULT_PAIR_RULES);
  if (typeof pair === "string") throw new Error(`unusable pair: ${pair}`);
  return pairKey(pair.key);
};
const rows = (text: string) => Readable.from([Buffer.from(text)]);
const options = (overwrite: boolean) => ({
  format: "csv" as const,
  pairRules: DEFAULT_PAIR_RULES,
  overwrite,
  maxBadFraction: 0.5,
  batchSize: 2,
  concurrency: 2,
});

describe("importPairs (any store)", () => {
  it("counts every row once, settles repeats within and across batches, and keeps or replaces conflicts", async () => {
    const csv = "company,title,seniority\nA,T,3\nA, T ,3\nA,T,5\nB,U,2\nB,U,4\nC,V,x\n";
    const kept = new MemoryStore();
    const r = await importPairs(rows(csv), kept, options(false));
    expect(r).toMatchObject({ rows: 5, imported: 2, unchanged: 1, conflicts: 2, overwritten: 0, badRows: 1 });
    expect(r.imported + r.unchanged + r.conflicts).toBe(r.rows);
    expect(await kept.getMany([pairKey(pairText("A", "T")), pairKey(pairText("B", "U"))])).toEqual([3, 2]);

    const replaced = new MemoryStore();
    const o = await importPairs(rows(csv), replaced, options(true));
    expect(o).toMatchObject({ rows: 5, imported: 2, unchanged: 1, conflicts: 2, overwritten: 2 });
    // The last row of a repeated pair wins with --overwrite, as it does on Redis.
    expect(await replaced.getMany([pairKey(pairText("A", "T")), pairKey(pairText("B", "U"))])).toEqual([
      5, 4,
    ]);
  });

  it("reads RFC 4180 CSV: a quoted field may hold a newline, a comma or a quote; bad rows name the line they start on", async () => {
    const csv = [
      "company,title,seniority",
      '"Acme, Inc.","Head of\nSales",4', // lines 2-3: one record
      '"Say ""Hi"" Ltd",CEO,7', // line 4
      "Bad,Row,9", // line 5
      'Stray,x"y,2', // line 6: a quote inside an unquoted field
      "Last,Row,1", // line 7
      "",
    ].join("\n");
    const store = new MemoryStore();
    const r = await importPairs(rows(csv), store, options(false));
    expect(r).toMatchObject({ rows: 3, imported: 3, badRows: 2 });
    expect(r.badSamples).toEqual([
      { line: 5, reason: 'seniority "9" is not an integer from 1 to 7' },
      { line: 6, reason: expect.stringMatching(/^Invalid Opening Quote: a quote is found on field 1/) },
    ]);
    expect(
      await store.getMany([
        keyOf("Acme, Inc.", "Head of\nSales"),
        keyOf('Say "Hi" Ltd', "CEO"),
        keyOf("Last", "Row"),
      ]),
    ).toEqual([4, 7, 1]);
  });

  it("streams CSV across chunk boundaries (inside a quoted field, a CRLF, a multi-byte character) and flags invalid UTF-8", async () => {
    const text = '\ufeffcompany,title,seniority\r\n"Café\r\nBar",Chef,3\r\nB,T,2\r\n';
    const bytes = Buffer.concat([
      Buffer.from(text),
      Buffer.from("C,"),
      Buffer.from([0xff]),
      Buffer.from(",5\n"),
    ]);
    // One byte a chunk: every boundary falls somewhere awkward.
    const source = Readable.from(Array.from(bytes, (b) => Buffer.from([b])));
    const store = new MemoryStore();
    const r = await importPairs(source, store, options(false));
    expect(r).toMatchObject({ rows: 2, imported: 2, badRows: 1 });
    expect(r.badSamples).toEqual([{ line: 5, reason: "invalid UTF-8 (or a U+FFFD replacement character)" }]);
    expect(await store.getMany([keyOf("Café\r\nBar", "Chef")])).toEqual([3]);
  });

  it("fails naming the line where a quoted field does not end, rather than lose the rows it swallowed", async () => {
    const csv = 'company,title,seniority\nA,T,1\nB,"unclosed,3\nC,U,2\nD,"E",1\nF,V,4\n';
    await expect(importPairs(rows(csv), new MemoryStore(), options(false))).rejects.toThrow(
      /^line 3: Invalid Closing Quote: got "E" instead of delimiter.* \(read on to line 5\)\. A quoted field ends/,
    );
  });

  it("fails naming the line when a record passes 1 MiB, instead of reading the file into memory", async () => {
    const csv = `company,title,seniority\nA,T,1\nB,"${"x".repeat(1.5 * 2 ** 20)},2\nC,U,3\n`;
    await expect(importPairs(rows(csv), new MemoryStore(), options(false))).rejects.toThrow(
      /^line 3: Max Record Size: record exceed the maximum number of tolerated bytes of 1048576/,
    );
  });

  it("hands whole batches to a store that imports packed pairs itself, sized as it asks", async () => {
    const calls: number[] = [];
    const packedImport = {
      batchSize: (requested: number) => requested + 1,
      importPacked: async (records: Buffer, count: number): Promise<ImportCounts> => {
        expect(records.length).toBeGreaterThanOrEqual(count * PACKED_PAIR_BYTES);
        calls.push(count);
        return { imported: count, unchanged: 0, kept: 0, overwritten: 0 };
      },
    };
    const store = Object.assign(new MemoryStore(), { admin: { packedImport } as unknown as CacheAdmin });
    const csv = "company,title,seniority\nA,T,1\nB,T,2\nC,T,3\nD,T,4\n";
    const r = await importPairs(rows(csv), store, options(false));
    expect(r).toMatchObject({ rows: 4, imported: 4 });
    expect(calls).toEqual([3, 1]);
    expect(await store.getMany([pairKey(pairText("A", "T"))])).toEqual([undefined]);
  });
});
