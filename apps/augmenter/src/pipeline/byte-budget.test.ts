import { describe, expect, it } from "vitest";
import { ByteBudget } from "./byte-budget";

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("ByteBudget", () => {
  it("takes bytes while they fit, and makes a holder wait until others give some back", async () => {
    const b = new ByteBudget(100);
    const [a, c] = [{}, {}];
    expect(b.tryTake(a, 60)).toBe(true);
    expect(b.tryTake(c, 60)).toBe(false);
    let granted = false;
    const wait = b.take(c, 60).then(() => (granted = true));
    await tick();
    expect(granted).toBe(false);
    b.give(a, 60);
    await wait;
    expect(b.inUse).toBe(60);
  });

  it("lets the oldest waiter past the limit when every holder waits (no deadlock on long lines)", async () => {
    const b = new ByteBudget(100);
    const [x, y] = [{}, {}];
    expect(b.tryTake(x, 50)).toBe(true);
    expect(b.tryTake(y, 50)).toBe(true);
    const order: string[] = [];
    const px = b.take(x, 30).then(() => order.push("x"));
    await tick();
    // x waits, y still runs: y may give bytes back, so x is not let through yet.
    expect(order).toEqual([]);
    const py = b.take(y, 30).then(() => order.push("y"));
    await px;
    // Now both wait: the oldest (x) goes on alone, past the limit.
    expect(order).toEqual(["x"]);
    expect(b.inUse).toBe(130);
    b.giveAll(x);
    await py;
    expect(order).toEqual(["x", "y"]);
    expect(b.inUse).toBe(80);
  });

  it("grants a request larger than the whole budget once nothing else is held", async () => {
    const b = new ByteBudget(10);
    const h = {};
    await b.take(h, 1000);
    expect(b.inUse).toBe(1000);
    b.giveAll(h);
    expect(b.inUse).toBe(0);
  });

  it("stops waiting when the signal aborts", async () => {
    const b = new ByteBudget(10);
    const [a, c] = [{}, {}];
    expect(b.tryTake(a, 10)).toBe(true);
    const ac = new AbortController();
    const p = b.take(c, 5, ac.signal);
    // a is running (not waiting), so c must wait for it.
    ac.abort(new Error("shutting down"));
    await expect(p).rejects.toThrow("shutting down");
    b.giveAll(a);
    expect(b.inUse).toBe(0);
  });
});
