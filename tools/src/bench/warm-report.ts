// Section 12 of the benchmark report: the warm path (warm.ts), one per L2.
import { n, table } from "./report-table";

type Any = Record<string, unknown>;

export function warmSection(w: Any): string[] {
  const top = (w.cpuProfileTop10 as Array<{ name: string; percent: number }> | undefined) ?? [];
  return [
    `## 12. Warm path, ${String(w.l2)} L2`,
    "",
    `${n(w.lines)} generated postings in ${n(w.files)} files on local directories, every pair already in L2; \`node dist/apps/augmenter/main.js run\` timed from spawn to exit (start-up included), default settings. The bare loop (\`tools/src/bench/bare-loop.ts\`: read, split, JSON.parse, one Map look-up, splice, write; one thread; timed inside its process) runs over the same bytes just before and just after, in the same benchmark run.`,
    "",
    table([
      ["lines/s, end to end (target: ≥ " + n(w.targetLinesPerSecond) + ")", w.linesPerSecond],
      ["wall seconds, start-up included", w.wallSecondsWithStartup],
      ["CPU seconds (lines per CPU second)", `${n(w.cpuSeconds)} (${n(w.linesPerCpuSecond)})`],
      ["peak RSS, MiB (target: ≤ 300)", w.peakRssMiB],
      ["bare loop lines/s (mean of the runs before and after)", w.bareLoopLinesPerSecond],
      ["ratio to the bare loop", w.ratioToBareLoop],
      ["L1 hits / L2 hits (chunk-distinct pairs)", `${n(w.l1Hits)} / ${n(w.l2Hits)}`],
      ...(w.redisCpuSeconds === undefined
        ? []
        : ([["Redis CPU seconds during the warm run", w.redisCpuSeconds]] as Array<[string, unknown]>)),
    ]),
    "",
    "CPU profile of a separate run (share of samples, self time; names are the bundle's, see [warm-path.md](warm-path.md) for what they are, the before/after history and the next steps):",
    "",
    "| share | function |",
    "|---|---|",
    ...top.map((e) => `| ${e.percent}% | \`${e.name}\` |`),
    "",
  ];
}
