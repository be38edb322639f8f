// The top self-time entries of a V8 CPU profile (`node --cpu-prof`), for the benchmark report.
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

export interface SelfTime {
  name: string;
  /** Share of the samples in which this function was running, in percent. */
  percent: number;
}

/**
 * Counts samples, not the time between them: on a loaded machine a process descheduled for a
 * second charges that second to whatever it was running when it stopped, so summed time deltas
 * tell the scheduler's story; the sampler's ticks, taken while the process runs, tell the code's.
 */
export function topSelfTime(profile: CpuProfile, n = 10): SelfTime[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const counts = new Map<string, number>();
  let total = 0;
  for (const id of profile.samples) {
    const f = byId.get(id)?.callFrame;
    if (!f || f.functionName === "(idle)" || f.functionName === "(program)") continue;
    const file = f.url.split("/").slice(-2).join("/");
    const name = `${f.functionName || "(anonymous)"}${file ? ` ${file}:${f.lineNumber + 1}` : ""}`;
    counts.set(name, (counts.get(name) ?? 0) + 1);
    total += 1;
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, c]) => ({ name, percent: +((100 * c) / total).toFixed(1) }));
}

/** The top entries of the one profile `node --cpu-prof --cpu-prof-dir=<dir>` wrote. */
export async function topSelfTimeIn(dir: string, n = 10): Promise<SelfTime[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".cpuprofile"));
  if (files.length !== 1) throw new Error(`expected one .cpuprofile in ${dir}, found ${files.length}`);
  return topSelfTime(JSON.parse(await readFile(join(dir, files[0] as string), "utf8")) as CpuProfile, n);
}

if (process.argv[1]?.endsWith("cpu-profile.ts")) {
  const [dir, n] = process.argv.slice(2);
  if (!dir) throw new Error("usage: cpu-profile.ts <dir with one .cpuprofile> [n]");
  for (const e of await topSelfTimeIn(dir, Number(n ?? 10)))
    process.stdout.write(`${e.percent.toFixed(1).padStart(5)}%  ${e.name}\n`);
}
