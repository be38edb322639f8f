import { Counter, type Registry } from "prom-client";

/**
 * A Prometheus counter that reports a total kept elsewhere (a scheduler's or a server's own
 * accounting), read at each scrape. The total stays the one source of truth; exposing it as a
 * counter, not a gauge, is what lets rate() and reset detection work on it.
 */
export function collectedCounter(
  registry: Registry,
  name: string,
  help: string,
  read: () => number,
): Counter {
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}
