import { describe, expect, it } from "vitest";
import { warmSection } from "./warm-report";

const w = {
  l2: "lmdb",
  lines: 1000,
  files: 2,
  linesPerSecond: 120_000,
  targetLinesPerSecond: 250_000,
  bareLoopStages: [
    { stage: "read", linesPerSecond: 900_000 },
    { stage: "+ write", linesPerSecond: 180_000 },
  ],
};

describe("warmSection", () => {
  it("lists the stages, then the augmenter against its target, then the chart", () => {
    const md = warmSection(w, "warm-stages").join("\n");
    expect(md).toContain(
      [
        "| read | 900,000 |",
        "| + write | 180,000 |",
        "| augmenter, end to end (target: ≥ 250,000) | 120,000 |",
        "",
        "![lines/s by stage, lmdb L2](warm-stages.svg)",
      ].join("\n"),
    );
  });

  it("leaves the stages out of a result measured before they were", () => {
    const { bareLoopStages: _, ...old } = w;
    const md = warmSection(old).join("\n");
    expect(md).not.toContain("by stage");
    expect(md).not.toContain(".svg");
  });
});
