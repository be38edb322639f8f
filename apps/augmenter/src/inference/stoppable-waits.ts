/** Timed waits that all end at once when their owner stops: batches waiting for a pacing slot. */
export class StoppableWaits {
  private readonly wakers = new Set<() => void>();

  /** Resolves after `ms`, or at `endAll()`, whichever comes first. */
  wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  endAll(): void {
    for (const wake of [...this.wakers]) wake();
  }
}
