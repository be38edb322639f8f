import { pairKey, storedKey, type Pair } from "@rl/cache";
import type { Coordinator } from "../coordination/coordinator";
import type { CoordinationFailures } from "./coordination-failures";

/** The stored key a claim is made on: claims are per namespace, like the cache. */
const claimKey = (key: string) => storedKey(pairKey(key));

/**
 * Shared mode: the pairs this worker has claimed to infer, so that no other worker infers them
 * too. A claim is renewed every `renewMs` while held (a slow model, retries, answers waiting for
 * L2), and given back once the pair's value is in L2 or the pair failed for good.
 *
 * States:
 * - IDLE: no claim held, no renewal timer.
 * - HOLDING: claims held; a timer renews them all every `renewMs`. `release` of the last: IDLE
 *   (the timer stops at its next tick).
 * - CLOSED: claims forgotten (they lapse in the store), the timer stopped, nothing renewed.
 *
 * A failing coordination store never stops a batch: `claim` then counts every pair as this
 * worker's (a duplicate inference at worst) and the failure is reported.
 */
export class PairClaims {
  /** Pair key → stored key, for each claim held. */
  private readonly held = new Map<string, Buffer>();
  private renewTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly coordinator: Coordinator,
    private readonly failures: CoordinationFailures,
    private readonly renewMs: number,
  ) {}

  /** For each pair: claimed here (true), or held by another worker (false). */
  async claim(pairs: readonly Pair[]): Promise<boolean[]> {
    const keys = pairs.map((p) => claimKey(p.key));
    let mine: boolean[];
    try {
      mine = await this.coordinator.claimPairs(keys);
    } catch (err) {
      this.failures.report(err as Error, "claiming pairs");
      mine = pairs.map(() => true);
    }
    pairs.forEach((p, i) => {
      if (mine[i]) this.hold(p.key, keys[i] as Buffer);
    });
    return mine;
  }

  /** Takes over pairs whose claim elsewhere may have lapsed; returns those now this worker's. Throws on a store failure. */
  async takeOver(pairs: readonly Pair[]): Promise<Pair[]> {
    const keys = pairs.map((p) => claimKey(p.key));
    const mine = await this.coordinator.claimPairs(keys);
    const taken = pairs.filter((_, i) => mine[i]);
    for (const p of taken) this.hold(p.key, claimKey(p.key));
    return taken;
  }

  /** Refreshes every claim held (claiming a held pair again refreshes its TTL, in both coordinators). */
  async renew(): Promise<void> {
    if (this.held.size === 0) {
      clearInterval(this.renewTimer);
      this.renewTimer = undefined;
      return;
    }
    try {
      await this.coordinator.claimPairs([...this.held.values()]);
    } catch (err) {
      this.failures.report(err as Error, "renewing pair claims");
    }
  }

  /** Gives claims back (their values are in L2, or the pairs failed for good). */
  async release(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.held.delete(k);
    if (keys.length === 0) return;
    try {
      await this.coordinator.releasePairs(keys.map(claimKey));
    } catch (err) {
      this.failures.report(err as Error, "releasing claims");
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    this.held.clear();
  }

  private hold(key: string, stored: Buffer): void {
    this.held.set(key, stored);
    if (this.renewTimer || this.closed) return;
    this.renewTimer = setInterval(() => void this.renew(), this.renewMs);
    this.renewTimer.unref?.();
  }
}
