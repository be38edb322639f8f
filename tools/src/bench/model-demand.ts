// Figures for the model's capacity, computed from what the scenarios record (no new run).

/**
 * Pairs/s in consecutive whole windows of `windowSeconds`, from counts per whole second: what a
 * rate chart may plot. A trailing window over irregular samples is not: batches of 1,000 land
 * about once a second, so a short window holding two of them reads twice the rate.
 * A last window shorter than the others is left out: divided by its own length it would read
 * like the short trailing window this replaces.
 */
export function fixedWindowRates(
  perSecond: readonly number[],
  windowSeconds: number,
): Array<{ t: number; pairsPerSecond: number }> {
  const out: Array<{ t: number; pairsPerSecond: number }> = [];
  for (let start = 0; start + windowSeconds <= perSecond.length; start += windowSeconds) {
    const window = perSecond.slice(start, start + windowSeconds);
    const sum = window.reduce((a, b) => a + b, 0);
    out.push({ t: start, pairsPerSecond: Math.round(sum / window.length) });
  }
  return out;
}

/**
 * The model's demand over a day as the scraper delivers it: file n holds minute n's postings
 * (one file a minute, design §1), so the new pairs it sent the model, spread over its minute,
 * are that minute's demand in pairs/s. Averaged over windows of `windowMinutes`.
 *
 * Derived from a run that went as fast as it could with several files in flight: a pair two
 * files share is counted in whichever asked first, where in real time the earlier minute would
 * have. Totals are exact; the split between neighbouring minutes is approximate.
 */
export function demandOverDay(
  files: ReadonlyArray<{ key: string; modelPairs: number }>,
  windowMinutes: number,
): {
  points: Array<{ hour: number; pairsPerSecond: number }>;
  meanPairsPerSecond: number;
  peakMinutePairsPerSecond: number;
} {
  const perMinute = [...files].sort((a, b) => (a.key < b.key ? -1 : 1)).map((f) => f.modelPairs / 60);
  const points: Array<{ hour: number; pairsPerSecond: number }> = [];
  for (let m = 0; m < perMinute.length; m += windowMinutes) {
    const w = perMinute.slice(m, m + windowMinutes);
    points.push({
      hour: +(m / 60).toFixed(3),
      pairsPerSecond: +(w.reduce((a, b) => a + b, 0) / w.length).toFixed(2),
    });
  }
  const total = perMinute.reduce((a, b) => a + b, 0);
  return {
    points,
    meanPairsPerSecond: +(perMinute.length > 0 ? total / perMinute.length : 0).toFixed(2),
    peakMinutePairsPerSecond: +Math.max(0, ...perMinute).toFixed(2),
  };
}
