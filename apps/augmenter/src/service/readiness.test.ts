import { describe, expect, it } from "vitest";
import { Readiness, type Dependency } from "./readiness";

/** A dependency whose answer the test sets; counts its probes. */
function fake(name: string) {
  const state: { down?: string; since?: number; hang?: boolean; probes: number } = { probes: 0 };
  const dep: Dependency = {
    name,
    where: `${name}-host:1`,
    probe: async (signal) => {
      state.probes += 1;
      if (state.hang)
        await new Promise((_, reject) =>
          signal.addEventListener("abort", () => reject(new Error("aborted"))),
        );
      if (state.down) throw new Error(state.down);
      return state.since === undefined ? undefined : { reason: "known down", since: state.since };
    },
  };
  return { dep, state };
}

describe("Readiness", () => {
  it("names what is down and since the first failure of the run, and is ready again after one answer", async () => {
    let now = Date.parse("2026-11-28T12:00:00.000Z");
    const model = fake("model");
    const raw = fake("raw");
    const r = new Readiness(
      [model.dep, raw.dep],
      () => true,
      { timeoutMs: 500, minIntervalMs: 0 },
      () => now,
    );
    expect(await r.check()).toEqual({ ready: true });

    model.state.down = "14 UNAVAILABLE: connect ECONNREFUSED";
    now += 1_000;
    const first = await r.check();
    now += 5_000;
    model.state.down = "14 UNAVAILABLE: still refused";
    expect(await r.check()).toEqual({
      ready: false,
      down: [
        { dependency: "model", since: "2026-11-28T12:00:01.000Z", reason: "14 UNAVAILABLE: still refused" },
      ],
    });
    expect(first.ready).toBe(false);

    model.state.down = undefined;
    now += 1_000;
    expect(await r.check()).toEqual({ ready: true });
  });

  it("takes `since` from a probe that knows it, and counts a probe that does not answer in time as down", async () => {
    const l2 = fake("l2");
    const mod = fake("mod");
    l2.state.since = Date.parse("2026-11-28T11:59:00.000Z");
    mod.state.hang = true;
    const r = new Readiness([l2.dep, mod.dep], () => true, { timeoutMs: 50, minIntervalMs: 0 });
    const report = await r.check();
    expect(report.ready).toBe(false);
    expect(report.down).toEqual([
      { dependency: "l2", since: "2026-11-28T11:59:00.000Z", reason: "known down" },
      { dependency: "mod", since: expect.any(String), reason: "mod-host:1: no answer within 50 ms" },
    ]);
  });

  it("is not ready before the first listing, whatever the dependencies say", async () => {
    let started = false;
    const r = new Readiness([fake("raw").dep], () => started, { timeoutMs: 500, minIntervalMs: 0 });
    expect(await r.check()).toEqual({
      ready: false,
      starting: "no listing of pending files has completed yet",
    });
    started = true;
    expect(await r.check()).toEqual({ ready: true });
  });

  it("probes at most once per minIntervalMs, and concurrent askers share one round", async () => {
    let now = 0;
    const model = fake("model");
    const r = new Readiness(
      [model.dep],
      () => true,
      { timeoutMs: 500, minIntervalMs: 1_000 },
      () => now,
    );
    await Promise.all([r.check(), r.check(), r.check()]);
    expect(model.state.probes).toBe(1);
    now = 999;
    await r.check();
    expect(model.state.probes).toBe(1);
    now = 1_000;
    await r.check();
    expect(model.state.probes).toBe(2);
  });
});
