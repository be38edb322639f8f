/**
 * Input bytes in flight across every file of the process: read but not yet written out. Each
 * file takes bytes as it reads and gives them back as its chunks are written, so the memory a
 * process holds for records is bounded by one figure, whatever the number of files and the
 * size of their lines (a 30 MB line in each of four files cannot add up).
 *
 * States of a holder (a file):
 * - RUNNING: `tryTake` succeeds while the total stays within `limit`.
 * - WAITING: `take` queued it (first come, first served). It is granted when its bytes fit, or
 *   when every byte in use is held by waiting holders: none of them could ever give any back
 *   (each is in the middle of a line larger than what is left), so the oldest goes on alone
 *   and the total may pass `limit` by at most that one line (bounded by MAX_RECORD_BYTES).
 * A holder that must wait first writes out what it has done (the caller's `beforeWait`), so
 * what it holds then is only the line it is reading.
 */
export class ByteBudget {
  private used = 0;
  private readonly held = new Map<object, number>();
  private readonly queue: Array<{ holder: object; n: number; resolve(): void; reject(e: Error): void }> = [];

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.used;
  }

  /** Takes `n` bytes at once when they fit and nobody waits; false otherwise. */
  tryTake(holder: object, n: number): boolean {
    if (this.queue.length > 0 || this.used + n > this.limit) return false;
    this.add(holder, n);
    return true;
  }

  /** Takes `n` bytes, waiting for them when needed; rejects when `signal` aborts the wait. */
  async take(holder: object, n: number, signal?: AbortSignal): Promise<void> {
    if (this.tryTake(holder, n)) return;
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = this.queue.indexOf(entry);
        if (i >= 0) this.queue.splice(i, 1);
        reject(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
        this.grant();
      };
      const entry = {
        holder,
        n,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject,
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(entry);
      this.grant();
    });
  }

  give(holder: object, n: number): void {
    // Never more than the holder holds: an estimate on the caller's side must not grow the budget.
    const have = this.held.get(holder) ?? 0;
    const g = Math.min(n, have);
    if (g <= 0) return;
    if (have > g) this.held.set(holder, have - g);
    else this.held.delete(holder);
    this.used -= g;
    this.grant();
  }

  /** Gives back everything `holder` still holds (a file that ended or failed). */
  giveAll(holder: object): void {
    this.give(holder, this.held.get(holder) ?? 0);
  }

  private add(holder: object, n: number): void {
    this.used += n;
    this.held.set(holder, (this.held.get(holder) ?? 0) + n);
  }

  private grant(): void {
    for (;;) {
      const head = this.queue[0];
      if (!head) return;
      if (this.used + head.n > this.limit && !this.stuck()) return;
      this.queue.shift();
      this.add(head.holder, head.n);
      head.resolve();
    }
  }

  /** Every holder of bytes is itself waiting: nobody will give any back. */
  private stuck(): boolean {
    const waiting = new Set(this.queue.map((w) => w.holder));
    for (const [holder, n] of this.held) if (n > 0 && !waiting.has(holder)) return false;
    return true;
  }
}
