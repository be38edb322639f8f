// The floor the warm path is measured against: one process, one thread, doing only what every
// posting needs (read the file, split lines, JSON.parse, one Map look-up of its pair, splice,
// write). Run as its own process by the `warm` scenario, in the same benchmark run as the
// augmenter, so both see the same machine load; the ratio of the two is the comparable figure.
//   tsx tools/src/bench/bare-loop.ts <raw dir> <out dir>           → {"lines":…,"seconds":…}
//   tsx tools/src/bench/bare-loop.ts <raw dir> <out dir> --stages  → {"stages":[{"stage","lines","seconds"},…]}
// --stages times the same loop cut short after each stage, one whole pass over all files per
// stage, so the figures say where the floor's time goes. The last stage is the loop above.
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir } from "node:fs/promises";
import { once } from "node:events";
import { join } from "node:path";
import { BARE_LOOP_STAGES, type BareLoopStage, type StagePass } from "./bare-loop-stages";

const CHUNK = 1 << 20;
/** A pass at depth d does the first d stages of BARE_LOOP_STAGES. */
const depthOf = (stage: BareLoopStage) => BARE_LOOP_STAGES.indexOf(stage) + 1;
const SPLIT = depthOf("+ split lines");
const PARSE = depthOf("+ JSON.parse");
const LOOK_UP = depthOf("+ pair look-up");
const SPLICE = depthOf("+ splice");
const WRITE = depthOf("+ write");

/**
 * One file at a depth; returns its lines (0 below SPLIT, where lines are not found). The cuts
 * are one compare of a constant per line, against microseconds of work per line. Below WRITE
 * the spliced body is a rope never flattened: that cost lands in "+ write" with the encoding.
 */
async function oneFile(input: string, output: string, pairs: Map<string, number>, depth: number) {
  const out = depth >= WRITE ? createWriteStream(output) : undefined;
  let carry = "";
  let lines = 0;
  for await (const chunk of createReadStream(input, { highWaterMark: CHUNK })) {
    const text = carry + (chunk as Buffer).toString("utf8");
    if (depth < SPLIT) continue;
    const parts = text.split("\n");
    carry = parts.pop() ?? "";
    let body = "";
    for (const line of parts) {
      if (line === "") continue;
      lines += 1;
      if (depth < PARSE) continue;
      const v = JSON.parse(line) as { company?: string; title?: string };
      if (depth < LOOK_UP) continue;
      const key = `${v.company}\u0000${v.title}`;
      let s = pairs.get(key);
      if (s === undefined) pairs.set(key, (s = (key.length % 7) + 1));
      if (depth < SPLICE) continue;
      body += `${line.slice(0, line.lastIndexOf("}"))},"seniority":${s}}\n`;
    }
    if (out && !out.write(body)) await once(out, "drain");
  }
  if (carry !== "") throw new Error(`${input}: the bare loop expects a newline at the end`);
  if (out) {
    out.end();
    await once(out, "finish");
  }
  return lines;
}

async function pass(raw: string, outDir: string, depth: number): Promise<{ lines: number; seconds: number }> {
  const t0 = performance.now();
  await mkdir(outDir, { recursive: true });
  // A fresh map each pass: every pass pays for first sightings, as the full loop does.
  const pairs = new Map<string, number>();
  let lines = 0;
  const files = (await readdir(raw)).filter((f) => f.endsWith(".jsonl")).sort();
  for (const f of files) lines += await oneFile(join(raw, f), join(outDir, f), pairs, depth);
  return { lines, seconds: (performance.now() - t0) / 1000 };
}

export function bareLoop(raw: string, outDir: string): Promise<{ lines: number; seconds: number }> {
  return pass(raw, outDir, WRITE);
}

/** One pass per stage, cumulative, in order; "read" reports 0 lines (it does not split). */
export async function bareLoopStages(raw: string, outDir: string): Promise<StagePass[]> {
  // Untimed: the first pass in a process pays for warming the stream code, which would
  // otherwise all land on "read", the cheapest stage, and show it slower than "+ split lines".
  await pass(raw, outDir, depthOf("read"));
  const passes: StagePass[] = [];
  for (const [i, stage] of BARE_LOOP_STAGES.entries())
    passes.push({ stage, ...(await pass(raw, outDir, i + 1)) });
  return passes;
}

if (process.argv[1]?.endsWith("bare-loop.ts")) {
  const [raw, outDir, flag] = process.argv.slice(2);
  if (!raw || !outDir || (flag !== undefined && flag !== "--stages"))
    throw new Error("usage: bare-loop.ts <raw dir> <out dir> [--stages]");
  const result = flag ? { stages: await bareLoopStages(raw, outDir) } : await bareLoop(raw, outDir);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
