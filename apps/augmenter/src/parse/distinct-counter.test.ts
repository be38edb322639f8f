import { describe, expect, it } from "vitest";
import { DistinctCounter, hash52 } from "./distinct-counter";

/** Strings shaped like pair texts, with repeats, near-duplicates and non-ASCII. */
function pairs(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % 7 === 6 ? i - 1 : i; // every 7th repeats the one before
    out.push(`company ${k % 977} société\0senior engineer ${k} ${"é".repeat(k % 3)}`);
  }
  return out;
}

describe("DistinctCounter", () => {
  it("counts what a Set of the same strings holds, through many growths", () => {
    const texts = pairs(300_000);
    const counter = new DistinctCounter(10_000_000);
    for (const t of texts) counter.add(t);
    expect(counter.size).toBe(new Set(texts).size);
  });

  it("tells apart strings that differ in one character, in order or in length", () => {
    const texts = ["ab\0c", "ba\0c", "ab\0cc", "ab\0", "\0abc", "a\0bc", "", "\0"];
    const counter = new DistinctCounter(100);
    for (const t of [...texts, ...texts]) counter.add(t);
    expect(counter.size).toBe(texts.length);
  });

  it("stops counting at its limit", () => {
    const counter = new DistinctCounter(1000);
    for (const t of pairs(5000)) counter.add(t);
    expect(counter.size).toBe(1000);
  });

  it("keeps its count once disposed, and counts nothing more", () => {
    const counter = new DistinctCounter(100);
    for (const t of pairs(50)) counter.add(t);
    const n = counter.size;
    counter.dispose();
    counter.add("a new one");
    expect(counter.size).toBe(n);
  });

  it("hashes into 1 .. 2^52, never 0 (the free-slot mark)", () => {
    for (const t of ["", "\0", "a", ...pairs(1000)]) {
      const h = hash52(t);
      expect(Number.isInteger(h) && h >= 1 && h <= 2 ** 52).toBe(true);
    }
  });
});
