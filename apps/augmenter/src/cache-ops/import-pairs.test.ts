import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { DEFAULT_PAIR_RULES, MemoryStore, pairKey, pairText } from "@rl/cache";
import { importPairs } from "./import-pairs";

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
});
