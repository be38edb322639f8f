// The bare loop's stages (bare-loop.ts --stages), cumulative: each is timed as its own pass over
// all files doing it and every stage before it; the last is the whole bare loop.
export const BARE_LOOP_STAGES = [
  "read",
  "+ split lines",
  "+ JSON.parse",
  "+ pair look-up",
  "+ splice",
  "+ write",
] as const;
export type BareLoopStage = (typeof BARE_LOOP_STAGES)[number];

/** One timed pass; `lines` is 0 for "read", which does not split the text into lines. */
export interface StagePass {
  stage: BareLoopStage;
  lines: number;
  seconds: number;
}

/**
 * Lines/s of each pass over the same bytes. "read" counts no lines, so every pass is divided by
 * the count of those that split; they must agree, or the passes did not read the same files.
 */
export function stageRates(passes: StagePass[]): Array<{ stage: BareLoopStage; linesPerSecond: number }> {
  const counts = new Set(passes.filter((p) => p.stage !== "read").map((p) => p.lines));
  const [lines] = counts;
  if (counts.size !== 1 || lines === undefined || lines === 0)
    throw new Error(`bare loop stages: expected one non-zero line count, got ${JSON.stringify([...counts])}`);
  return passes.map((p) => ({ stage: p.stage, linesPerSecond: Math.round(lines / p.seconds) }));
}
