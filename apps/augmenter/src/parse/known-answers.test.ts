import { describe, expect, it } from "vitest";
import { KnownAnswers } from "./known-answers";

describe("KnownAnswers", () => {
  it("keeps what a chunk's answers say, by position, and nothing from a failed chunk", () => {
    const k = new KnownAnswers(100);
    const n = k.await(["a", "b", "c"]);
    k.learn(n, Uint8Array.of(3, 0, 7)); // b unresolved: not kept
    expect([k.get("a"), k.get("b"), k.get("c")]).toEqual([3, undefined, 7]);
    const failed = k.await(["d"]);
    k.learn(failed, undefined);
    k.learn(failed, Uint8Array.of(5)); // too late: the chunk's pairs are forgotten
    expect(k.get("d")).toBeUndefined();
  });

  it("forgets the waiting chunks of a file that failed, and only those", () => {
    const k = new KnownAnswers(100);
    const mine = k.await(["m"], 1);
    const theirs = k.await(["t"], 2);
    k.forget(1);
    k.learn(mine, Uint8Array.of(4));
    k.learn(theirs, Uint8Array.of(5));
    expect([k.get("m"), k.get("t")]).toEqual([undefined, 5]);
  });

  it("stays within its bound, keeping the answers used within the last generation", () => {
    const k = new KnownAnswers(10); // generations of 5
    const teach = (pairs: string[]) =>
      k.learn(
        k.await(pairs),
        Uint8Array.from(pairs, () => 2),
      );
    teach(["p0", "p1", "p2", "p3", "p4"]); // fills young: it becomes old
    teach(["q0", "q1"]);
    expect(k.get("p0")).toBe(2); // found in old: moved back to young
    teach(["q2", "q3"]); // young full again: the old generation (p1..p4) goes
    expect(k.size).toBeLessThanOrEqual(10);
    expect(["p0", "q0", "q3"].map((p) => k.get(p))).toEqual([2, 2, 2]);
    expect(["p1", "p4"].map((p) => k.get(p))).toEqual([undefined, undefined]);
  });
});
