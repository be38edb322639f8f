import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { collectedCounter } from "./index";

describe("collectedCounter", () => {
  it("reports the total as it is at each scrape, as a counter", async () => {
    const registry = new Registry();
    let total = 3;
    collectedCounter(registry, "things_total", "Things", () => total);
    expect(await registry.metrics()).toMatch(/^# TYPE things_total counter\nthings_total 3$/m);
    total = 10;
    expect(await registry.metrics()).toMatch(/^things_total 10$/m);
    total = 0; // the source restarted: the counter follows, and Prometheus sees a reset
    expect(await registry.metrics()).toMatch(/^things_total 0$/m);
  });
});
