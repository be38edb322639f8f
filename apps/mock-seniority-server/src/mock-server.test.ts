import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { client, healthStatus, inferSeniority, pairs } from "../test/grpc-helpers";
import {
  startMockSeniorityServer,
  type MockSeniorityServer,
  type MockSeniorityServerInput,
} from "./mock-server";
import { seededSeniority } from "./seniority-modes";

let servers: MockSeniorityServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});
async function start(options: MockSeniorityServerInput = {}) {
  const s = await startMockSeniorityServer({ port: 0, ...options });
  servers.push(s);
  return s;
}

describe("mock seniority server over gRPC", () => {
  it("answers every uuid with the seeded value, the same across calls and restarts", async () => {
    const a = await start({ seed: "x", pairsPerSecond: 1e6 });
    const c = client(a.address);
    const batch = pairs(300);
    const first = await inferSeniority(c, batch);
    const second = await inferSeniority(c, batch);
    c.close();
    expect(first.map((r) => r.uuid)).toEqual(batch.map((r) => r.uuid));
    expect(first).toEqual(second);
    for (const [i, r] of first.entries()) {
      const req = batch[i];
      expect(r.seniority).toBe(seededSeniority("x", req?.company ?? "", req?.title ?? ""));
    }
    const b = await start({ seed: "x", pairsPerSecond: 1e6 });
    const c2 = client(b.address);
    expect(await inferSeniority(c2, batch)).toEqual(first);
    c2.close();
  });

  it("fresh-random mode gives different values when asked twice", async () => {
    const s = await start({ mode: "fresh-random", pairsPerSecond: 1e6 });
    const c = client(s.address);
    const batch = pairs(200);
    const [x, y] = [await inferSeniority(c, batch), await inferSeniority(c, batch)];
    c.close();
    const changed = x.filter((r, i) => r.seniority !== y[i]?.seniority).length;
    expect(changed).toBeGreaterThan(100);
    expect(x.every((r) => r.seniority >= 1 && r.seniority <= 7)).toBe(true);
  });

  it("keyword mode follows the level table", async () => {
    const s = await start({ mode: "keyword", pairsPerSecond: 1e6 });
    const c = client(s.address);
    const res = await inferSeniority(c, [
      { uuid: 0, company: "Acme", title: "Accounting Intern" },
      { uuid: 1, company: "Acme", title: "VP Network Engineering" },
      { uuid: 2, company: "Acme", title: "CEO" },
    ]);
    c.close();
    expect(res.map((r) => r.seniority)).toEqual([1, 5, 7]);
  });

  it("throttles by pairs and answers queued batches in FIFO order", async () => {
    const s = await start({ pairsPerSecond: 2000 });
    const c = client(s.address);
    const t0 = performance.now();
    const done: number[] = [];
    await Promise.all([0, 1, 2].map((i) => inferSeniority(c, pairs(1000, `b${i}`)).then(() => done.push(i))));
    const secs = (performance.now() - t0) / 1000;
    c.close();
    // 3000 pairs at 2000/s is 1.5 s of service; generous bounds for a shared machine.
    expect(secs).toBeGreaterThan(1.4);
    expect(secs).toBeLessThan(4);
    expect(done).toEqual([0, 1, 2]);
    expect(s.stats().maxQueueDepthPairs).toBe(3000);
    // Answers by whole second of the mock's clock: all of them, spread over the 1.5 s of service.
    const bySecond = s.stats().answeredBySecond;
    expect(bySecond.reduce((a, b) => a + b, 0)).toBe(3000);
    expect(bySecond.length).toBeGreaterThanOrEqual(2);
  });

  it("rejects with RESOURCE_EXHAUSTED past the queue bound when configured", async () => {
    const s = await start({ pairsPerSecond: 100, maxQueuePairs: 1000 });
    const c = client(s.address);
    const first = inferSeniority(c, pairs(800), { deadline: Date.now() + 30_000 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    await expect(inferSeniority(c, pairs(500, "q"))).rejects.toMatchObject({
      code: grpc.status.RESOURCE_EXHAUSTED,
    });
    expect(s.stats().rejected).toBe(1);
    await s.stop(); // answers the queued batch with UNAVAILABLE instead of making it wait
    expect(await first).toMatchObject({ code: grpc.status.UNAVAILABLE });
    c.close();
  });

  it.each(["UNAVAILABLE", "DEADLINE_EXCEEDED", "INTERNAL"] as const)(
    "injects %s at the error rate",
    async (status) => {
      const s = await start({ pairsPerSecond: 1e6, faults: { errorRate: 1, errorStatus: status } });
      const c = client(s.address);
      await expect(inferSeniority(c, pairs(3))).rejects.toMatchObject({ code: grpc.status[status] });
      c.close();
      expect(s.stats().injectedErrors).toBe(1);
    },
  );

  it("adds fixed latency plus jitter", async () => {
    const s = await start({ pairsPerSecond: 1e6, faults: { latencyMs: 200, latencyJitterMs: 100 } });
    const c = client(s.address);
    const t0 = performance.now();
    await inferSeniority(c, pairs(1));
    const ms = performance.now() - t0;
    c.close();
    expect(ms).toBeGreaterThanOrEqual(195);
    expect(ms).toBeLessThan(2000);
  });

  it.each([
    ["missing", (res: { uuid: number }[], n: number) => res.length === n - 1],
    [
      "duplicate",
      (res: { uuid: number }[], n: number) =>
        res.length === n + 1 && new Set(res.map((r) => r.uuid)).size === n,
    ],
    ["unknown", (res: { uuid: number }[], n: number) => res.some((r) => r.uuid >= n)],
    [
      "out-of-range",
      (res: { seniority?: number }[]) =>
        res.some((r) => r.seniority !== undefined && (r.seniority < 1 || r.seniority > 7)),
    ],
  ] as const)("malforms responses: %s", async (kind, check) => {
    const s = await start({ pairsPerSecond: 1e6, faults: { malformedRate: 1, malformKinds: [kind] } });
    const c = client(s.address);
    const res = await inferSeniority(c, pairs(20));
    c.close();
    expect(check(res as never, 20)).toBe(true);
    expect(s.stats().malformedResponses[kind]).toBe(1);
  });

  it("counts pairs received more than once, and serves /metrics, /stats and /reset", async () => {
    const s = await start({ pairsPerSecond: 1e6, metricsPort: 0 });
    const c = client(s.address);
    await inferSeniority(c, pairs(10));
    await inferSeniority(c, [...pairs(10).slice(0, 4), { uuid: 4, company: "new", title: "pair" }]);
    c.close();
    expect(s.stats()).toMatchObject({
      rpcs: 2,
      pairsReceived: 15,
      distinctPairs: 11,
      pairsReceivedMoreThanOnce: 4,
    });

    const base = `http://127.0.0.1:${s.metricsPort}`;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^mock_seniority_pairs_received_total 15$/m);
    expect(metrics).toMatch(/^mock_seniority_pairs_received_more_than_once_total 4$/m);
    expect(metrics).toMatch(/^mock_seniority_distinct_pairs 11$/m);
    expect(metrics).toMatch(/^mock_seniority_rpc_duration_seconds_count 2$/m);
    expect(await (await fetch(`${base}/stats`)).json()).toMatchObject({ rpcs: 2, distinctPairs: 11 });
    expect((await fetch(`${base}/reset`, { method: "POST" })).status).toBe(200);
    expect(s.stats()).toMatchObject({
      rpcs: 0,
      pairsReceived: 0,
      distinctPairs: 0,
      pairsReceivedMoreThanOnce: 0,
      answeredBySecond: [],
    });
  });

  it("serves the standard gRPC health service", async () => {
    const s = await start();
    expect(await healthStatus(s.address, "")).toBe("SERVING");
    expect(await healthStatus(s.address, "SeniorityModel")).toBe("SERVING");
  });

  it("fails clearly when its port is taken", async () => {
    const s = await start();
    await expect(startMockSeniorityServer({ port: s.port })).rejects.toThrow(
      /could not bind 127\.0\.0\.1:\d+/,
    );
  });
});
