import { describe, expect, it } from "vitest";
import { keywordSeniority, seededSeniority } from "./seniority-modes";

describe("keyword mode", () => {
  // Every example of the level table in shared/design.md §1.
  const table: Array<[number, string[]]> = [
    [1, ["Accounting Intern", "Software Engineer Trainee", "Paralegal"]],
    [2, ["Account Receivable Bookkeeper", "Junior Software QA Engineer", "Legal Adviser"]],
    [3, ["Senior Tax Accountant", "Lead Electrical Engineer", "Attorney"]],
    [4, ["Account Manager", "Superintendent Engineer", "Lead Lawyer"]],
    [5, ["Chief of Accountants", "VP Network Engineering", "Head of Legal"]],
    [6, ["Managing Director, Treasury", "Director of Engineering, Backend Systems", "Attorney, Partner"]],
    [7, ["CFO", "COO", "CEO"]],
  ];
  it.each(table)("level %i for the design table's examples", (level, titles) => {
    for (const t of titles) expect([t, keywordSeniority(t)]).toEqual([t, level]);
  });
});

describe("seeded mode", () => {
  it("is a pure function of seed and pair, spread over 1..7", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const v = seededSeniority("s", `c${i}`, `t${i}`);
      expect(v).toBe(seededSeniority("s", `c${i}`, `t${i}`));
      seen.add(v);
    }
    expect([...seen].sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const differ = Array.from(
      { length: 100 },
      (_, i) => seededSeniority("a", "c", `t${i}`) !== seededSeniority("b", "c", `t${i}`),
    );
    expect(differ.filter(Boolean).length).toBeGreaterThan(50);
  });

  it("separates company and title (no concatenation ambiguity)", () => {
    const a = Array.from({ length: 50 }, (_, i) => seededSeniority("s", `ab${i}`, "c"));
    const b = Array.from({ length: 50 }, (_, i) => seededSeniority("s", "a", `b${i}c`));
    expect(a).not.toEqual(b);
  });

  it("answers pairs that differ only in where a NUL sits as different pairs", () => {
    // With a NUL separator all three would hash the same text.
    const at = (i: number) => [
      seededSeniority("s", `Acme\u0000CEO${i}`, "Intern"),
      seededSeniority("s", "Acme", `CEO${i}\u0000Intern`),
    ];
    const differ = Array.from({ length: 50 }, (_, i) => at(i)).filter(([x, y]) => x !== y);
    expect(differ.length).toBeGreaterThan(30);
  });
});
