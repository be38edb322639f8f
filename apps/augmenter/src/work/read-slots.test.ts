import { describe, expect, it } from "vitest";
import { ShutdownError } from "../pipeline/shutdown-error";
import { ReadSlots } from "./read-slots";

const tick = () => new Promise((r) => setImmediate(r));

describe("ReadSlots", () => {
  it("grants places up to its size, then in order, a returning file before a new one", async () => {
    const slots = new ReadSlots(2);
    await slots.acquire();
    await slots.acquire();
    const order: string[] = [];
    void slots.acquire().then(() => order.push("new 1"));
    void slots.acquire().then(() => order.push("new 2"));
    void slots.acquire(true).then(() => order.push("returning"));
    await tick();
    expect(order).toEqual([]);
    slots.release();
    await tick();
    expect(order).toEqual(["returning"]);
    slots.release();
    slots.release();
    await tick();
    expect(order).toEqual(["returning", "new 1", "new 2"]);
  });

  it("a wait aborted by the shutdown rejects and takes no place", async () => {
    const slots = new ReadSlots(1);
    await slots.acquire();
    const ac = new AbortController();
    const waiting = slots.acquire(true, ac.signal);
    ac.abort();
    await expect(waiting).rejects.toBeInstanceOf(ShutdownError);
    slots.release(); // the place goes back free, not to the aborted waiter
    await slots.acquire();
    const next = slots.acquire();
    let got = false;
    void next.then(() => (got = true));
    await tick();
    expect(got).toBe(false);
  });
});
