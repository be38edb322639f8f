import { describe, expect, it } from "vitest";
import { L2Availability } from "./l2-availability";

describe("L2Availability", () => {
  it("goes down on a failure, probes, and wakes waiters once a probe succeeds", async () => {
    let answers = false;
    const events: string[] = [];
    const a = new L2Availability(
      async () => {
        if (!answers) throw new Error("ECONNREFUSED");
      },
      { onDown: (e) => events.push(`down ${e.message}`), onUp: () => events.push("up") },
      10,
    );
    expect(a.up).toBe(true);
    await a.whenUp(); // at once
    a.failed(new Error("first"));
    a.failed(new Error("second")); // one outage, one event
    expect(a.up).toBe(false);
    expect(a.outage?.error.message).toBe("first");
    let woke = false;
    const w = a.whenUp().then(() => (woke = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(woke).toBe(false);
    answers = true;
    await w;
    expect(a.up).toBe(true);
    expect(events).toEqual(["down first", "up"]);
    a.close();
  });

  it("rejects waiters on close and on abort", async () => {
    const a = new L2Availability(() => Promise.reject(new Error("down")), {}, 10);
    a.failed(new Error("down"));
    const ac = new AbortController();
    const aborted = a.whenUp(ac.signal);
    ac.abort();
    await expect(aborted).rejects.toThrow(/aborted/);
    const closed = a.whenUp();
    a.close();
    await expect(closed).rejects.toThrow(/closed/);
    await expect(a.whenUp()).rejects.toThrow(/closed/);
  });

  it("announces a relapse soon after recovery only once (writes refused while reads answer)", async () => {
    const events: string[] = [];
    const a = new L2Availability(
      async () => {},
      {
        onDown: () => events.push("down"),
        onUp: () => events.push("up"),
      },
      5,
    );
    for (let i = 0; i < 3; i++) {
      a.failed(new Error("READONLY"));
      await a.whenUp();
    }
    expect(events).toEqual(["down", "up"]);
    a.close();
  });

  it("announces a quiet relapse once it has lasted quietMs", async () => {
    let t = 0;
    let answers = true;
    const events: string[] = [];
    const a = new L2Availability(
      async () => {
        if (!answers) throw new Error("down");
      },
      { onDown: () => events.push(`down@${t}`), onUp: () => events.push(`up@${t}`) },
      5,
      () => t,
      1000,
    );
    a.failed(new Error("x"));
    await a.whenUp();
    t = 100;
    answers = false;
    a.failed(new Error("y")); // within quietMs of the last announcement: quiet for now
    expect(events).toEqual(["down@0", "up@0"]);
    t = 1200; // it lasts
    await new Promise((r) => setTimeout(r, 30));
    expect(events).toEqual(["down@0", "up@0", "down@1200"]);
    a.close();
  });
});
