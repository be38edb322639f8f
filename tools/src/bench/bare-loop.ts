// The floor the warm path is measured against: one process, one thread, doing only what every
// posting needs (read the file, split lines, JSON.parse, one Map look-up of its pair, splice,
// write). Run as its own process by the `warm` scenario, in the same benchmark run as the
// augmenter, so both see the same machine load; the ratio of the two is the comparable figure.
//   tsx tools/src/bench/bare-loop.ts <raw dir> <out dir>  → prints {"lines":…,"seconds":…}
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir } from "node:fs/promises";
import { once } from "node:events";
import { join } from "node:path";

const CHUNK = 1 << 20;

async function oneFile(input: string, output: string, pairs: Map<string, number>): Promise<number> {
  const out = createWriteStream(output);
  let carry = "";
  let lines = 0;
  for await (const chunk of createReadStream(input, { highWaterMark: CHUNK })) {
    const text = carry + (chunk as Buffer).toString("utf8");
    const parts = text.split("\n");
    carry = parts.pop() ?? "";
    let body = "";
    for (const line of parts) {
      if (line === "") continue;
      const v = JSON.parse(line) as { company?: string; title?: string };
      const key = `${v.company}\u0000${v.title}`;
      let s = pairs.get(key);
      if (s === undefined) pairs.set(key, (s = (key.length % 7) + 1));
      body += `${line.slice(0, line.lastIndexOf("}"))},"seniority":${s}}\n`;
      lines += 1;
    }
    if (!out.write(body)) await once(out, "drain");
  }
  if (carry !== "") throw new Error(`${input}: the bare loop expects a newline at the end`);
  out.end();
  await once(out, "finish");
  return lines;
}

export async function bareLoop(raw: string, outDir: string): Promise<{ lines: number; seconds: number }> {
  const t0 = performance.now();
  await mkdir(outDir, { recursive: true });
  const pairs = new Map<string, number>();
  let lines = 0;
  const files = (await readdir(raw)).filter((f) => f.endsWith(".jsonl")).sort();
  for (const f of files) lines += await oneFile(join(raw, f), join(outDir, f), pairs);
  return { lines, seconds: (performance.now() - t0) / 1000 };
}

if (process.argv[1]?.endsWith("bare-loop.ts")) {
  const [raw, outDir] = process.argv.slice(2);
  if (!raw || !outDir) throw new Error("usage: bare-loop.ts <raw dir> <out dir>");
  process.stdout.write(`${JSON.stringify(await bareLoop(raw, outDir))}\n`);
}
