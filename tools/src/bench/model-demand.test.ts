import { describe, expect, it } from "vitest";
import { demandOverDay, fixedWindowRates } from "./model-demand";

describe("fixedWindowRates", () => {
  it("never reads above the rate the counts hold, whatever the phase of the batches", () => {
    // A model answering 1,000 pairs once a second, with one answer late into the next second:
    // seconds 3 and 4 hold 0 and 2,000. A 1 s trailing window would plot 2,000 there.
    const perSecond = [1000, 1000, 1000, 0, 2000, 1000, 1000, 1000, 1000, 1000, 400];
    expect(fixedWindowRates(perSecond, 5)).toEqual([
      { t: 0, pairsPerSecond: 1000 },
      { t: 5, pairsPerSecond: 1000 },
    ]);
  });
});

describe("demandOverDay", () => {
  it("spreads each minute's new pairs over its minute, in file-name order, averaged per window", () => {
    const files = [
      { key: "1721183940.jsonl", modelPairs: 600 },
      { key: "1721183880.jsonl", modelPairs: 6000 },
      { key: "1721184000.jsonl", modelPairs: 60 },
      { key: "1721184060.jsonl", modelPairs: 0 },
    ];
    const d = demandOverDay(files, 2);
    expect(d.points).toEqual([
      { hour: 0, pairsPerSecond: 55 },
      { hour: 0.033, pairsPerSecond: 0.5 },
    ]);
    expect(d.peakMinutePairsPerSecond).toBe(100);
    expect(d.meanPairsPerSecond).toBe(27.75);
  });
});
