import { startMockSeniorityServer } from "mock-seniority-server";
import { describe, expect, it } from "vitest";
import { runMockLoad } from "./mock-load";

describe("mock load driver", () => {
  it("gets every pair answered and measures a rate near the mock's throttle", async () => {
    await using mock = await startMockSeniorityServer({ port: 0, pairsPerSecond: 5000 });
    const r = await runMockLoad({
      address: mock.address,
      pairs: 5000,
      batch: 500,
      concurrency: 4,
      prefix: "t",
    });
    expect(r).toMatchObject({ pairs: 5000, rpcs: 10, errors: 0 });
    // 5000 pairs at 5000/s take about a second; the bound is generous for a shared machine.
    expect(r.pairsPerSecond).toBeLessThan(5000 * 1.1);
    expect(r.pairsPerSecond).toBeGreaterThan(5000 * 0.5);
    expect(mock.stats()).toMatchObject({
      pairsReceived: 5000,
      distinctPairs: 5000,
      pairsReceivedMoreThanOnce: 0,
    });
  });
});
