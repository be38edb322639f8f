import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { LocalObjectStore } from "@rl/s3";
import { afterAll, describe, expect, it } from "vitest";
import { generateSamples, type GenerateOptions } from "./generate-samples";
import { HOSTILE_KINDS } from "./hostile-lines";

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function run(overrides: Partial<GenerateOptions> = {}) {
  const dir = await mkdtemp(join(tmpdir(), "gen-"));
  dirs.push(dir);
  const options: GenerateOptions = {
    total: 2_500,
    split: 1_000,
    startTime: 1721183880,
    gzip: false,
    seed: 7,
    zipfExponent: 1.0,
    titlesPerCompany: 400,
    variantRate: 0.01,
    badRate: 0,
    longLineBytes: 2_000,
    vocabulary: { companies: 2_000, titles: 1_000, locations: 100 },
    countDistinct: true,
    ...overrides,
  };
  const summary = await generateSamples(new LocalObjectStore(dir), options);
  return { dir, summary };
}
async function digest(dir: string) {
  const h = createHash("sha256");
  for (const f of (await readdir(dir)).filter((n) => !n.endsWith(".meta.json") && n !== ".tmp").sort()) {
    h.update(f).update(await readFile(join(dir, f)));
  }
  return h.digest("hex");
}

describe("generateSamples", () => {
  it("writes files one minute apart, split as asked, in the posting schema", async () => {
    const { dir, summary } = await run();
    expect(summary.keys).toEqual(["1721183880.jsonl", "1721183940.jsonl", "1721184000.jsonl"]);
    expect(summary).toMatchObject({ files: 3, records: 2_500, lines: 2_500 });
    const lines = (await readFile(join(dir, "1721184000.jsonl"), "utf8")).split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(500);
    for (const line of lines) {
      const p = JSON.parse(line) as Record<string, unknown>;
      expect(Object.keys(p)).toEqual(["url", "company", "title", "location", "scraped_on"]);
      expect(p.url).toMatch(/^https:\/\/www\.[a-z0-9]+\.com\/job\/[0-9a-f-]{36}\/$/);
      expect(typeof p.company).toBe("string");
      expect(p.scraped_on).toBeGreaterThanOrEqual(1721184000 - 60);
      expect(p.scraped_on).toBeLessThan(1721184000);
    }
    // The scraper's own separators, which the augmenter must keep byte for byte.
    expect(lines[0]).toMatch(/^\{"url": "[^"]+", "company": /);
  });

  it("is byte-for-byte reproducible under a seed, and differs under another", async () => {
    const a = await run();
    const b = await run();
    const c = await run({ seed: 8 });
    expect(await digest(a.dir)).toBe(await digest(b.dir));
    expect(await digest(a.dir)).not.toBe(await digest(c.dir));
  });

  it("repeats popular pairs, so the distinct ratio falls as the stream grows", async () => {
    const small = await run({ total: 5_000, split: 5_000 });
    const large = await run({ total: 50_000, split: 25_000 });
    expect(small.summary.distinctPairs / 5_000).toBeGreaterThan(large.summary.distinctPairs / 50_000);
    expect(large.summary.distinctPairs).toBeLessThan(25_000);
  });

  it("mixes in every hostile kind at --bad-rate, counted per kind", async () => {
    const { dir, summary } = await run({ total: 3_000, split: 3_000, badRate: 0.5 });
    expect(Object.keys(summary.hostile).sort()).toEqual([...HOSTILE_KINDS].sort());
    const text = await readFile(join(dir, "1721183880.jsonl"), "utf8");
    expect(summary.lines).toBeGreaterThan(summary.records); // pretty-printed objects span lines
    expect(text.split("\n").length - 1).toBe(summary.lines);
    expect(text).toContain("\r\n");
    expect(text).toContain('"seniority": ');
    expect(text).toContain('\n{\n  "url"');
  });

  it("writes gzip that decompresses to the same postings", async () => {
    const plain = await run();
    const gz = await run({ gzip: true });
    expect(gz.summary.keys[0]).toBe("1721183880.jsonl.gz");
    const unzipped = gunzipSync(await readFile(join(gz.dir, "1721183880.jsonl.gz")));
    expect(unzipped.equals(await readFile(join(plain.dir, "1721183880.jsonl")))).toBe(true);
  });
});
