import { describe, expect, it } from "vitest";
import { warmStagesChart } from "./charts";

describe("warmStagesChart", () => {
  const w = {
    l2: "redis" as const,
    lines: 1000,
    bareLoopStages: [
      { stage: "read", linesPerSecond: 900_000 },
      { stage: "+ write", linesPerSecond: 190_000 },
    ],
    linesPerSecond: 110_000,
    targetLinesPerSecond: 200_000,
  };

  it("draws the stages in order, then the augmenter, and the target as a rule", () => {
    const spec = warmStagesChart(w) as unknown as {
      layer: [{ data: { values: unknown[] } }, { data: { values: unknown[] } }];
    };
    expect(spec.layer[0].data.values).toEqual([
      { label: "read", value: 900_000, group: "bare loop" },
      { label: "+ write", value: 190_000, group: "bare loop" },
      { label: "augmenter, Redis", value: 110_000, group: "augmenter, end to end" },
    ]);
    expect(spec.layer[1].data.values).toEqual([{ rule: 200_000 }]);
  });
});
