import { describe, expect, it } from "vitest";
import { CoordinationFailures } from "./coordination-failures";
import { LocalPacer, SharedPacer, type Pacer } from "./pacer";

/**
 * Sends `batches` batches of `size` pairs through a pacer on a fake clock, the way the scheduler
 * does: wait until it is ready, charge the batch, wait what it says. Returns the send times.
 */
async function sendAll(pacer: Pacer, clock: { t: number }, batches: number, size: number) {
  const sent: number[] = [];
  for (let b = 0; b < batches; b += 1) {
    clock.t += pacer.readyIn();
    clock.t += await pacer.reserve(size);
    sent.push(clock.t);
  }
  return sent;
}

describe("LocalPacer", () => {
  it("keeps the rate from both sides: 10 batches of 100 at 1000 pairs/s take a second", async () => {
    const clock = { t: 5_000 };
    const pacer = new LocalPacer(1000, () => clock.t);
    const sent = await sendAll(pacer, clock, 10, 100);
    // The span from the first send to the end of the last batch's slot.
    const span = (sent.at(-1) ?? 0) - (sent[0] ?? 0) + pacer.readyIn();
    expect(span).toBeGreaterThanOrEqual(900);
    expect(span).toBeLessThanOrEqual(1100);
  });

  it("gives no burst for idle time", async () => {
    const clock = { t: 0 };
    const pacer = new LocalPacer(1000, () => clock.t);
    await sendAll(pacer, clock, 1, 100);
    clock.t += 10_000; // idle for ten seconds
    const sent = await sendAll(pacer, clock, 3, 100);
    expect(sent).toEqual([10_000, 10_100, 10_200]); // from now, at the rate: no catching up
  });

  it("does not let timer lateness pile up into a lower rate", async () => {
    const clock = { t: 0 };
    const pacer = new LocalPacer(1000, () => clock.t);
    const sent: number[] = [];
    for (let b = 0; b < 10; b += 1) {
      clock.t += pacer.readyIn() + 3; // every timer fires 3 ms late
      await pacer.reserve(100);
      sent.push(clock.t);
    }
    // Slots stay 100 ms apart from the first send (at 3): each send is 3 ms late, never more.
    expect(sent).toEqual([3, ...Array.from({ length: 9 }, (_, i) => 106 + 100 * i)]);
  });
});

describe("SharedPacer", () => {
  it("waits as the shared schedule says, without charging the local one", async () => {
    const asked: number[] = [];
    const local = new LocalPacer(1000, () => 0);
    const failures = new CoordinationFailures();
    const pacer = new SharedPacer({ reserveModelPairs: async (n) => (asked.push(n), 40) }, local, failures);
    expect(pacer.readyIn()).toBe(0);
    expect(await pacer.reserve(100)).toBe(40);
    expect(await pacer.reserve(100)).toBe(40);
    expect(asked).toEqual([100, 100]);
    expect(local.readyIn()).toBe(0); // exactly one pacer charged per batch
    expect(failures.count).toBe(0);
  });

  it("paces locally when the shared schedule fails, and reports the failure", async () => {
    const told: string[] = [];
    const failures = new CoordinationFailures((err, what) => told.push(`${what}: ${err.message}`));
    const local = new LocalPacer(1000, () => 0);
    const pacer = new SharedPacer(
      {
        reserveModelPairs: async () => {
          throw new Error("ECONNREFUSED");
        },
      },
      local,
      failures,
    );
    expect(await pacer.reserve(100)).toBe(0);
    expect(await pacer.reserve(100)).toBe(100); // the local schedule, charged once per batch
    expect(failures.count).toBe(2);
    expect(told[0]).toBe("reserving the shared model rate: ECONNREFUSED");
  });

  it("paces locally, without a failure, when the coordinator keeps no shared rate", async () => {
    const failures = new CoordinationFailures();
    const pacer = new SharedPacer(
      { reserveModelPairs: async () => undefined },
      new LocalPacer(1000, () => 0),
      failures,
    );
    expect(await pacer.reserve(50)).toBe(0);
    expect(await pacer.reserve(50)).toBe(50);
    expect(failures.count).toBe(0);
  });
});
