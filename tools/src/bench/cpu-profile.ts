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

/** Seconds a thread ran (not idle) according to its profile's samples and their time deltas. */
export function busySeconds(profile: CpuProfile & { timeDeltas?: number[] }): number {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  let us = 0;
  profile.samples.forEach((id, i) => {
    const name = byId.get(id)?.callFrame.functionName;
    if (name !== "(idle)" && name !== "(program)") us += profile.timeDeltas?.[i] ?? 0;
  });
  return +(us / 1e6).toFixed(2);
}

export interface ProfileSummary {
  /** Top self-time entries over every thread's samples together. */
  top: SelfTime[];
  /** Busy seconds of each thread: the main thread first, then each parse worker. */
  threads: Array<{ thread: string; busySeconds: number }>;
}

/**
 * The profiles `node --cpu-prof --cpu-prof-dir=<dir>` wrote, one per thread (named
 * `CPU.<date>.<time>.<pid>.<thread id>.<n>.cpuprofile`; thread 0 is the main thread).
 */
export async function profileSummary(dir: string, n = 10): Promise<ProfileSummary> {
  const threadOf = (f: string) => Number(f.split(".").at(-3));
  const files = (await readdir(dir))
    .filter((f) => f.endsWith(".cpuprofile"))
    .sort((a, b) => threadOf(a) - threadOf(b));
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}`);
  const profiles = await Promise.all(
    files.map(
      async (f) => JSON.parse(await readFile(join(dir, f), "utf8")) as CpuProfile & { timeDeltas?: number[] },
    ),
  );
  // One profile of all threads: node ids are renumbered so the threads' trees stay apart.
  let offset = 0;
  const merged: CpuProfile = { nodes: [], samples: [] };
  for (const p of profiles) {
    const top = Math.max(...p.nodes.map((node) => node.id));
    merged.nodes.push(...p.nodes.map((node) => ({ ...node, id: node.id + offset })));
    merged.samples.push(...p.samples.map((id) => id + offset));
    offset += top + 1;
  }
  return {
    top: topSelfTime(merged, n),
    threads: profiles.map((p, i) => ({
      thread: threadOf(files[i] as string) === 0 ? "main" : `worker ${threadOf(files[i] as string)}`,
      busySeconds: busySeconds(p),
    })),
  };
}

/** The top entries over every thread's profile in `dir`. */
export async function topSelfTimeIn(dir: string, n = 10): Promise<SelfTime[]> {
  return (await profileSummary(dir, n)).top;
}

if (process.argv[1]?.endsWith("cpu-profile.ts")) {
  const [dir, n] = process.argv.slice(2);
  if (!dir) throw new Error("usage: cpu-profile.ts <dir with the .cpuprofile of each thread> [n]");
  const summary = await profileSummary(dir, Number(n ?? 10));
  for (const t of summary.threads) process.stdout.write(`${t.thread}: busy ${t.busySeconds} s\n`);
  for (const e of summary.top) process.stdout.write(`${e.percent.toFixed(1).padStart(5)}%  ${e.name}\n`);
}
