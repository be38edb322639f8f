// The shortest wall a cold day can take when only so many files may wait on the model at once:
// computed from a one-day run's demand (results.json, oneDay.demand), no new run. Issue 15's
// target 3 is checked against it before anything is built (docs/benchmarks/cold-day.md).

export interface ColdDayShape {
  /** New pairs of each file, in the order the files are processed. */
  pairsPerFile: readonly number[];
  linesPerFile: number;
}

export interface ColdDayLimits {
  /** Pairs the model answers per second. */
  modelRate: number;
  /** Lines per second the augmenter parses, looks up and writes when nothing waits (its CPU). */
  linesPerSecond: number;
  /**
   * Files read whose new pairs are not all answered yet. A file waits whole for its last pair
   * (its output is written in order), holding its input bytes meanwhile: MAX_BYTES_IN_FLIGHT
   * divided by a file's size, at most FILE_CONCURRENCY.
   */
  waitingFiles: number;
}

/**
 * The wall of an ideal run: the model never idles while a pair is known, the CPU never idles
 * while a file may be read, and a file is done the moment its last pair is answered. Files are
 * answered in order (the first files of a cold day hold most of its pairs whichever files come
 * first, since a pair is new only until it has been seen), so file n may be read only once file
 * n - waitingFiles is done. Steps of `dtSeconds`.
 */
export function coldDayWallSeconds(shape: ColdDayShape, limits: ColdDayLimits, dtSeconds = 0.01): number {
  const files = shape.pairsPerFile.length;
  const cumulative = [0];
  for (const p of shape.pairsPerFile) cumulative.push((cumulative.at(-1) as number) + p);
  let t = 0;
  let answered = 0;
  let read = 0; // files read, fractional while one is being read
  let done = 0; // files whose pairs are all answered
  while (done < files) {
    answered = Math.min(cumulative[Math.floor(read)] as number, answered + limits.modelRate * dtSeconds);
    while (done < Math.floor(read) && (cumulative[done + 1] as number) <= answered + 1e-9) done += 1;
    if (read < files)
      read = Math.min(
        files,
        done + limits.waitingFiles,
        read + (limits.linesPerSecond * dtSeconds) / shape.linesPerFile,
      );
    t += dtSeconds;
  }
  return t;
}

/** Per-file new pairs from a demand curve of `pairsPerSecond` averaged per window of `windowMinutes` files. */
export function pairsPerFileFromDemand(
  points: ReadonlyArray<{ pairsPerSecond: number }>,
  windowMinutes: number,
): number[] {
  return points.flatMap((p) => Array<number>(windowMinutes).fill(p.pairsPerSecond * 60));
}
