/**
 * Where the shared parts of inference (pacer, pair claims, the watch on pairs claimed elsewhere)
 * report a failure of the coordination store. None of them stops for it: the batch goes on
 * uncoordinated, a duplicate inference at worst, so a count and a line in the log are all.
 */
export class CoordinationFailures {
  private failures = 0;

  constructor(private readonly onFailure?: (err: Error, what: string) => void) {}

  get count(): number {
    return this.failures;
  }

  report(err: Error, what: string): void {
    this.failures += 1;
    this.onFailure?.(err, what);
  }
}
