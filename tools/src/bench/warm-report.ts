// Section 12 of the benchmark report: the warm path (warm.ts), one per L2.
import { n, table } from "./report-table";

type Any = Record<string, unknown>;

/** `stagesChart`: the name of the lines/s-by-stage SVG beside the report, when there is one. */
export function warmSection(w: Any, stagesChart?: string): string[] {
  const top = (w.cpuProfileTop10 as Array<{ name: string; percent: number }> | undefined) ?? [];
  const threads = (w.cpuProfileThreads as Array<{ thread: string; busySeconds: number }> | undefined) ?? [];
  const stages = w.bareLoopStages as Array<{ stage: string; linesPerSecond: number }> | undefined;
  return [
    `## 12. Warm path, ${String(w.l2)} L2`,
    "",
    `${n(w.lines)} generated postings in ${n(w.files)} files on local directories, every pair already in L2; \`node dist/apps/augmenter/main.js run\` timed from spawn to exit (start-up included), default settings. The bare loop (\`tools/src/bench/bare-loop.ts\`: read, split, JSON.parse, one Map look-up, splice, write; one thread; timed inside its process) runs over the same bytes just before and just after, in the same benchmark run.`,
    "",
    table([
      ["lines/s, end to end (target: ≥ " + n(w.targetLinesPerSecond) + ")", w.linesPerSecond],
      ["wall seconds, start-up included", w.wallSecondsWithStartup],
      ["CPU seconds (lines per CPU second)", `${n(w.cpuSeconds)} (${n(w.linesPerCpuSecond)})`],
      [w.l2 === "redis" ? "peak RSS, MiB (no target)" : "peak RSS, MiB (target: ≤ 300)", w.peakRssMiB],
      ["bare loop lines/s (mean of the runs before and after)", w.bareLoopLinesPerSecond],
      ["ratio to the bare loop", w.ratioToBareLoop],
      ["L1 hits / L2 hits (chunk-distinct pairs)", `${n(w.l1Hits)} / ${n(w.l2Hits)}`],
      ...(w.redisCpuSeconds === undefined
        ? []
        : ([["Redis CPU seconds during the warm run", w.redisCpuSeconds]] as Array<[string, unknown]>)),
    ]),
    "",
    ...(stages ? stagesPart(w, stages, stagesChart) : []),
    "CPU profile of a separate run (share of samples, self time, over every thread; names are the bundle's, see [warm-path.md](warm-path.md) for what they are, the before/after history and the next steps):",
    "",
    ...(threads.length > 0
      ? [`Busy seconds by thread: ${threads.map((t) => `${t.thread} ${t.busySeconds}`).join(", ")}.`, ""]
      : []),
    "| share | function |",
    "|---|---|",
    ...top.map((e) => `| ${e.percent}% | \`${e.name}\` |`),
    "",
  ];
}

/** Where the floor's time goes: the bare loop cut after each stage, beside the augmenter. */
function stagesPart(
  w: Any,
  stages: Array<{ stage: string; linesPerSecond: number }>,
  chart: string | undefined,
): string[] {
  return [
    "Lines/s by stage: the bare loop run once more after the runs above, cut after each stage, each cut a whole pass over the same files in one process (`bare-loop.ts --stages`); each stage adds to those above it, so the last is the whole bare loop, and a stage faster than the one above it is noise (or JIT warm-up at smoke sizes). `read` includes decoding to UTF-8; the spliced text is built as a rope that only `+ write` flattens, so that cost shows there. Last, the augmenter's own figure from the table above.",
    "",
    "| stage | lines/s |",
    "|---|---|",
    ...stages.map((s) => `| ${s.stage} | ${n(s.linesPerSecond)} |`),
    `| augmenter, end to end (target: ≥ ${n(w.targetLinesPerSecond)}) | ${n(w.linesPerSecond)} |`,
    "",
    ...(chart ? [`![lines/s by stage, ${String(w.l2)} L2](${chart}.svg)`, ""] : []),
  ];
}
