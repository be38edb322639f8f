import { describe, expect, it } from "vitest";
import { coldDayWallSeconds, pairsPerFileFromDemand } from "./cold-day-bound";

describe("coldDayWallSeconds", () => {
  it("is the model's time alone when the pairs are spread evenly and the CPU keeps ahead", () => {
    const shape = { pairsPerFile: Array<number>(100).fill(100), linesPerFile: 1000 };
    const wall = coldDayWallSeconds(shape, { modelRate: 1000, linesPerSecond: 100_000, waitingFiles: 4 });
    expect(wall).toBeGreaterThanOrEqual(10);
    expect(wall).toBeLessThan(10.2);
  });

  it("front-loaded pairs with few waiting files: the model's time, then the CPU's for the rest", () => {
    // Ten files hold 10 s of model work; 90 files with none take the CPU 9 s, and may be read
    // only once the first ones are answered.
    const shape = {
      pairsPerFile: [...Array<number>(10).fill(1000), ...Array<number>(90).fill(0)],
      linesPerFile: 1000,
    };
    const few = coldDayWallSeconds(shape, { modelRate: 1000, linesPerSecond: 10_000, waitingFiles: 2 });
    expect(few).toBeGreaterThan(18);
    expect(few).toBeLessThan(19.2);
    // With every file allowed to wait, the reading runs beside the model.
    const all = coldDayWallSeconds(shape, { modelRate: 1000, linesPerSecond: 10_000, waitingFiles: 100 });
    expect(all).toBeLessThan(10.2);
  });
});

describe("pairsPerFileFromDemand", () => {
  it("turns pairs/s per window back into pairs per one-minute file", () => {
    expect(pairsPerFileFromDemand([{ pairsPerSecond: 2 }, { pairsPerSecond: 0.5 }], 2)).toEqual([
      120, 120, 30, 30,
    ]);
  });
});
