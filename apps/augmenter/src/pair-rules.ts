import type { PairRules } from "@rl/cache";

/** What makes a (company, title) a usable pair, from the options: the service and the cache commands agree. */
export function pairRulesOf(o: {
  normalise: PairRules["normalise"];
  maxFieldChars: number;
  modelMaxRequestBytes: number;
}): PairRules {
  return {
    normalise: o.normalise,
    maxFieldChars: o.maxFieldChars,
    // A pair alone must fit one request with room for the batch's own framing.
    maxPairBytes: o.modelMaxRequestBytes - 16,
  };
}
